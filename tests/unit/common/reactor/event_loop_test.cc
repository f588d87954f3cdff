// EventLoop: fd and ZeroMQ dispatch, unwatching during dispatch, end-of-turn tasks, timers, Stop,
// the batch window.
// Every wait is a bounded number of RunOnce turns, so a bug fails instead of hanging.
#include "common/reactor/event_loop.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

namespace shardtrack {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A pipe whose ends close with it.
struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0) {
      read_end = fds[0];
      write_end = fds[1];
    }
  }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  void Write(const std::string& bytes) const {
    EXPECT_EQ(::write(write_end, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  std::string Drain() const {
    std::string out;
    char buffer[256];
    ssize_t n;
    while ((n = ::read(read_end, buffer, sizeof buffer)) > 0) out.append(buffer, n);
    return out;
  }
  void CloseRead() {
    if (read_end >= 0) ::close(read_end);
    read_end = -1;
  }
  void CloseWrite() {
    if (write_end >= 0) ::close(write_end);
    write_end = -1;
  }
};

// Aborts the test binary if a blocking call (Run) does not return in time: a hang becomes a
// failure with a message.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::seconds limit)
      : thread_([this, limit] {
          std::unique_lock lock(mutex_);
          if (!done_cv_.wait_for(lock, limit, [this] { return done_; })) {
            std::fprintf(stderr, "watchdog: the loop did not return within %llds\n",
                         static_cast<long long>(limit.count()));
            std::abort();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_one();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;
};

class EventLoopTest : public ::testing::Test {
 protected:
  // Turns until `done` holds, at most `max_turns` of up to 10 ms each.
  template <typename Pred>
  bool PumpUntil(EventLoop& loop, Pred done, int max_turns = 500) {
    for (int i = 0; i < max_turns && !done(); ++i) loop.RunOnce(milliseconds(10));
    return done();
  }

  FakeClock clock_;
  EventLoop loop_{clock_};
  std::vector<std::string> log_;
};

TEST_F(EventLoopTest, CallsAWatchedFdWhenItBecomesReadable) {
  Pipe pipe;
  short seen = 0;
  int calls = 0;
  loop_.WatchFd(pipe.read_end, EventLoop::kReadable, [&](short ready) {
    seen = ready;
    ++calls;
    log_.push_back(pipe.Drain());
  });
  loop_.RunOnce(milliseconds(0));
  EXPECT_EQ(calls, 0);

  pipe.Write("ping");
  loop_.RunOnce(milliseconds(0));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(seen & EventLoop::kReadable);
  EXPECT_THAT(log_, ElementsAre("ping"));
}

TEST_F(EventLoopTest, IsLevelTriggeredUntilTheInputIsRead) {
  Pipe pipe;
  int calls = 0;
  loop_.WatchFd(pipe.read_end, EventLoop::kReadable, [&](short) { ++calls; });
  pipe.Write("x");
  loop_.RunOnce(milliseconds(0));
  loop_.RunOnce(milliseconds(0));
  EXPECT_EQ(calls, 2);
  pipe.Drain();
  loop_.RunOnce(milliseconds(0));
  EXPECT_EQ(calls, 2);
}

TEST_F(EventLoopTest, ReportsWritableAndFollowsSetFdEvents) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  std::vector<short> seen;
  loop_.WatchFd(fds[0], EventLoop::kWritable, [&](short ready) { seen.push_back(ready); });
  loop_.RunOnce(milliseconds(0));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0] & EventLoop::kWritable);
  EXPECT_FALSE(seen[0] & EventLoop::kReadable);

  loop_.SetFdEvents(fds[0], EventLoop::kReadable);
  loop_.RunOnce(milliseconds(0));
  EXPECT_EQ(seen.size(), 1u);  // nothing to read, and no longer asking for writable
  ASSERT_EQ(::write(fds[1], "a", 1), 1);
  loop_.RunOnce(milliseconds(0));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(seen[1] & EventLoop::kReadable);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_F(EventLoopTest, ReportsAHangUpEvenWhenWatchingNoEvents) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  std::vector<short> seen;
  loop_.WatchFd(fds[0], 0, [&](short ready) { seen.push_back(ready); });
  loop_.RunOnce(milliseconds(0));
  EXPECT_THAT(seen, IsEmpty());
  ::close(fds[1]);
  loop_.RunOnce(milliseconds(0));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], EventLoop::kError);
  ::close(fds[0]);
}

