#include "common/reactor/event_loop.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

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
  return ms > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                              : static_cast<long>(ms);
}

}  // namespace

struct EventLoop::Watch {
  int fd = -1;             // the descriptor in the epoll set (a socket's ZMQ_FD)
  void* socket = nullptr;  // ZeroMQ sockets only
  short events = 0;
  bool alive = true;
  bool prompt = false;          // also in the prompt epoll set
  bool maybe_readable = false;  // ZeroMQ sockets: ZMQ_EVENTS said so, or their ZMQ_FD fired
  std::size_t index = 0;
  ReadyCallback on_ready;  // plain descriptors
  Task on_readable;        // ZeroMQ sockets
};

namespace {

std::uint32_t EpollEvents(short events) {
  std::uint32_t out = 0;
  if (events & EventLoop::kReadable) out |= EPOLLIN;
  if (events & EventLoop::kWritable) out |= EPOLLOUT;
  return out;
}

short LoopEvents(std::uint32_t events) {
  short out = 0;
  if (events & EPOLLIN) out |= EventLoop::kReadable;
  if (events & EPOLLOUT) out |= EventLoop::kWritable;
  if (events & (EPOLLERR | EPOLLHUP)) out |= EventLoop::kError;
  return out;
}

void EpollControl(int epoll_fd, int op, int fd, std::uint32_t events, void* data) {
  epoll_event event{};
  event.events = events;
  event.data.ptr = data;
  if (::epoll_ctl(epoll_fd, op, fd, &event) != 0) {
    spdlog::error("epoll_ctl({}) on fd {}: {}", op, fd, std::strerror(errno));
  }
}

}  // namespace

EventLoop::EventLoop(const Clock& clock) : clock_(clock), ready_(256) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  prompt_epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0 || prompt_epoll_fd_ < 0) {  // a loop that can watch nothing is no loop
    const std::string error = std::strerror(errno);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (prompt_epoll_fd_ >= 0) ::close(prompt_epoll_fd_);
    throw std::runtime_error("epoll_create1: " + error +
                             " (raise the open-file limit, or stop processes holding many)");
  }
}

EventLoop::~EventLoop() {
  for (int fd : signal_fds_) ::close(fd);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (prompt_epoll_fd_ >= 0) ::close(prompt_epoll_fd_);
}

// Adds, changes or removes `watch` in the epoll set, and in the prompt set too when it is kPrompt.
void EventLoop::Control(int op, Watch* watch, short events) {
  EpollControl(epoll_fd_, op, watch->fd, EpollEvents(events), watch);
  if (watch->prompt) EpollControl(prompt_epoll_fd_, op, watch->fd, EpollEvents(events), watch);
}

void EventLoop::AddWatch(std::unique_ptr<Watch> watch, short events) {
  watch->index = watches_.size();
  Control(EPOLL_CTL_ADD, watch.get(), events);
  watches_.push_back(std::move(watch));
}

void EventLoop::Unwatch(Watch* watch, bool closing) {
  watch->alive = false;
  if (!closing || forked_children_ > 0) Control(EPOLL_CTL_DEL, watch, 0);
  unwatched_.push_back(watch);
}

void EventLoop::WatchFd(int fd, short events, ReadyCallback on_ready, Urgency urgency) {
  if (fd < 0) return;
  if (static_cast<std::size_t>(fd) >= by_fd_.size()) by_fd_.resize(fd + 1, nullptr);
  if (by_fd_[fd] != nullptr) Unwatch(by_fd_[fd]);
  auto watch = std::make_unique<Watch>();
  watch->fd = fd;
  watch->events = events;
  watch->prompt = urgency == Urgency::kPrompt;
  watch->on_ready = std::move(on_ready);
  by_fd_[fd] = watch.get();
  AddWatch(std::move(watch), events);
}

void EventLoop::SetFdEvents(int fd, short events) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size() || by_fd_[fd] == nullptr) return;
  Watch* watch = by_fd_[fd];
  if (watch->events == events) return;
  watch->events = events;
  Control(EPOLL_CTL_MOD, watch, events);
}

