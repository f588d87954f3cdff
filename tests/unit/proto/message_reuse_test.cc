// ClearMessageForReuse and LetGoIfHoldingMany: a message that held a few entries keeps them
// allocated for the next use (no heap allocation per request); one that held a full scrape's or
// a top list's lets them go.
#include "proto/message_reuse.h"

#include <gtest/gtest.h>

namespace shardtrack {
namespace {

void AddFiles(proto::ScrapeReply& scrape, int count) {
  for (int i = 0; i < count; ++i) scrape.add_files()->set_info_hash(std::string(20, 'h'));
}

TEST(MessageReuseTest, AFewEntriesStayAllocatedForTheNextUse) {
  proto::ScrapeReply scrape;
  AddFiles(scrape, kMostEntriesKept);
  ClearMessageForReuse(scrape);
  EXPECT_EQ(scrape.files_size(), 0);
  EXPECT_GE(scrape.files().Capacity(), kMostEntriesKept);
}

TEST(MessageReuseTest, AFullScrapesEntriesAreLetGo) {
  proto::ScrapeReply scrape;
  AddFiles(scrape, kMostEntriesKept + 1);
  ClearMessageForReuse(scrape);
  EXPECT_EQ(scrape.files_size(), 0);
  EXPECT_EQ(scrape.files().Capacity(), 0);
}

// For a message its next parse clears: a few entries are left as they are, many let go.
TEST(MessageReuseTest, OnlyAMessageHoldingManyEntriesIsLetGoUncleared) {
  proto::ScrapeReply scrape;
  AddFiles(scrape, kMostEntriesKept);
  EXPECT_FALSE(LetGoIfHoldingMany(scrape));
  EXPECT_EQ(scrape.files_size(), kMostEntriesKept);
  AddFiles(scrape, 1);
  EXPECT_TRUE(LetGoIfHoldingMany(scrape));
  EXPECT_EQ(scrape.files_size(), 0);
  EXPECT_EQ(scrape.files().Capacity(), 0);
}

TEST(MessageReuseTest, ABatchIsLetGoWhenOneOfItsRepliesHeldATopListOrAFullScrape) {
  for (bool stats : {false, true}) {
    proto::ReplyBatch batch;
    for (int i = 0; i < 3; ++i) batch.add_replies()->mutable_announce()->set_complete(1);
    proto::Reply* large = batch.add_replies();
    for (int i = 0; i <= kMostEntriesKept; ++i) {
      (stats ? large->mutable_stats()->add_top() : large->mutable_scrape()->add_files())
          ->set_complete(1);
    }
    ClearMessageForReuse(batch);
    EXPECT_EQ(batch.replies().Capacity(), 0) << stats;

    for (int i = 0; i < 4; ++i) batch.add_replies()->mutable_announce()->set_complete(1);
    ClearMessageForReuse(batch);
    EXPECT_GE(batch.replies().Capacity(), 4) << stats;
  }
}

}  // namespace
}  // namespace shardtrack