TEST_F(EventLoopTest, UnwatchedFdIsNotCalledAgain) {
  Pipe pipe;
  int calls = 0;
  loop_.WatchFd(pipe.read_end, EventLoop::kReadable, [&](short) { ++calls; });
  pipe.Write("x");
  loop_.RunOnce(milliseconds(0));
  loop_.UnwatchFd(pipe.read_end);
  loop_.RunOnce(milliseconds(0));
  loop_.RunOnce(milliseconds(0));
  EXPECT_EQ(calls, 1);
}

TEST_F(EventLoopTest, HandleUnwatchedDuringDispatchIsNotCalledInThatTurn) {
  Pipe a;
  Pipe b;
  // Whichever runs first unwatches the other, which is ready too.
  loop_.WatchFd(a.read_end, EventLoop::kReadable, [&](short) {
    log_.push_back("a");
    a.Drain();
    loop_.UnwatchFd(b.read_end);
  });
  loop_.WatchFd(b.read_end, EventLoop::kReadable, [&](short) {
    log_.push_back("b");
    b.Drain();
    loop_.UnwatchFd(a.read_end);
  });
  a.Write("x");
  b.Write("x");
  loop_.RunOnce(milliseconds(0));
  loop_.RunOnce(milliseconds(0));
  EXPECT_EQ(log_.size(), 1u);
}

TEST_F(EventLoopTest, CallbackMayUnwatchAndCloseItsOwnFd) {
  Pipe pipe;
  Pipe other;
  int calls = 0;
  int other_calls = 0;
  loop_.WatchFd(pipe.read_end, EventLoop::kReadable, [&](short) {
    ++calls;
    loop_.UnwatchFd(pipe.read_end);
    pipe.CloseRead();
  });
  loop_.WatchFd(other.read_end, EventLoop::kReadable, [&](short) {
    ++other_calls;
    other.Drain();
  });
  pipe.Write("x");
  other.Write("y");
  loop_.RunOnce(milliseconds(0));
  other.Write("z");
  loop_.RunOnce(milliseconds(0));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(other_calls, 2);  // the rest of the loop carries on
}

// Whether an epoll set of this process has `fd` registered (/proc/self/fdinfo lists each
// registration as "tfd: <fd> ...").
bool EpollRegisters(int fd) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const auto target = std::filesystem::read_symlink(entry.path(), error);
    if (error || target.string() != "anon_inode:[eventpoll]") continue;
    std::ifstream info("/proc/self/fdinfo/" + entry.path().filename().string());
    for (std::string line; std::getline(info, line);) {
      if (line.starts_with("tfd:") && std::stoi(line.substr(4)) == fd) return true;
    }
  }
  return false;
}

// A forked child holding a copy of a descriptor (here: a dup) keeps its registration alive past
// the close; while a ForkedChildGuard is held, UnwatchClosingFd removes it itself.
TEST_F(EventLoopTest, AClosingFdLeavesNoRegistrationWhileAForkedChildMayHoldIt) {
  Pipe pipe;
  loop_.WatchFd(pipe.read_end, EventLoop::kReadable, [](short) {});
  ASSERT_TRUE(EpollRegisters(pipe.read_end));
  const int childs_copy = ::dup(pipe.read_end);
  {
    EventLoop::ForkedChildGuard guard(loop_);
    loop_.UnwatchClosingFd(pipe.read_end);
    const int closed = pipe.read_end;
    pipe.CloseRead();
    EXPECT_FALSE(EpollRegisters(closed));
  }
  ::close(childs_copy);
}

TEST_F(EventLoopTest, WatchingAnFdAgainReplacesItsCallbackFromTheNextTurn) {
  Pipe pipe;
  loop_.WatchFd(pipe.read_end, EventLoop::kReadable, [&](short) {
    log_.push_back("old");
    loop_.WatchFd(pipe.read_end, EventLoop::kReadable, [&](short) {
      log_.push_back("new");
      pipe.Drain();
    });
  });
  pipe.Write("x");
  loop_.RunOnce(milliseconds(0));
  loop_.RunOnce(milliseconds(0));
  loop_.RunOnce(milliseconds(0));
  EXPECT_THAT(log_, ElementsAre("old", "new"));
}

