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

TEST(TorrentAccessTest, OffServesEveryTorrent) {
  TorrentAccess access;
  EXPECT_FALSE(access.enabled());
  EXPECT_TRUE(access.Serves(kListed));
  EXPECT_TRUE(access.AdmitAnnounce(kOther));
  EXPECT_EQ(access.counters().refused_announces, 0u);
}

// What the start warns of: an allow list that names nothing refuses every torrent; a deny list
// or no list refuses none.
TEST(TorrentAccessTest, OnlyAnEmptyAllowListRefusesEverything) {
  EXPECT_TRUE(TorrentAccess(AccessMode::kAllow, AccessList()).RefusesEverything());
  EXPECT_FALSE(TorrentAccess(AccessMode::kAllow, AccessList({kListed})).RefusesEverything());
  EXPECT_FALSE(TorrentAccess(AccessMode::kDeny, AccessList()).RefusesEverything());
  EXPECT_FALSE(TorrentAccess().RefusesEverything());
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

TEST(TorrentAccessTest, AScrapeKeepsItsServedInfohashesInOrderAndHandsOverTheRest) {
  TorrentAccess access(AccessMode::kAllow, AccessList({kListed, Filled(3)}));
  const std::vector<InfoHash> requested = {Filled(3), kOther, kListed, Filled(4)};
  std::vector<InfoHash> admitted;
  std::vector<InfoHash> refused;
  const auto served = access.AdmitScrape(requested, admitted,
                                         [&](const InfoHash& hash) { refused.push_back(hash); });
  EXPECT_EQ(std::vector<InfoHash>(served.begin(), served.end()),
            (std::vector<InfoHash>{Filled(3), kListed}));
  EXPECT_EQ(refused, (std::vector<InfoHash>{kOther, Filled(4)}));
  EXPECT_EQ(access.counters().refused_scrapes, 2u);

  TorrentAccess off;  // off: the request itself, nothing refused
  EXPECT_EQ(off.AdmitScrape(requested, admitted, [&](const InfoHash&) { FAIL(); }).data(),
            requested.data());
}

TEST(TorrentAccessTest, AReplacedListTakesEffectAndIsCounted) {
  TorrentAccess access(AccessMode::kAllow, AccessList({kListed}));
  access.Replace(AccessList({kOther, Filled(3)}));
  EXPECT_EQ(access.entries(), 2u);
  EXPECT_FALSE(access.Serves(kListed));
  EXPECT_TRUE(access.Serves(kOther));
  access.CountFailedReload();
  EXPECT_EQ(access.reloads().ok, 1u);
  EXPECT_EQ(access.reloads().failed, 1u);
  EXPECT_TRUE(access.Serves(kOther));
}

}  // namespace
}  // namespace shardtrack
