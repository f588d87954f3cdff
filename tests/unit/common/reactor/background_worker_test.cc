// BackgroundWorker: a job runs off the loop thread while the loop keeps turning, and its Status
// comes back on the loop thread, even while the loop holds input back for its batch window.
// Every wait is a bounded number of RunOnce turns.
#include "common/reactor/background_worker.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "common/clock.h"

namespace shardtrack {
namespace {

using std::chrono::milliseconds;

class BackgroundWorkerTest : public ::testing::Test {
 protected:
  // Turns the loop until `done` or 200 turns of at most 10 ms.
  template <typename Predicate>
  void TurnUntil(Predicate done) {
    for (int i = 0; i < 200 && !done(); ++i) loop_.RunOnce(milliseconds(10));
  }

  SystemClock clock_;
  EventLoop loop_{clock_};
  BackgroundWorker worker_{loop_};
};

TEST_F(BackgroundWorkerTest, RunsTheJobOffTheLoopThreadAndDeliversOnIt) {
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id job_thread;
  std::optional<std::thread::id> done_thread;
  worker_.Start(
      [&] {
        job_thread = std::this_thread::get_id();
        return Status(Error{"disk on fire"});
      },
      [&](Status status) {
        done_thread = std::this_thread::get_id();
        EXPECT_EQ(status.error(), "disk on fire");
      });
  EXPECT_TRUE(worker_.busy());
  TurnUntil([&] { return done_thread.has_value(); });
  ASSERT_TRUE(done_thread.has_value());
  EXPECT_EQ(*done_thread, loop_thread);
  EXPECT_NE(job_thread, loop_thread);
  EXPECT_FALSE(worker_.busy());
}

TEST_F(BackgroundWorkerTest, TheLoopKeepsTurningWhileAJobBlocks) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  bool done = false;
  worker_.Start(
      [released] {
        released.wait();
        return OkStatus();
      },
      [&](Status status) { done = status.ok(); });
  bool timer_ran = false;
  loop_.RunAfter(milliseconds(1), [&] { timer_ran = true; });
  TurnUntil([&] { return timer_ran; });
  EXPECT_TRUE(timer_ran);
  EXPECT_FALSE(done);
  release.set_value();
  TurnUntil([&] { return done; });
  EXPECT_TRUE(done);
}

TEST_F(BackgroundWorkerTest, WaitBlocksForTheJobAndRunsDoneOnce) {
  int done_calls = 0;
  worker_.Start(
      [] {
        std::this_thread::sleep_for(milliseconds(20));
        return OkStatus();
      },
      [&](Status) { ++done_calls; });
  worker_.Wait();
  EXPECT_EQ(done_calls, 1);
  EXPECT_FALSE(worker_.busy());
  for (int i = 0; i < 3; ++i) loop_.RunOnce(milliseconds(5));  // the stale wake-up is harmless
  EXPECT_EQ(done_calls, 1);
}

TEST_F(BackgroundWorkerTest, RunsJobsOneAfterAnother) {
  int finished = 0;
  for (int round = 0; round < 3; ++round) {
    worker_.Start([] { return OkStatus(); }, [&](Status) { ++finished; });
    TurnUntil([&] { return !worker_.busy(); });
  }
  EXPECT_EQ(finished, 3);
}

TEST_F(BackgroundWorkerTest, ItsResultIsServedWhileTheLoopHoldsInputBack) {
  using Steady = std::chrono::steady_clock;
  constexpr auto kWindow = milliseconds(300);
  loop_.SetBatchWindow(kWindow);
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  Steady::time_point input_at;
  loop_.WatchFd(fds[0], EventLoop::kReadable, [&](short) {
    char byte;
    while (::read(fds[0], &byte, 1) == 1) input_at = Steady::now();
  });
  ASSERT_EQ(::write(fds[1], "a", 1), 1);
  loop_.RunOnce(milliseconds(0));  // input ready before the wait: the next turn holds
  const Steady::time_point first = input_at;

  std::optional<Steady::time_point> done_at;
  worker_.Start([] { return OkStatus(); }, [&](Status) { done_at = Steady::now(); });
  ASSERT_EQ(::write(fds[1], "b", 1), 1);
  TurnUntil([&] { return done_at && input_at != first; });
  ASSERT_TRUE(done_at.has_value());
  EXPECT_LT(*done_at - first, kWindow);  // during the hold, not after it
  EXPECT_GE(input_at - first, kWindow);  // the input waited the window out
  loop_.UnwatchFd(fds[0]);
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace shardtrack