TEST_F(EventLoopTest, EndOfTurnTasksRunAfterEveryHandlerAndTimerOfTheTurn) {
  Pipe a;
  Pipe b;
  loop_.WatchFd(a.read_end, EventLoop::kReadable, [&](short) {
    a.Drain();
    log_.push_back("handler a");
    loop_.RunAtEndOfTurn([&] { log_.push_back("end of turn"); });
  });
  loop_.WatchFd(b.read_end, EventLoop::kReadable, [&](short) {
    b.Drain();
    log_.push_back("handler b");
    loop_.RunAtEndOfTurn([&] { log_.push_back("end of turn"); });
  });
  loop_.RunAt(clock_.Now(), [&] { log_.push_back("timer"); });
  a.Write("x");
  b.Write("x");
  loop_.RunOnce(milliseconds(0));
  EXPECT_THAT(log_, ElementsAre("handler a", "handler b", "timer", "end of turn", "end of turn"));
}

TEST_F(EventLoopTest, EndOfTurnTaskQueuedOutsideATurnRunsInTheNextOne) {
  bool ran = false;
  loop_.RunAtEndOfTurn([&] { ran = true; });
  EXPECT_FALSE(ran);
  loop_.RunOnce(milliseconds(0));
  EXPECT_TRUE(ran);
}

TEST_F(EventLoopTest, EndOfTurnTaskThatKeepsRequeueingDoesNotStallTheTurn) {
  int runs = 0;
  std::function<void()> again = [&] {
    ++runs;
    loop_.RunAtEndOfTurn(again);
  };
  loop_.RunAtEndOfTurn(again);
  loop_.RunOnce(milliseconds(0));  // returns: a bounded number of rounds per turn
  const int after_one_turn = runs;
  EXPECT_GE(after_one_turn, 1);
  loop_.RunOnce(milliseconds(0));
  EXPECT_GT(runs, after_one_turn);
}

TEST_F(EventLoopTest, TimersRunWhenTheClockReachesThem) {
  loop_.RunAfter(std::chrono::seconds(2), [&] { log_.push_back("2s"); });
  loop_.RunAfter(std::chrono::seconds(1), [&] { log_.push_back("1s"); });
  const TimerId cancelled = loop_.RunAfter(std::chrono::seconds(1), [&] { log_.push_back("x"); });
  loop_.Cancel(cancelled);
  loop_.RunOnce(milliseconds(0));
  EXPECT_THAT(log_, IsEmpty());
  clock_.Advance(std::chrono::seconds(1));
  loop_.RunOnce(milliseconds(0));
  EXPECT_THAT(log_, ElementsAre("1s"));
  clock_.Advance(std::chrono::seconds(5));
  loop_.RunOnce(milliseconds(0));
  EXPECT_THAT(log_, ElementsAre("1s", "2s"));
  loop_.Cancel(cancelled);  // harmless
}

TEST_F(EventLoopTest, RunAfterWithTheSystemClockFires) {
  SystemClock system;
  EventLoop loop(system);
  bool fired = false;
  loop.RunAfter(milliseconds(20), [&] { fired = true; });
  EXPECT_TRUE(PumpUntil(loop, [&] { return fired; }));
}

TEST_F(EventLoopTest, ExceptionInACallbackIsContained) {
  Pipe a;
  Pipe b;
  loop_.WatchFd(a.read_end, EventLoop::kReadable, [&](short) {
    a.Drain();
    throw std::runtime_error("handler bug");
  });
  loop_.WatchFd(b.read_end, EventLoop::kReadable, [&](short) {
    b.Drain();
    log_.push_back("b");
  });
  loop_.RunAt(clock_.Now(), [] { throw std::runtime_error("timer bug"); });
  loop_.RunAtEndOfTurn([] { throw 7; });
  loop_.RunAtEndOfTurn([&] { log_.push_back("end"); });
  a.Write("x");
  b.Write("x");
  loop_.RunOnce(milliseconds(0));
  EXPECT_THAT(log_, ElementsAre("b", "end"));
}

