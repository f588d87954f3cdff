// TorrentAccess: off it serves every torrent; allow mode serves only listed torrents, deny mode
// all but the listed ones; refusals and reloads are counted; a replaced list takes effect.
#include "frontend/access/torrent_access.h"

#include <gtest/gtest.h>

namespace shardtrack {
namespace {

InfoHash Filled(std::uint8_t byte) {
  InfoHash out;
  out.bytes.fill(byte);
  return out;
}

const InfoHash kListed = Filled(1);
const InfoHash kOther = Filled(2);

TEST(TorrentAccessTest, ReadsTheTwoModesAndNothingElse) {
  EXPECT_EQ(ParseAccessMode("allow"), AccessMode::kAllow);
  EXPECT_EQ(ParseAccessMode("deny"), AccessMode::kDeny);
  EXPECT_EQ(ParseAccessMode("Allow"), std::nullopt);
  EXPECT_EQ(ParseAccessMode(""), std::nullopt);
  EXPECT_EQ(ParseAccessMode("whitelist"), std::nullopt);
}

TEST(TorrentAccessTest, OffServesEveryTorrent) {
  TorrentAccess access;
  EXPECT_FALSE(access.enabled());
  EXPECT_TRUE(access.Serves(kListed));
  EXPECT_TRUE(access.AdmitAnnounce(kOther));
  EXPECT_EQ(access.counters().refused_announces, 0u);
}

TEST(TorrentAccessTest, AllowModeServesOnlyListedTorrents) {
  TorrentAccess access(AccessMode::kAllow, AccessList({kListed}));
  EXPECT_TRUE(access.enabled());
  EXPECT_EQ(access.entries(), 1u);
  EXPECT_TRUE(access.Serves(kListed));
  EXPECT_FALSE(access.Serves(kOther));
}

TEST(TorrentAccessTest, AllowModeWithAnEmptyListServesNothing) {
  TorrentAccess access(AccessMode::kAllow, AccessList());
  EXPECT_FALSE(access.Serves(kListed));
}

TEST(TorrentAccessTest, DenyModeRefusesOnlyListedTorrents) {
  TorrentAccess access(AccessMode::kDeny, AccessList({kListed}));
  EXPECT_FALSE(access.Serves(kListed));
  EXPECT_TRUE(access.Serves(kOther));
}

TEST(TorrentAccessTest, CountsRefusedAnnouncesAndScrapesApart) {
  TorrentAccess access(AccessMode::kAllow, AccessList({kListed}));
  EXPECT_TRUE(access.AdmitAnnounce(kListed));
  EXPECT_FALSE(access.AdmitAnnounce(kOther));
  EXPECT_FALSE(access.AdmitScrape(kOther));
  EXPECT_FALSE(access.AdmitScrape(kOther));
  EXPECT_TRUE(access.AdmitScrape(kListed));
  EXPECT_FALSE(access.Serves(kOther));  // a check only: not counted
  EXPECT_EQ(access.counters().refused_announces, 1u);
  EXPECT_EQ(access.counters().refused_scrapes, 2u);
}

TEST(TorrentAccessTest, AReplacedListTakesEffectAndIsCounted) {
  TorrentAccess access(AccessMode::kAllow, AccessList({kListed}));
  access.Replace(AccessList({kOther, Filled(3)}));
  EXPECT_EQ(access.entries(), 2u);
  EXPECT_FALSE(access.Serves(kListed));
  EXPECT_TRUE(access.Serves(kOther));
  access.CountFailedReload();
  EXPECT_EQ(access.counters().reloads_ok, 1u);
  EXPECT_EQ(access.counters().reloads_failed, 1u);
  EXPECT_TRUE(access.Serves(kOther));
}

}  // namespace
}  // namespace shardtrack
