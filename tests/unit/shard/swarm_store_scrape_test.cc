// SwarmStore's read side (ScrapeOne, FullScrape, Stats) and its persistence hooks (ForEachTorrent,
// Restore, SetCompleted).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "shard/peer_family.h"
#include "shard/swarm_store.h"
#include "tests/unit/shard/swarm_test_util.h"

namespace shardtrack {
namespace {

using testing::AnnounceBuilder;
using testing::AnnounceFromWire;
using ::testing::ElementsAre;
using testing::HashOf;
using ::testing::IsEmpty;
using testing::Peers4;
using testing::RecountOf;
using ::testing::SizeIs;
using testing::TotalsOf;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

constexpr UnixSeconds kNow = 1'700'000'000;

class SwarmScrapeTest : public ::testing::Test {
 protected:
  proto::AnnounceReply Announce(const proto::AnnounceRequest& request, UnixSeconds now = kNow) {
    proto::AnnounceReply reply;
    outcome_ = AnnounceFromWire(store_, request, now, rng_, reply);
    return reply;
  }
  // Torrent `n` with `seeders` seeders, `leechers` leechers and `completed` counted completions
  // (the completions come from the first seeders, which were leechers before).
  void AddTorrent(std::uint8_t n, int seeders, int leechers, int completed = 0) {
    for (int i = 0; i < seeders + leechers; ++i) {
      AnnounceBuilder peer(HashOf(n), "10.1." + std::to_string(n) + "." + std::to_string(i), 6881);
      if (i < completed) {
        Announce(peer);
        Announce(peer.Seeder().Event(proto::EVENT_COMPLETED));
      } else if (i < seeders) {
        Announce(peer.Seeder());
      } else {
        Announce(peer);
      }
    }
  }
  static std::vector<std::string> Hashes(
      const google::protobuf::RepeatedPtrField<proto::ScrapeEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& entry : entries) out.push_back(entry.info_hash());
    return out;
  }