TEST_F(EventLoopTest, WatchesAZeroMqPairSocket) {
  zmq::context_t context(1);
  zmq::socket_t receiver(context, zmq::socket_type::pair);
  zmq::socket_t sender(context, zmq::socket_type::pair);
  receiver.bind("inproc://event-loop-test");
  sender.connect("inproc://event-loop-test");

  std::vector<std::string> received;
  loop_.WatchSocket(receiver, [&] {
    zmq::message_t message;
    while (receiver.recv(message, zmq::recv_flags::dontwait))
      received.push_back(message.to_string());
  });
  loop_.RunOnce(milliseconds(0));
  EXPECT_THAT(received, IsEmpty());

  sender.send(zmq::str_buffer("hello"), zmq::send_flags::none);
  sender.send(zmq::str_buffer("world"), zmq::send_flags::none);
  EXPECT_TRUE(PumpUntil(loop_, [&] { return received.size() == 2; }));
  EXPECT_THAT(received, ElementsAre("hello", "world"));

  loop_.UnwatchSocket(receiver);
  sender.send(zmq::str_buffer("unheard"), zmq::send_flags::none);
  for (int i = 0; i < 5; ++i) loop_.RunOnce(milliseconds(0));
  EXPECT_EQ(received.size(), 2u);
}

TEST_F(EventLoopTest, ASocketCallbackUnwatchingItsSocketSkipsNoOtherSocket) {
  zmq::context_t context(1);
  std::vector<zmq::socket_t> sockets;
  for (int i = 0; i < 3; ++i) sockets.emplace_back(context, zmq::socket_type::pair);
  std::vector<int> calls(3, 0);
  for (int i = 0; i < 3; ++i) {  // each may be readable when first watched: called in turn one
    loop_.WatchSocket(sockets[i], [&, i] {
      ++calls[i];
      if (i == 0) loop_.UnwatchSocket(sockets[0]);
    });
  }
  loop_.RunOnce(milliseconds(0));
  EXPECT_THAT(calls, ElementsAre(1, 1, 1));
}

// A start's load runs before the loop reads signals: a held stop is seen there.
TEST(EventLoopSignalsTest, AHeldSignalIsPendingUntilRead) {
  sigset_t before;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &before);
  EventLoop::HoldSignals({SIGUSR2});
  EXPECT_FALSE(EventLoop::SignalPending({SIGUSR1, SIGUSR2}));
  ::raise(SIGUSR2);
  EXPECT_TRUE(EventLoop::SignalPending({SIGUSR1, SIGUSR2}));
  EXPECT_FALSE(EventLoop::SignalPending({SIGUSR1}));
  sigset_t held;
  ::sigemptyset(&held);
  ::sigaddset(&held, SIGUSR2);
  const timespec now{};
  EXPECT_EQ(::sigtimedwait(&held, nullptr, &now), SIGUSR2);  // read: pending no more
  EXPECT_FALSE(EventLoop::SignalPending({SIGUSR2}));
  ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

TEST_F(EventLoopTest, StopEndsRunAfterTheCurrentTurn) {
  Watchdog watchdog(std::chrono::seconds(20));
  int turns = 0;
  std::function<void()> tick = [&] {
    if (++turns == 3) {
      loop_.Stop();
    } else {
      loop_.RunAt(clock_.Now(), tick);
    }
  };
  loop_.RunAt(clock_.Now(), tick);
  loop_.Run();
  EXPECT_EQ(turns, 3);

  // The loop can run again and be stopped again.
  loop_.RunAtEndOfTurn([&] { loop_.Stop(); });
  loop_.Run();
  EXPECT_EQ(turns, 3);
}

TEST_F(EventLoopTest, StopFromAnFdCallbackEndsRun) {
  Watchdog watchdog(std::chrono::seconds(20));
  Pipe pipe;
  loop_.WatchFd(pipe.read_end, EventLoop::kReadable, [&](short) {
    pipe.Drain();
    loop_.Stop();
  });
  pipe.Write("stop");
  loop_.Run();
  SUCCEED();
}

// SetBatchWindow holds input back for real time, so these tests use it: each hold is a bounded
// wait, and only what cannot be noise is asserted (a hold lasts at least its window; what is
// served during it comes before the input it holds).
class BatchWindowTest : public EventLoopTest {
 protected:
  using Steady = std::chrono::steady_clock;
  static constexpr auto kWindow = milliseconds(200);

  BatchWindowTest() { loop_.SetBatchWindow(kWindow); }

