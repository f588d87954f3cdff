// SharedFanOut: requests wait for the fan-out under way when it was asked under their access
// list; under another list they are deferred, handed back once it ends, to be asked again.
#include "frontend/shared_fan_out.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace shardtrack {
namespace {

// Asker n, told apart by its arrival time.
Asker AskerAt(int n) {
  Asker asker;
  asker.started = MonoTime{} + std::chrono::seconds(n);
  return asker;
}

std::vector<int> Arrivals(const std::vector<Asker>& askers) {
  std::vector<int> out;
  for (const Asker& asker : askers) {
    out.push_back(static_cast<int>(
        std::chrono::duration_cast<std::chrono::seconds>(asker.started - MonoTime{}).count()));
  }
  return out;
}

TEST(SharedFanOutTest, RequestsUnderItsListWaitAndOthersAreDeferredUntilItEnds) {
  SharedFanOut sharing;
  EXPECT_FALSE(sharing.under_way());
  EXPECT_FALSE(sharing.CanWait(1));
  sharing.Start(1);
  ASSERT_TRUE(sharing.CanWait(1));
  sharing.Wait(AskerAt(1));
  ASSERT_FALSE(sharing.CanWait(2));  // the list was reloaded meanwhile
  ASSERT_TRUE(sharing.under_way());
  sharing.Defer(AskerAt(2));
  sharing.Defer(AskerAt(3));

  std::vector<Asker> waiters;
  sharing.Finish(waiters);
  EXPECT_EQ(Arrivals(waiters), std::vector<int>{1});
  EXPECT_FALSE(sharing.under_way());
  EXPECT_EQ(Arrivals(sharing.TakeDeferred()), (std::vector<int>{2, 3}));
  EXPECT_TRUE(sharing.TakeDeferred().empty());

  sharing.Start(2);  // the next, with no waiter of the last left over
  sharing.Finish(waiters);
  EXPECT_TRUE(waiters.empty());
}

}  // namespace
}  // namespace shardtrack
