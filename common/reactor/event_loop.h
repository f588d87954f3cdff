// EventLoop: the RawServer idea in C++. One thread waits on plain file descriptors and ZeroMQ
// sockets in one epoll set (level-triggered for descriptors), dispatches the ready ones, then
// runs due timers and end-of-turn tasks. It knows nothing of HTTP or of any protocol.
//
// epoll rather than zmq_poll: a turn costs O(ready) instead of O(watched), which matters with
// thousands of client connections. A ZeroMQ socket is watched through its ZMQ_FD, which only
// signals that its state may have changed; so before each wait the loop asks each watched
// socket's ZMQ_EVENTS and does not block while one is readable, and a socket that was readable
// or whose ZMQ_FD fired is called in the turn. Its callback must receive until EAGAIN (it may
// find nothing).
//
// Batching (SetBatchWindow): when client input arrives more often than once per window, the loop
// reads it at most once per window, so that a busy frontend handles, and sends to its shards,
// several requests per turn instead of one, and pays the per-turn costs (the wait, the ZeroMQ
// wake-ups) once for all of them. Meanwhile it keeps serving what is kPrompt (ZeroMQ sockets, a
// worker's completion): a shard's reply is written out as soon as it comes. Only a wait that
// returned input after blocking for less than a window starts a hold: a lone request, and the
// wake-up for its reply, cost no extra turn.
//
// Loop thread only: every method must be called from the thread that calls Run(). Callbacks may
// watch, unwatch, schedule and cancel freely, including their own handle; a handle unwatched
// during a turn is not called again in that turn. An exception escaping a callback is logged
// (spdlog::error) and the loop carries on. The loop owns the callbacks; sockets stay the caller's.
#pragma once

#include <sys/epoll.h>

#include <csignal>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/reactor/timer_queue.h"

namespace shardtrack {

class EventLoop {
 public:
  // Bit flags for WatchFd; also what a ReadyCallback receives (plus kError on POLLERR/POLLHUP).
  static constexpr short kReadable = ZMQ_POLLIN;
  static constexpr short kWritable = ZMQ_POLLOUT;
  static constexpr short kError = ZMQ_POLLERR;

  // How a descriptor is served while the loop holds back input (SetBatchWindow).
  enum class Urgency { kBatched, kPrompt };

  using Task = std::function<void()>;
  using ReadyCallback = std::function<void(short ready_events)>;

  explicit EventLoop(const Clock& clock);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  const Clock& clock() const { return clock_; }

  // Plain descriptors (sockets, signalfd). `events` is kReadable and/or kWritable.
  void WatchFd(int fd, short events, ReadyCallback on_ready, Urgency urgency = Urgency::kBatched);
  void SetFdEvents(int fd, short events);
  void UnwatchFd(int fd);
  // Unwatches a descriptor the caller closes right away, without the epoll_ctl call: closing it
  // takes it out of the epoll set (one system call less per connection), unless a
  // ForkedChildGuard is held.
  void UnwatchClosingFd(int fd);

  // Held while a forked child may have copies of this process's descriptors (a snapshot being
  // written): epoll(7) drops a registration only once every copy of its descriptor is closed, so
  // one closed meanwhile would stay registered, its events naming a watch already freed. While
  // one is held, UnwatchClosingFd takes the descriptor out of the set itself. Movable; released
  // when destroyed or replaced.
  class ForkedChildGuard {
   public:
    ForkedChildGuard() = default;
    explicit ForkedChildGuard(EventLoop& loop) : loop_(&loop) { ++loop.forked_children_; }
    ForkedChildGuard(ForkedChildGuard&& other) noexcept : loop_(other.loop_) {
      other.loop_ = nullptr;
    }
    ForkedChildGuard& operator=(ForkedChildGuard&& other) noexcept {
      if (this != &other) {
        Release();
        loop_ = other.loop_;
        other.loop_ = nullptr;
      }
      return *this;
    }
    ~ForkedChildGuard() { Release(); }