  // Watches `pipe` as `urgency`; each call logs `name` and when it came.
  void WatchLogged(Pipe& pipe, const std::string& name, EventLoop::Urgency urgency) {
    loop_.WatchFd(
        pipe.read_end, EventLoop::kReadable,
        [this, &pipe, name](short) {
          pipe.Drain();
          log_.push_back(name);
          served_at_[name] = Steady::now();
        },
        urgency);
  }

  std::map<std::string, Steady::time_point> served_at_;
};

TEST_F(BatchWindowTest, InputArrivingWhileTheLoopIsBusyWaitsOutTheWindow) {
  Pipe input, prompt;
  WatchLogged(input, "input", EventLoop::Urgency::kBatched);
  WatchLogged(prompt, "prompt", EventLoop::Urgency::kPrompt);
  zmq::context_t context(1);
  zmq::socket_t receiver(context, zmq::socket_type::pair);
  zmq::socket_t sender(context, zmq::socket_type::pair);
  receiver.bind("inproc://batch-window-test");
  sender.connect("inproc://batch-window-test");
  loop_.WatchSocket(receiver, [&] {
    zmq::message_t message;
    while (receiver.recv(message, zmq::recv_flags::dontwait)) log_.push_back("zmq");
  });

  input.Write("a");  // ready before the wait: the loop is busy
  loop_.RunOnce(milliseconds(0));
  ASSERT_THAT(log_, ElementsAre("input"));
  const Steady::time_point first = served_at_["input"];

  input.Write("b");
  prompt.Write("p");
  sender.send(zmq::str_buffer("reply"), zmq::send_flags::none);
  EXPECT_TRUE(PumpUntil(loop_, [&] { return log_.size() == 4; }));
  EXPECT_THAT(log_, ElementsAre("input", ::testing::_, ::testing::_, "input"));
  EXPECT_THAT(std::vector<std::string>(log_.begin() + 1, log_.begin() + 3),
              ::testing::UnorderedElementsAre("prompt", "zmq"));
  EXPECT_GE(served_at_["input"] - first, kWindow);
  EXPECT_EQ(loop_.counters().holds, 1u);
  EXPECT_GE(loop_.counters().turns, 2u);
}

TEST_F(BatchWindowTest, AnIdleLoopServesInputAtOnce) {
  Pipe input;
  WatchLogged(input, "input", EventLoop::Urgency::kBatched);
  input.Write("a");
  loop_.RunOnce(milliseconds(0));             // busy: the next input would be held
  loop_.RunOnce(kWindow + milliseconds(50));  // nothing comes for longer than a window: idle

  input.Write("b");
  const Steady::time_point written = Steady::now();
  loop_.RunOnce(milliseconds(0));
  EXPECT_THAT(log_, ElementsAre("input", "input"));
  EXPECT_LT(served_at_["input"] - written, kWindow);
}

TEST_F(BatchWindowTest, PromptWorkAloneDoesNotStartAHold) {
  Pipe input, prompt;
  WatchLogged(input, "input", EventLoop::Urgency::kBatched);
  WatchLogged(prompt, "prompt", EventLoop::Urgency::kPrompt);
  loop_.RunOnce(kWindow + milliseconds(50));  // idle
  prompt.Write("p");  // ready before the wait, like a shard's reply right after a request
  loop_.RunOnce(milliseconds(0));

  input.Write("a");
  const Steady::time_point written = Steady::now();
  loop_.RunOnce(milliseconds(0));
  EXPECT_THAT(log_, ElementsAre("prompt", "input"));
  EXPECT_LT(served_at_["input"] - written, kWindow);
  EXPECT_EQ(loop_.counters().holds, 0u);
}

TEST_F(BatchWindowTest, WithoutAWindowInputIsNeverHeld) {
  loop_.SetBatchWindow(Duration::zero());
  Pipe input;
  WatchLogged(input, "input", EventLoop::Urgency::kBatched);
  for (const char* bytes : {"a", "b", "c"}) {  // each ready before the wait: a busy loop
    input.Write(bytes);
    const Steady::time_point written = Steady::now();
    loop_.RunOnce(milliseconds(0));
    EXPECT_LT(served_at_["input"] - written, kWindow);
  }
  EXPECT_THAT(log_, ElementsAre("input", "input", "input"));
}

}  // namespace
}  // namespace shardtrack