void EventLoop::UnwatchFd(int fd) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size() || by_fd_[fd] == nullptr) return;
  Unwatch(by_fd_[fd]);
  by_fd_[fd] = nullptr;
}

void EventLoop::UnwatchClosingFd(int fd) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size() || by_fd_[fd] == nullptr) return;
  Unwatch(by_fd_[fd], /*closing=*/true);
  by_fd_[fd] = nullptr;
}

void EventLoop::WatchSocket(zmq::socket_t& socket, Task on_readable) {
  UnwatchSocket(socket);
  auto watch = std::make_unique<Watch>();
  const int fd = socket.get(zmq::sockopt::fd);
  watch->fd = fd;
  watch->socket = socket.handle();
  watch->events = kReadable;
  watch->prompt = true;
  watch->on_readable = std::move(on_readable);
  watch->maybe_readable = true;  // messages may be waiting already
  socket_watches_.push_back(watch.get());
  AddWatch(std::move(watch), kReadable);
}

void EventLoop::UnwatchSocket(zmq::socket_t& socket) {
  for (Watch* watch : socket_watches_) {
    if (watch->alive && watch->socket == socket.handle()) return Unwatch(watch);
  }
}

TimerId EventLoop::RunAt(MonoTime when, Task task) { return timers_.Add(when, std::move(task)); }

TimerId EventLoop::RunAfter(Duration delay, Task task) {
  return timers_.Add(clock_.Now() + delay, std::move(task));
}

void EventLoop::Cancel(TimerId id) { timers_.Cancel(id); }

void EventLoop::RunAtEndOfTurn(Task task) { end_of_turn_.push_back(std::move(task)); }

namespace {

sigset_t MaskOf(std::initializer_list<int> signals) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int signo : signals) sigaddset(&mask, signo);
  return mask;
}

bool Block(const sigset_t& mask) {
  if (int rc = pthread_sigmask(SIG_BLOCK, &mask, nullptr); rc != 0) {
    spdlog::error("pthread_sigmask: {}", std::strerror(rc));
    return false;
  }
  return true;
}

}  // namespace

void EventLoop::HoldSignals(std::initializer_list<int> signals) { Block(MaskOf(signals)); }

bool EventLoop::SignalPending(std::initializer_list<int> signals) {
  sigset_t pending;
  if (::sigpending(&pending) != 0) return false;
  return std::any_of(signals.begin(), signals.end(),
                     [&pending](int signal) { return ::sigismember(&pending, signal) == 1; });
}

void EventLoop::WatchSignals(std::initializer_list<int> signals,
                             std::function<void(int)> on_signal) {
  const sigset_t mask = MaskOf(signals);
  if (!Block(mask)) return;
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

long EventLoop::PollTimeoutMs(long max_wait_ms) {
  long timeout = -1;
  const bool socket_readable = RefreshSocketHints();
  if (!end_of_turn_.empty() || socket_readable) {
    timeout = 0;
  } else if (auto due = timers_.NextDue()) {
    timeout = CeilMs(*due - clock_.Now());
  }
  if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms)) timeout = max_wait_ms;
  return timeout;
}

void EventLoop::Turn(long max_wait_ms) {
  PurgeUnwatched();
  ++counters_.turns;
  if (busy_) {
    ++counters_.holds;
    ServePromptUntil(last_wake_ + batch_window_);
    PurgeUnwatched();
  }
  const bool batching = batch_window_ > Duration::zero();  // else no clock is read
  const auto before = batching ? std::chrono::steady_clock::now() : last_wake_;
  int ready = ::epoll_wait(epoll_fd_, ready_.data(), static_cast<int>(ready_.size()),
                           static_cast<int>(PollTimeoutMs(max_wait_ms)));
  if (batching) last_wake_ = std::chrono::steady_clock::now();
  if (ready < 0) {
    if (errno != EINTR) spdlog::error("epoll_wait: {}", std::strerror(errno));
    ready = 0;
  }
  const int batched = Dispatch(ready);
  busy_ = batching && batched > 0 && last_wake_ - before < batch_window_;
  DispatchSockets();
  timers_.RunDue(clock_.Now());
  RunEndOfTurnTasks();
}