   private:
    void Release() {
      if (loop_ != nullptr) --loop_->forked_children_;
      loop_ = nullptr;
    }
    EventLoop* loop_ = nullptr;
  };

  // A ZeroMQ socket, watched for readability. The socket must outlive the watch.
  void WatchSocket(zmq::socket_t& socket, Task on_readable);
  void UnwatchSocket(zmq::socket_t& socket);

  // Timers (RawServer's add_task). Cancelling a timer that already ran is harmless.
  TimerId RunAt(MonoTime when, Task task);
  TimerId RunAfter(Duration delay, Task task);
  void Cancel(TimerId id);

  // Runs `task` once after every ready handle of the current turn was dispatched: the place to
  // flush per-turn batches. Called from outside a turn, it runs at the end of the next one.
  void RunAtEndOfTurn(Task task);

  // Holds `signals` pending for the calling thread until WatchSignals reads them: one that came
  // while the process sets itself up (a SIGHUP during a long list load) would otherwise take
  // its default action and end the process. Call it first thing in main.
  static void HoldSignals(std::initializer_list<int> signals);
  // Whether one of `signals`, held, waits to be read: a stop asked for during a start's long
  // load, before the loop ran.
  static bool SignalPending(std::initializer_list<int> signals);
  // Calls `on_signal(signo)` on the loop when one of `signals` arrives (signalfd; the signals are
  // blocked for the calling thread). Call it before starting other threads (a zmq::context_t),
  // which otherwise inherit an unblocked mask and may take the signal themselves.
  void WatchSignals(std::initializer_list<int> signals, std::function<void(int)> on_signal);

  // Zero (the default) serves input as soon as it is ready.
  void SetBatchWindow(Duration window) { batch_window_ = window; }

  // What the loop did since it was made: turns per request show how much is batched.
  struct Counters {
    std::uint64_t turns = 0;
    std::uint64_t holds = 0;  // turns that began by holding input back for the batch window
  };
  const Counters& counters() const { return counters_; }

  // Runs turns until Stop(). Stop() may be called from any callback.
  void Run();
  // Runs a single turn, waiting at most `max_wait` for something to become ready. For tests.
  void RunOnce(Duration max_wait);
  void Stop();

 private:
  struct Watch;
  void Turn(long max_wait_ms);
  long PollTimeoutMs(long max_wait_ms);
  void PurgeUnwatched();
  void ServePromptUntil(std::chrono::steady_clock::time_point deadline);
  int Dispatch(int ready_count);
  void DispatchSockets();
  bool RefreshSocketHints();
  void AddWatch(std::unique_ptr<Watch> watch, short events);
  void Control(int op, Watch* watch, short events);
  void RunEndOfTurnTasks();
  void Unwatch(Watch* watch, bool closing = false);

  const Clock& clock_;
  TimerQueue timers_;
  // Watch::index says where a watch sits in watches_. Unwatched entries (in socket_watches_ too)
  // stay (marked dead) until the start of the next turn, so a callback is never destroyed while
  // it runs and an event already returned for it is skipped.
  std::vector<std::unique_ptr<Watch>> watches_;
  std::vector<Watch*> by_fd_;           // indexed by fd; nullptr when not watched
  std::vector<Watch*> socket_watches_;  // few: ZeroMQ sockets; dead ones go with watches_
  std::vector<Watch*> unwatched_;
  int epoll_fd_ = -1;
  int prompt_epoll_fd_ = -1;  // the kPrompt descriptors and ZeroMQ sockets again, for holds
  int forked_children_ = 0;   // ForkedChildGuards held
  std::vector<struct epoll_event> ready_;
  std::vector<Task> end_of_turn_;
  std::vector<Task> running_end_of_turn_;
  std::vector<int> signal_fds_;
  bool stopping_ = false;
  // Real time, even with a fake clock_: a hold is a real wait.
  Duration batch_window_{};
  std::chrono::steady_clock::time_point last_wake_{};  // when the last wait returned
  // That wait returned input and had blocked for less than a window: hold the next input.
  bool busy_ = false;
  Counters counters_;
};

}  // namespace shardtrack