  SwarmStore store_;
  FastRng rng_{3};
  AnnounceOutcome outcome_;
};

TEST_F(SwarmScrapeTest, ScrapeOneCountsSeedersLeechersAndCompletions) {
  AddTorrent(1, 3, 2, 2);
  const SwarmCounts counts = store_.ScrapeOne(HashOf(1));
  EXPECT_EQ(counts.seeders, 3u);
  EXPECT_EQ(counts.leechers, 2u);
  EXPECT_EQ(counts.completed, 2u);
}

// BEP 21: downloaders are the leechers that are not partial seeds.
TEST_F(SwarmScrapeTest, AScrapeEntrysDownloadersLeaveThePartialSeedsOut) {
  AddTorrent(1, 1, 3);
  Announce(AnnounceBuilder(HashOf(1), "10.1.1.1", 6881).Paused());
  Announce(AnnounceBuilder(HashOf(1), "2001:db8::1", 6881).Paused());
  proto::ScrapeReply reply;
  store_.FullScrape(0, reply);
  ASSERT_THAT(reply.files(), SizeIs(1));
  EXPECT_EQ(reply.files(0).incomplete(), 4u);
  EXPECT_EQ(reply.files(0).downloaders(), 2u);
}

TEST_F(SwarmScrapeTest, ScrapeOneOfAnUnknownTorrentIsZeros) {
  AddTorrent(1, 1, 1);
  const SwarmCounts counts = store_.ScrapeOne(HashOf(9));
  EXPECT_EQ(counts.seeders, 0u);
  EXPECT_EQ(counts.leechers, 0u);
  EXPECT_EQ(counts.completed, 0u);
  EXPECT_EQ(store_.torrents(), 1u);  // asking created nothing
}

TEST_F(SwarmScrapeTest, FullScrapeListsEveryTorrentOnceWithItsCounts) {
  AddTorrent(3, 1, 0);
  AddTorrent(1, 0, 2, 0);
  AddTorrent(2, 2, 1, 1);
  proto::ScrapeReply reply;
  store_.FullScrape(0, reply);
  EXPECT_FALSE(reply.truncated());
  ASSERT_THAT(reply.files(), SizeIs(3));
  EXPECT_THAT(Hashes(reply.files()),
              UnorderedElementsAre(HashOf(1).ToRaw(), HashOf(2).ToRaw(), HashOf(3).ToRaw()));
  for (const proto::ScrapeEntry& entry : reply.files()) {
    if (entry.info_hash() != HashOf(2).ToRaw()) continue;
    EXPECT_EQ(entry.complete(), 2u);
    EXPECT_EQ(entry.incomplete(), 1u);
    EXPECT_EQ(entry.downloaded(), 1u);
    EXPECT_EQ(entry.downloaders(), 1u);
  }
}

TEST_F(SwarmScrapeTest, FullScrapeStopsAtTheLimitAndSaysSo) {
  for (std::uint8_t n = 1; n <= 5; ++n) AddTorrent(n, 1, 0);
  proto::ScrapeReply all;
  store_.FullScrape(0, all);
  proto::ScrapeReply reply;
  store_.FullScrape(2, reply);
  EXPECT_TRUE(reply.truncated());
  // The first two of the same order as a whole listing.
  EXPECT_THAT(Hashes(reply.files()),
              ElementsAre(all.files(0).info_hash(), all.files(1).info_hash()));

  proto::ScrapeReply exact;
  store_.FullScrape(5, exact);
  EXPECT_FALSE(exact.truncated());
  EXPECT_THAT(exact.files(), SizeIs(5));
}

TEST_F(SwarmScrapeTest, FullScrapeOfAnEmptyStoreIsEmpty) {
  proto::ScrapeReply reply;
  store_.FullScrape(10, reply);
  EXPECT_THAT(reply.files(), IsEmpty());
  EXPECT_FALSE(reply.truncated());
}

TEST_F(SwarmScrapeTest, StatsCarriesTheTotals) {
  AddTorrent(1, 2, 3, 1);
  AddTorrent(2, 1, 1, 1);
  const proto::StatsReply stats = store_.Stats(0);
  EXPECT_EQ(stats.torrents(), 2u);
  EXPECT_EQ(stats.peers(), 7u);
  EXPECT_EQ(stats.seeders(), 3u);
  EXPECT_EQ(stats.leechers(), 4u);
  EXPECT_EQ(stats.completed(), 2u);
  EXPECT_EQ(stats.partial_seeds(), 0u);
  EXPECT_THAT(stats.top(), IsEmpty());
  Announce(AnnounceBuilder(HashOf(2), "10.9.0.1", 6881).Paused());
  EXPECT_EQ(store_.Stats(0).partial_seeds(), 1u);
}

TEST_F(SwarmScrapeTest, StatsTopListsTheBiggestSwarmsFirstTiesByInfohash) {
  AddTorrent(1, 1, 0);
  AddTorrent(2, 2, 3);
  AddTorrent(3, 0, 5);
  AddTorrent(4, 1, 1);
  AddTorrent(5, 2, 0);
  const proto::StatsReply stats = store_.Stats(3);
  ASSERT_THAT(stats.top(), SizeIs(3));
  EXPECT_THAT(Hashes(stats.top()),
              ElementsAre(HashOf(2).ToRaw(), HashOf(3).ToRaw(), HashOf(4).ToRaw()));
  EXPECT_EQ(stats.top(0).complete(), 2u);
  EXPECT_EQ(stats.top(0).incomplete(), 3u);

  const proto::StatsReply all = store_.Stats(100);
  EXPECT_THAT(Hashes(all.top()),
              ElementsAre(HashOf(2).ToRaw(), HashOf(3).ToRaw(), HashOf(4).ToRaw(),
                          HashOf(5).ToRaw(), HashOf(1).ToRaw()));
}

TEST_F(SwarmScrapeTest, StatsTopIsBoundedByMaxStatsTorrents) {
  for (std::uint32_t n = 0; n < SwarmStore::kMaxStatsTorrents + 10; ++n) {
    InfoHash hash;
    hash.bytes[0] = static_cast<std::uint8_t>(n >> 8);
    hash.bytes[1] = static_cast<std::uint8_t>(n);
    Announce(AnnounceBuilder(hash, "10.0.0.1", 6881));
  }
  const proto::StatsReply stats = store_.Stats(UINT32_MAX);
  EXPECT_EQ(stats.torrents(), SwarmStore::kMaxStatsTorrents + 10);
  EXPECT_THAT(stats.top(), SizeIs(SwarmStore::kMaxStatsTorrents));
}

// Over kTopScanLimit torrents no request walks them all: the expiry sweep gathers the list.
class SwarmStatsOfALargeTableTest : public SwarmScrapeTest {
 protected:
  void SetUp() override {
    for (std::uint32_t n = 0; n <= SwarmStore::kTopScanLimit; ++n) {
      InfoHash hash;
      hash.bytes[0] = static_cast<std::uint8_t>(n >> 16);
      hash.bytes[1] = static_cast<std::uint8_t>(n >> 8);
      hash.bytes[2] = static_cast<std::uint8_t>(n);
      Announce(AnnounceBuilder(hash, "10.0.0.1", 6881));
    }
    AddTorrent(1, 2, 3);  // the biggest swarms
    AddTorrent(2, 0, 4);
  }
  void SweepALap() {
    while (!store_.ExpireSlice(kNow, 2700, 5000).lap_finished) {
    }
  }
};

TEST_F(SwarmStatsOfALargeTableTest, TheTopListComesFromTheLastExpiryLap) {
  EXPECT_THAT(store_.Stats(2).top(), IsEmpty());  // no lap finished yet
  SweepALap();
  const proto::StatsReply stats = store_.Stats(2);
  EXPECT_EQ(stats.torrents(), SwarmStore::kTopScanLimit + 3);
  EXPECT_THAT(Hashes(stats.top()), ElementsAre(HashOf(1).ToRaw(), HashOf(2).ToRaw()));
}

TEST_F(SwarmStatsOfALargeTableTest, TheListedTorrentsShowTheirCountsNow) {
  SweepALap();
  AddTorrent(2, 0, 4);                                     // the same four leechers again
  Announce(AnnounceBuilder(HashOf(2), "10.9.9.9", 6881));  // and two more:
  Announce(AnnounceBuilder(HashOf(2), "10.9.9.8", 6881));  // now ahead of torrent 1
  Announce(AnnounceBuilder(HashOf(1), "10.1.1.0", 6881).Event(proto::EVENT_STOPPED));
  const proto::StatsReply stats = store_.Stats(2);
  EXPECT_THAT(Hashes(stats.top()), ElementsAre(HashOf(2).ToRaw(), HashOf(1).ToRaw()));
  EXPECT_EQ(stats.top(0).incomplete(), 6u);
  EXPECT_EQ(stats.top(1).complete() + stats.top(1).incomplete(), 4u);
}

TEST_F(SwarmStatsOfALargeTableTest, ATorrentThatGrowsIsListedOnceAWholeLapHasSeenIt) {
  SweepALap();
  AddTorrent(3, 9, 9);
  EXPECT_THAT(Hashes(store_.Stats(1).top()), ElementsAre(HashOf(1).ToRaw()));
  SweepALap();  // the lap under way when it grew may already have passed its place
  SweepALap();
  EXPECT_THAT(Hashes(store_.Stats(1).top()), ElementsAre(HashOf(3).ToRaw()));
}

TEST_F(SwarmStatsOfALargeTableTest, ARestoredStoreListsItsTopBeforeAnyLap) {
  SwarmStore restored;
  store_.ForEachTorrent([&](const TorrentRecord& record) { restored.Restore(record); });
  restored.FinishRestore();
  EXPECT_THAT(Hashes(restored.Stats(2).top()), ElementsAre(HashOf(1).ToRaw(), HashOf(2).ToRaw()));
}

TEST_F(SwarmScrapeTest, ExportAndRestoreRoundTrip) {
  AddTorrent(1, 2, 3, 1);
  Announce(AnnounceBuilder(HashOf(1), "2001:db8::1", 6881).Seeder(), kNow - 10);
  Announce(AnnounceBuilder(HashOf(1), "2001:db8::2", 51413), kNow - 20);
  Announce(AnnounceBuilder(HashOf(1), "2001:db8::3", 6881).Paused());
  AddTorrent(2, 0, 1);
  Announce(AnnounceBuilder(HashOf(3), "10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  Announce(AnnounceBuilder(HashOf(3), "10.0.0.1", 6881).Seeder().Event(proto::EVENT_STOPPED));

  std::vector<TorrentRecord> exported;
  store_.ForEachTorrent([&](const TorrentRecord& record) { exported.push_back(record); });
  ASSERT_THAT(exported, SizeIs(3));
  std::sort(exported.begin(), exported.end(), [](const TorrentRecord& a, const TorrentRecord& b) {
    return a.info_hash < b.info_hash;
  });
  EXPECT_EQ(exported[0].info_hash, HashOf(1));
  EXPECT_THAT(exported[0].peers, SizeIs(8));
  EXPECT_TRUE(exported[0].peers.back().partial_seed);  // the last IPv6 leecher
  EXPECT_EQ(store_.partial_seeds(), 1u);
  EXPECT_EQ(exported[2].completed, 1u);
  EXPECT_THAT(exported[2].peers, IsEmpty());

  SwarmStore copy;
  for (const TorrentRecord& record : exported) copy.Restore(record);
  std::vector<TorrentRecord> again;
  copy.ForEachTorrent([&](const TorrentRecord& record) { again.push_back(record); });
  EXPECT_THAT(again, UnorderedElementsAreArray(exported));
  EXPECT_EQ(TotalsOf(copy), TotalsOf(store_));
  EXPECT_EQ(TotalsOf(copy), RecountOf(copy));
}

// A swarm past PeerFamily::kIndexFrom keeps its peers unsorted; its export is still ordered by
// endpoint within each kind, as for a small one.
TEST_F(SwarmScrapeTest, ALargeSwarmExportsEachKindInEndpointOrder) {
  constexpr int kPeers = 3 * PeerFamily4::kIndexFrom;
  static_assert(kPeers % 7919 != 0);
  for (int i = 0; i < kPeers; ++i) {
    const int n = (i * 7919) % kPeers;  // not in endpoint order
    AnnounceBuilder peer(
        HashOf(1), "10.2." + std::to_string(n / 250) + "." + std::to_string(n % 250), 6881 + n % 3);
    Announce(n % 4 == 0 ? peer.Seeder() : peer);
  }
  std::vector<TorrentRecord> exported;
  store_.ForEachTorrent([&](const TorrentRecord& record) { exported.push_back(record); });
  ASSERT_THAT(exported, SizeIs(1));
  const std::vector<PeerRecord>& peers = exported[0].peers;
  ASSERT_THAT(peers, SizeIs(kPeers));
  const auto key = [](const PeerRecord& peer) {
    return std::make_tuple(!peer.seeder, std::string(peer.ip.raw()), peer.port);
  };
  for (std::size_t i = 1; i < peers.size(); ++i) {
    EXPECT_LT(key(peers[i - 1]), key(peers[i])) << i;
  }
  EXPECT_EQ(std::count_if(peers.begin(), peers.end(), [](const PeerRecord& p) { return p.seeder; }),
            kPeers / 4);
}

TEST_F(SwarmScrapeTest, RestoredPeerKeepsItsCompletionAndLastSeen) {
  Announce(AnnounceBuilder(HashOf(1), "10.0.0.1", 6881));
  Announce(AnnounceBuilder(HashOf(1), "10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  Announce(AnnounceBuilder(HashOf(1), "10.0.0.1", 6881));  // rechecking: a leecher again
  Announce(AnnounceBuilder(HashOf(1), "10.0.0.2", 6881), kNow - 100);
  SwarmStore copy;
  store_.ForEachTorrent([&](const TorrentRecord& record) { copy.Restore(record); });

  proto::AnnounceReply reply;
  FastRng rng(5);
  const AnnounceOutcome outcome = AnnounceFromWire(
      copy, AnnounceBuilder(HashOf(1), "10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED),
      kNow, rng, reply);
  EXPECT_FALSE(outcome.completion_counted);
  EXPECT_EQ(reply.downloaded(), 1u);
  EXPECT_THAT(Peers4(reply), ElementsAre("10.0.0.2:6881"));

  // The peer seen 100 s earlier expires 100 s earlier in the copy too.
  copy.ExpireSlice(kNow - 100 + 2700, 2700, 10);
  EXPECT_EQ(copy.ScrapeOne(HashOf(1)).leechers, 0u);
  EXPECT_EQ(copy.ScrapeOne(HashOf(1)).seeders, 1u);
}

TEST_F(SwarmScrapeTest, RestoreReplacesAnExistingTorrent) {
  AddTorrent(1, 2, 2, 1);
  TorrentRecord record;
  record.info_hash = HashOf(1);
  record.completed = 7;
  PeerRecord peer;
  peer.peer_id = HashOf(0xaa);
  peer.ip = *IpAddress::Parse("10.9.9.9");
  peer.port = 1234;
  peer.seeder = false;
  peer.last_seen = kNow;
  record.peers.push_back(peer);
  store_.Restore(record);

  const SwarmCounts counts = store_.ScrapeOne(HashOf(1));
  EXPECT_EQ(counts.seeders, 0u);
  EXPECT_EQ(counts.leechers, 1u);
  EXPECT_EQ(counts.completed, 7u);
  EXPECT_EQ(TotalsOf(store_), RecountOf(store_));
}

TEST_F(SwarmScrapeTest, RestoringAnEmptyRecordAddsNoTorrent) {
  TorrentRecord record;
  record.info_hash = HashOf(4);
  store_.Restore(record);
  EXPECT_EQ(store_.torrents(), 0u);
}

TEST_F(SwarmScrapeTest, SetCompletedSetsTheCountAndTheTotal) {
  AddTorrent(1, 1, 1, 1);
  store_.SetCompleted(HashOf(1), 41);
  EXPECT_EQ(store_.ScrapeOne(HashOf(1)).completed, 41u);
  EXPECT_EQ(store_.completed(), 41u);

  store_.SetCompleted(HashOf(2), 5);  // a torrent whose peers all expired before a restart
  EXPECT_EQ(store_.ScrapeOne(HashOf(2)).completed, 5u);
  EXPECT_EQ(store_.torrents(), 2u);
  EXPECT_EQ(store_.completed(), 46u);

  store_.SetCompleted(HashOf(2), 0);
  EXPECT_EQ(store_.torrents(), 1u);
  EXPECT_EQ(TotalsOf(store_), RecountOf(store_));
}

}  // namespace
}  // namespace shardtrack