// Serves ZeroMQ sockets, kPrompt descriptors, timers and end-of-turn tasks until `deadline`;
// the other descriptors wait for the turn after it.
void EventLoop::ServePromptUntil(std::chrono::steady_clock::time_point deadline) {
  for (auto now = std::chrono::steady_clock::now(); !stopping_ && now < deadline;
       now = std::chrono::steady_clock::now()) {
    if (!RefreshSocketHints() && end_of_turn_.empty()) {
      Duration until = deadline - now;
      if (auto due = timers_.NextDue()) until = std::min(until, *due - clock_.Now());
      const auto left =
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::max(until, Duration::zero()));
      const timespec wait{static_cast<time_t>(left.count() / 1'000'000'000),
                          static_cast<long>(left.count() % 1'000'000'000)};
      int ready = ::epoll_pwait2(prompt_epoll_fd_, ready_.data(), static_cast<int>(ready_.size()),
                                 &wait, nullptr);
      if (ready < 0) {
        if (errno != EINTR) spdlog::error("epoll_pwait2: {}", std::strerror(errno));
        ready = 0;
      }
      Dispatch(ready);
    }
    DispatchSockets();
    timers_.RunDue(clock_.Now());
    RunEndOfTurnTasks();
  }
}

// Removes the entries of handles unwatched since the last wait (swap with the last entry).
void EventLoop::PurgeUnwatched() {
  for (std::size_t k = 0; k < unwatched_.size(); ++k) {
    const std::size_t i = unwatched_[k]->index;
    const std::size_t last = watches_.size() - 1;
    std::unique_ptr<Watch> doomed = std::move(watches_[i]);
    if (doomed->socket != nullptr) std::erase(socket_watches_, doomed.get());
    if (i != last) {
      watches_[i] = std::move(watches_[last]);
      watches_[i]->index = i;
    }
    watches_.pop_back();
    // `doomed` dies here; its callback's captures may unwatch more, which appends to unwatched_.
  }
  unwatched_.clear();
}

// Plain descriptors. A ZeroMQ socket's ZMQ_FD only wakes the loop: DispatchSockets serves it.
// Returns how many kBatched descriptors were called.
int EventLoop::Dispatch(int ready_count) {
  int batched = 0;
  for (int i = 0; i < ready_count; ++i) {
    Watch* watch = static_cast<Watch*>(ready_[i].data.ptr);
    if (!watch->alive) continue;
    if (watch->socket != nullptr) {
      watch->maybe_readable = true;  // its state changed: DispatchSockets calls it
      continue;
    }
    const short ready = LoopEvents(ready_[i].events) & (watch->events | kError);
    if (ready == 0) continue;
    if (!watch->prompt) ++batched;
    Guarded("fd callback", [watch, ready] { watch->on_ready(ready); });
  }
  return batched;
}

// Asks every watched ZeroMQ socket whether it is readable, which also re-arms its ZMQ_FD: work
// done on a socket since the last wait (a send) may have taken in a message without the
// descriptor firing.
bool EventLoop::RefreshSocketHints() {
  bool any = false;
  for (Watch* watch : socket_watches_) {
    if (!watch->alive) continue;  // its socket may be closed already
    int events = 0;
    std::size_t size = sizeof events;
    if (zmq_getsockopt(watch->socket, ZMQ_EVENTS, &events, &size) == 0 && (events & ZMQ_POLLIN)) {
      watch->maybe_readable = true;
    }
    any |= watch->maybe_readable;
  }
  return any;
}

// Calls the sockets that were readable before the wait or whose ZMQ_FD fired during it, without
// asking again: the callback's own receive does that (and processes the socket's pending
// commands, so its descriptor stops firing). A socket that turns out to have nothing is told
// EAGAIN by its first receive.
void EventLoop::DispatchSockets() {
  // By index: a callback may watch another socket, which appends to socket_watches_.
  for (std::size_t i = 0; i < socket_watches_.size(); ++i) {
    Watch* watch = socket_watches_[i];
    if (!watch->alive || !watch->maybe_readable) continue;
    watch->maybe_readable = false;
    Guarded("socket callback", [watch] { watch->on_readable(); });
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
