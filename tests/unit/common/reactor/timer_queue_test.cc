// TimerQueue: due-time order, ties in insertion order, cancel, tasks added while running, a
// throwing task, and reused nodes. Time is passed in; no clock is read.
#include "common/reactor/timer_queue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace shardtrack {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class TimerQueueTest : public ::testing::Test {
 protected:
  TimerId AddLogging(MonoTime when, std::string name) {
    return queue_.Add(when, [this, name] { ran_.push_back(name); });
  }

  const MonoTime t0_{};
  TimerQueue queue_;
  std::vector<std::string> ran_;
};

TEST_F(TimerQueueTest, RunsDueTasksInDueOrder) {
  AddLogging(t0_ + seconds(3), "c");
  AddLogging(t0_ + seconds(1), "a");
  AddLogging(t0_ + seconds(2), "b");
  EXPECT_EQ(queue_.NextDue(), t0_ + seconds(1));
  EXPECT_EQ(queue_.RunDue(t0_ + seconds(3)), 3u);
  EXPECT_THAT(ran_, ElementsAre("a", "b", "c"));
  EXPECT_EQ(queue_.size(), 0u);
  EXPECT_EQ(queue_.NextDue(), std::nullopt);
}

TEST_F(TimerQueueTest, RunsOnlyWhatIsDueAndKeepsTheRest) {
  AddLogging(t0_ + seconds(1), "a");
  AddLogging(t0_ + seconds(5), "b");
  EXPECT_EQ(queue_.RunDue(t0_), 0u);
  EXPECT_EQ(queue_.RunDue(t0_ + seconds(1)), 1u);  // due exactly now runs
  EXPECT_THAT(ran_, ElementsAre("a"));
  EXPECT_EQ(queue_.size(), 1u);
  EXPECT_EQ(queue_.NextDue(), t0_ + seconds(5));
}

TEST_F(TimerQueueTest, TiesRunInInsertionOrder) {
  for (const char* name : {"first", "second", "third", "fourth"}) AddLogging(t0_, name);
  queue_.RunDue(t0_);
  EXPECT_THAT(ran_, ElementsAre("first", "second", "third", "fourth"));
}

TEST_F(TimerQueueTest, CancelledTaskNeverRuns) {
  AddLogging(t0_, "a");
  const TimerId b = AddLogging(t0_, "b");
  AddLogging(t0_, "c");
  EXPECT_TRUE(queue_.Cancel(b));
  EXPECT_FALSE(queue_.Cancel(b));
  EXPECT_EQ(queue_.size(), 2u);
  queue_.RunDue(t0_);
  EXPECT_THAT(ran_, ElementsAre("a", "c"));
}

TEST_F(TimerQueueTest, CancellingATaskThatRanReturnsFalse) {
  const TimerId a = AddLogging(t0_, "a");
  queue_.RunDue(t0_);
  EXPECT_FALSE(queue_.Cancel(a));
  EXPECT_FALSE(queue_.Cancel(12345));
}

TEST_F(TimerQueueTest, TaskAddedWhileRunningForNowRunsInALaterCall) {
  queue_.Add(t0_, [this] {
    ran_.push_back("outer");
    AddLogging(t0_, "inner");  // due already, but added during RunDue
  });
  AddLogging(t0_, "sibling");
  EXPECT_EQ(queue_.RunDue(t0_), 2u);
  EXPECT_THAT(ran_, ElementsAre("outer", "sibling"));
  EXPECT_EQ(queue_.RunDue(t0_), 1u);
  EXPECT_THAT(ran_, ElementsAre("outer", "sibling", "inner"));
}

TEST_F(TimerQueueTest, TaskReschedulingItselfRunsOncePerCall) {
  int runs = 0;
  std::function<void()> tick = [&] {
    ++runs;
    queue_.Add(t0_, tick);
  };
  queue_.Add(t0_, tick);
  queue_.RunDue(t0_);
  EXPECT_EQ(runs, 1);
  queue_.RunDue(t0_);
  EXPECT_EQ(runs, 2);
}

TEST_F(TimerQueueTest, TaskMayCancelALaterDueTask) {
  TimerId victim = 0;
  queue_.Add(t0_, [&] { EXPECT_TRUE(queue_.Cancel(victim)); });
  victim = AddLogging(t0_ + seconds(1), "victim");
  AddLogging(t0_ + seconds(2), "survivor");
  queue_.RunDue(t0_ + seconds(2));
  EXPECT_THAT(ran_, ElementsAre("survivor"));
}

TEST_F(TimerQueueTest, ThrowingTaskDoesNotStopTheOthers) {
  AddLogging(t0_, "before");
  queue_.Add(t0_, [] { throw std::runtime_error("boom"); });
  queue_.Add(t0_, [] { throw 42; });
  AddLogging(t0_, "after");
  EXPECT_EQ(queue_.RunDue(t0_), 4u);
  EXPECT_THAT(ran_, ElementsAre("before", "after"));
  EXPECT_EQ(queue_.size(), 0u);
}

TEST_F(TimerQueueTest, EmptyQueueHasNothingDue) {
  EXPECT_EQ(queue_.NextDue(), std::nullopt);
  EXPECT_EQ(queue_.RunDue(t0_ + seconds(100)), 0u);
  EXPECT_THAT(ran_, IsEmpty());
}

TEST_F(TimerQueueTest, AFinishedTimersTaskIsReleasedAtOnceAndItsNodeServesTheNext) {
  auto held = std::make_shared<int>(0);
  const TimerId cancelled = queue_.Add(t0_ + seconds(1), [held] {});
  queue_.Add(t0_ + seconds(2), [held] {});
  EXPECT_EQ(held.use_count(), 3);
  queue_.Cancel(cancelled);
  EXPECT_EQ(held.use_count(), 2);
  queue_.RunDue(t0_ + seconds(2));
  EXPECT_EQ(held.use_count(), 1);  // the kept nodes hold no captures
  // Reused nodes keep due order and ids apart.
  const TimerId late = AddLogging(t0_ + seconds(5), "late");
  const TimerId early = AddLogging(t0_ + seconds(4), "early");
  EXPECT_NE(late, early);
  EXPECT_NE(late, cancelled);
  EXPECT_EQ(queue_.NextDue(), t0_ + seconds(4));
  EXPECT_EQ(queue_.RunDue(t0_ + seconds(5)), 2u);
  EXPECT_THAT(ran_, ElementsAre("early", "late"));
  EXPECT_EQ(queue_.size(), 0u);
}

}  // namespace
}  // namespace shardtrack
