#include "common/reactor/event_loop.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <limits>
#include <utility>

#include <spdlog/spdlog.h>

namespace shardtrack {
namespace {

// End-of-turn tasks queued by end-of-turn tasks run in the same turn for this many rounds; the
// rest waits for the next turn (which then polls without blocking), so the loop never spins here.
constexpr int kEndOfTurnRounds = 2;

template <typename F>
void Guarded(const char* what, F&& f) noexcept {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::error("{} threw: {}", what, e.what());
  } catch (...) {
    spdlog::error("{} threw a non-standard exception", what);
  }
}

// Rounds up, so a wake-up never comes before the timer is due.
long CeilMs(Duration d) {
  if (d <= Duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  return ms > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max() : static_cast<long>(ms);
}

}  // namespace

struct EventLoop::Watch {
  int fd = -1;
  void* socket = nullptr;
  short events = 0;
  bool alive = true;
  std::size_t index = 0;
  ReadyCallback on_ready;  // plain descriptors
  Task on_readable;        // ZeroMQ sockets
};

EventLoop::EventLoop(const Clock& clock) : clock_(clock) {}

EventLoop::~EventLoop() {
  for (int fd : signal_fds_) ::close(fd);
}

void EventLoop::AddWatch(std::unique_ptr<Watch> watch) {
  watch->index = items_.size();
  zmq_pollitem_t item{};
  item.socket = watch->socket;
  item.fd = watch->socket == nullptr ? watch->fd : 0;
  item.events = watch->events;
  items_.push_back(item);
  watches_.push_back(std::move(watch));
}

void EventLoop::Unwatch(Watch* watch) {
  watch->alive = false;
  items_[watch->index].events = 0;
  unwatched_.push_back(watch);
}

void EventLoop::WatchFd(int fd, short events, ReadyCallback on_ready) {
  if (fd < 0) return;
  if (static_cast<std::size_t>(fd) >= by_fd_.size()) by_fd_.resize(fd + 1, nullptr);
  if (by_fd_[fd] != nullptr) Unwatch(by_fd_[fd]);
  auto watch = std::make_unique<Watch>();
  watch->fd = fd;
  watch->events = events;
  watch->on_ready = std::move(on_ready);
  by_fd_[fd] = watch.get();
  AddWatch(std::move(watch));
}

void EventLoop::SetFdEvents(int fd, short events) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size() || by_fd_[fd] == nullptr) return;
  Watch* watch = by_fd_[fd];
  watch->events = events;
  items_[watch->index].events = events;
}

void EventLoop::UnwatchFd(int fd) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size() || by_fd_[fd] == nullptr) return;
  Unwatch(by_fd_[fd]);
  by_fd_[fd] = nullptr;
}

void EventLoop::WatchSocket(zmq::socket_t& socket, Task on_readable) {
  UnwatchSocket(socket);
  auto watch = std::make_unique<Watch>();
  watch->socket = socket.handle();
  watch->events = kReadable;
  watch->on_readable = std::move(on_readable);
  socket_watches_.push_back(watch.get());
  AddWatch(std::move(watch));
}

void EventLoop::UnwatchSocket(zmq::socket_t& socket) {
  for (auto it = socket_watches_.begin(); it != socket_watches_.end(); ++it) {
    if ((*it)->socket == socket.handle()) {
      Unwatch(*it);
      socket_watches_.erase(it);
      return;
    }
  }
}

TimerId EventLoop::RunAt(MonoTime when, Task task) { return timers_.Add(when, std::move(task)); }

TimerId EventLoop::RunAfter(Duration delay, Task task) {
  return timers_.Add(clock_.Now() + delay, std::move(task));
}

void EventLoop::Cancel(TimerId id) { timers_.Cancel(id); }

void EventLoop::RunAtEndOfTurn(Task task) { end_of_turn_.push_back(std::move(task)); }

void EventLoop::WatchSignals(std::initializer_list<int> signals,
                             std::function<void(int)> on_signal) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int signo : signals) sigaddset(&mask, signo);
  if (int rc = pthread_sigmask(SIG_BLOCK, &mask, nullptr); rc != 0) {
    spdlog::error("pthread_sigmask: {}", std::strerror(rc));
    return;
  }
  const int fd = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    spdlog::error("signalfd: {}", std::strerror(errno));
    return;
  }
  signal_fds_.push_back(fd);
  WatchFd(fd, kReadable, [fd, on_signal = std::move(on_signal)](short) {
    signalfd_siginfo info;
    while (::read(fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      on_signal(static_cast<int>(info.ssi_signo));
    }
  });
}

void EventLoop::Run() {
  while (!stopping_) Turn(-1);
  stopping_ = false;
}

void EventLoop::RunOnce(Duration max_wait) { Turn(CeilMs(max_wait)); }

void EventLoop::Stop() { stopping_ = true; }

long EventLoop::PollTimeoutMs(long max_wait_ms) const {
  long timeout = -1;
  if (!end_of_turn_.empty()) {
    timeout = 0;
  } else if (auto due = timers_.NextDue()) {
    timeout = CeilMs(*due - clock_.Now());
  }
  if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms)) timeout = max_wait_ms;
  return timeout;
}

void EventLoop::Turn(long max_wait_ms) {
  PurgeUnwatched();
  int ready = 0;
  for (;;) {
    ready = zmq_poll(items_.data(), static_cast<int>(items_.size()), PollTimeoutMs(max_wait_ms));
    if (ready >= 0) break;
    if (zmq_errno() == EINTR) continue;
    spdlog::error("zmq_poll: {}", zmq_strerror(zmq_errno()));
    ready = 0;
    break;
  }
  Dispatch(items_.size(), ready);
  timers_.RunDue(clock_.Now());
  RunEndOfTurnTasks();
}

// Removes the entries of handles unwatched since the last poll (swap with the last entry).
void EventLoop::PurgeUnwatched() {
  for (std::size_t k = 0; k < unwatched_.size(); ++k) {
    const std::size_t i = unwatched_[k]->index;
    const std::size_t last = items_.size() - 1;
    std::unique_ptr<Watch> doomed = std::move(watches_[i]);
    if (i != last) {
      items_[i] = items_[last];
      watches_[i] = std::move(watches_[last]);
      watches_[i]->index = i;
    }
    items_.pop_back();
    watches_.pop_back();
    // `doomed` dies here; its callback's captures may unwatch more, which appends to unwatched_.
  }
  unwatched_.clear();
}

// Entries appended during dispatch sit past `polled`; dead ones stay in place until the purge.
void EventLoop::Dispatch(std::size_t polled, int ready_count) {
  for (std::size_t i = 0; i < polled && ready_count > 0; ++i) {
    const short revents = items_[i].revents;
    if (revents == 0) continue;
    --ready_count;
    Watch* watch = watches_[i].get();
    if (!watch->alive) continue;
    const short ready = revents & (watch->events | kError);
    if (ready == 0) continue;
    if (watch->socket != nullptr) {
      Guarded("socket callback", [watch] { watch->on_readable(); });
    } else {
      Guarded("fd callback", [watch, ready] { watch->on_ready(ready); });
    }
  }
}

void EventLoop::RunEndOfTurnTasks() {
  for (int round = 0; round < kEndOfTurnRounds && !end_of_turn_.empty(); ++round) {
    running_end_of_turn_.swap(end_of_turn_);
    for (std::size_t i = 0; i < running_end_of_turn_.size(); ++i) {
      Guarded("end-of-turn task", [this, i] { running_end_of_turn_[i](); });
    }
    running_end_of_turn_.clear();
  }
}

}  // namespace shardtrack
