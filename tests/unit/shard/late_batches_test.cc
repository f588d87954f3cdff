// LateBatches: a batch is late when it took longer than its timeout beyond the quickest delivery
// seen lately from its frontend, whatever the offset between the two processes' clocks.
#include "shard/late_batches.h"

#include <gtest/gtest.h>

namespace shardtrack {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::uint32_t kTimeout = 1000;
// The frontend's clock reads this much less than the shard's (another machine's boot).
constexpr std::int64_t kOffsetMs = 123'456'789;

class LateBatchesTest : public ::testing::Test {
 protected:
  // A batch the frontend sent `age` ago (on the shard's clock: delivery included), read now.
  bool Late(milliseconds age, const char* frontend = "fe-a") {
    const std::int64_t sent = MonoMillis(now_) - age.count() - kOffsetMs;
    return late_.Late(frontend, static_cast<std::uint64_t>(sent), kTimeout, now_);
  }

  LateBatches late_;
  MonoTime now_ = MonoTime() + seconds(1'000'000);
};

TEST_F(LateBatchesTest, ABatchSlowerThanItsTimeoutBeyondTheQuickestIsLate) {
  EXPECT_FALSE(Late(milliseconds(2)));  // the first one sets the baseline
  now_ += milliseconds(10);
  EXPECT_FALSE(Late(milliseconds(900)));  // 898 ms slower: the frontend still waits
  EXPECT_TRUE(Late(milliseconds(1003)));  // 1001 ms slower: it gave up
}

TEST_F(LateBatchesTest, AStallOfAnyLengthIsSeenAcrossWindows) {
  EXPECT_FALSE(Late(milliseconds(1)));
  for (const auto stall : {seconds(15), seconds(90), seconds(600)}) {
    now_ += stall;  // the backlog is read after the stall; it was sent just before it
    EXPECT_TRUE(Late(stall)) << stall.count();
    EXPECT_FALSE(Late(milliseconds(1))) << stall.count();  // a fresh one is not
  }
}

TEST_F(LateBatchesTest, EachFrontendHasItsOwnBaseline) {
  EXPECT_FALSE(Late(milliseconds(1), "fe-a"));
  // fe-b's first batch took 5 s: nothing says it was slow, so it sets fe-b's baseline.
  EXPECT_FALSE(Late(seconds(5), "fe-b"));
  EXPECT_TRUE(Late(seconds(5), "fe-a"));
}

TEST_F(LateBatchesTest, PastTheTrackedMostFrontendsSilentForTwoWindowsAreForgotten) {
  for (std::size_t n = 0; n <= LateBatches::kForgetOver; ++n) {
    EXPECT_FALSE(Late(milliseconds(1), std::to_string(n).c_str()));
  }
  now_ += 2 * LateBatches::kWindow;
  EXPECT_TRUE(Late(seconds(5), "0"));  // measured before anything is forgotten: its own stays
  EXPECT_FALSE(Late(milliseconds(1), "0"));
  // "1" was silent for two windows and is gone: its next batch, however slow, is a new baseline.
  EXPECT_FALSE(Late(seconds(5), "1"));
}

TEST_F(LateBatchesTest, AnUnstampedBatchIsNeverLate) {
  EXPECT_FALSE(Late(milliseconds(1)));
  EXPECT_FALSE(late_.Late("fe-a", 0, kTimeout, now_ + seconds(100)));
  EXPECT_FALSE(late_.Late("fe-a", 1, 0, now_ + seconds(100)));
}

}  // namespace
}  // namespace shardtrack
