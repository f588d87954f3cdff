// RecentCompletions: a completion noted is seen within the window and forgotten after it, or
// once the capacity is passed (the oldest first).
#include "shard/recent_completions.h"

#include <gtest/gtest.h>

#include "tests/unit/shard/swarm_test_util.h"

namespace shardtrack {
namespace {

using testing::HashOf;

constexpr UnixSeconds kNow = 1'700'000'000;
constexpr SipHashKey kKey = {1, 2};

PeerId IdOf(std::uint8_t byte) {
  PeerId id;
  id.bytes.fill(byte);
  return id;
}

TEST(RecentCompletionsTest, ACompletionIsSeenWithinTheWindowForItsTorrentAndPeerIdOnly) {
  RecentCompletions recent(kKey);
  EXPECT_FALSE(recent.Seen(HashOf(1), IdOf(1), kNow));
  recent.Note(HashOf(1), IdOf(1), kNow);
  EXPECT_TRUE(recent.Seen(HashOf(1), IdOf(1), kNow + RecentCompletions::kWindow - 1));
  EXPECT_FALSE(recent.Seen(HashOf(2), IdOf(1), kNow));
  EXPECT_FALSE(recent.Seen(HashOf(1), IdOf(2), kNow));
  EXPECT_FALSE(recent.Seen(HashOf(1), IdOf(1), kNow + RecentCompletions::kWindow));
  EXPECT_EQ(recent.size(), 0u);
}

TEST(RecentCompletionsTest, NotedAgainItIsKeptFromTheLaterTime) {
  RecentCompletions recent(kKey);
  recent.Note(HashOf(1), IdOf(1), kNow);
  recent.Note(HashOf(1), IdOf(1), kNow + 100);
  EXPECT_TRUE(recent.Seen(HashOf(1), IdOf(1), kNow + RecentCompletions::kWindow + 50));
}

TEST(RecentCompletionsTest, PastItsCapacityTheOldestIsForgotten) {
  RecentCompletions recent(kKey, 2);
  recent.Note(HashOf(1), IdOf(1), kNow);
  recent.Note(HashOf(2), IdOf(1), kNow + 1);
  recent.Note(HashOf(3), IdOf(1), kNow + 2);
  EXPECT_FALSE(recent.Seen(HashOf(1), IdOf(1), kNow + 3));
  EXPECT_TRUE(recent.Seen(HashOf(2), IdOf(1), kNow + 3));
  EXPECT_TRUE(recent.Seen(HashOf(3), IdOf(1), kNow + 3));
}

}  // namespace
}  // namespace shardtrack
