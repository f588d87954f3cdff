#include "common/reactor/background_worker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace shardtrack {

BackgroundWorker::BackgroundWorker(EventLoop& loop)
    : loop_(loop), wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (wake_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  loop_.WatchFd(
      wake_fd_, EventLoop::kReadable, [this](short) { OnWakeUp(); }, EventLoop::Urgency::kPrompt);
  thread_ = std::thread([this] { ThreadMain(); });
}

BackgroundWorker::~BackgroundWorker() {
  {
    std::lock_guard lock(mutex_);
    quitting_ = true;
  }
  changed_.notify_all();
  thread_.join();
  loop_.UnwatchClosingFd(wake_fd_);
  ::close(wake_fd_);
}

void BackgroundWorker::Start(Job job, Done done) {
  done_ = std::move(done);
  {
    std::lock_guard lock(mutex_);
    job_ = std::move(job);
  }
  changed_.notify_all();
}

void BackgroundWorker::Wait() {
  if (!busy()) return;
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return result_.has_value(); });
  Status status = std::move(*result_);
  result_.reset();
  lock.unlock();
  Deliver(std::move(status));
}

void BackgroundWorker::ThreadMain() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return quitting_ || job_ != nullptr; });
    if (job_ == nullptr) return;  // quitting with nothing to do
    Job job = std::move(job_);
    job_ = nullptr;
    lock.unlock();
    Status status = job();
    lock.lock();
    result_ = std::move(status);
    changed_.notify_all();
    const std::uint64_t one = 1;
    if (::write(wake_fd_, &one, sizeof(one)) < 0) {
      // Only EAGAIN is possible (the counter is full), and then the loop is woken already.
    }
  }
}

void BackgroundWorker::OnWakeUp() {
  std::uint64_t count = 0;
  if (::read(wake_fd_, &count, sizeof(count)) < 0) {
    // EAGAIN: a Wait() already took the result this wake-up announced.
  }
  std::optional<Status> status;
  {
    std::lock_guard lock(mutex_);
    status.swap(result_);
  }
  if (status) Deliver(std::move(*status));
}

void BackgroundWorker::Deliver(Status status) {
  Done done = std::move(done_);
  done_ = nullptr;
  done(std::move(status));
}

}  // namespace shardtrack
