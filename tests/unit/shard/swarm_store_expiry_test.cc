// SwarmStore::ExpireSlice: peers expire after peer_timeout, empty torrents go, and a sweep runs in
// bounded slices that resume where the last one stopped. Time is passed in as `now`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "shard/seen_time.h"
#include "shard/swarm_store.h"
#include "tests/unit/shard/swarm_test_util.h"

namespace shardtrack {
namespace {

using testing::AnnounceBuilder;
using testing::AnnounceFromWire;
using ::testing::ElementsAre;
using testing::HashOf;
using testing::RecountOf;
using testing::TotalsOf;

constexpr UnixSeconds kStart = 1'700'000'000;
constexpr std::int64_t kTimeout = 2700;
constexpr std::size_t kAll = 1'000'000;

class SwarmExpiryTest : public ::testing::Test {
 protected:
  AnnounceOutcome Announce(const proto::AnnounceRequest& request, UnixSeconds now) {
    proto::AnnounceReply reply;
    const AnnounceOutcome outcome = AnnounceFromWire(store_, request, now, rng_, reply);
    EXPECT_TRUE(outcome.accepted);
    return outcome;
  }
  // Torrent `n` (infohash bytes all n) with one leecher 10.0.0.n:6881 last seen at `when`.
  void AddTorrent(std::uint8_t n, UnixSeconds when) {
    Announce(AnnounceBuilder(HashOf(n), "10.0.0." + std::to_string(n), 6881), when);
  }
  bool Has(std::uint8_t n) const {
    bool found = false;
    store_.ForEachTorrent([&](const TorrentRecord& r) { found |= r.info_hash == HashOf(n); });
    return found;
  }
  // Torrent n's peers' last_seen times, in the order it exports them (by endpoint).
  std::vector<UnixSeconds> SeenTimesOf(std::uint8_t n) const {
    std::vector<UnixSeconds> out;
    store_.ForEachTorrent([&](const TorrentRecord& r) {
      if (r.info_hash != HashOf(n)) return;
      for (const PeerRecord& peer : r.peers) out.push_back(peer.last_seen);
    });
    return out;
  }
  std::uint64_t PeersOf(std::uint8_t n) const {
    const SwarmCounts counts = store_.ScrapeOne(HashOf(n));
    return counts.seeders + counts.leechers;
  }
  // Torrent numbers in the order a sweep visits them (the table's order, as FullScrape lists it).
  std::vector<std::uint8_t> SweepOrder() const {
    proto::ScrapeReply reply;
    store_.FullScrape(0, reply);
    std::vector<std::uint8_t> out;
    for (const auto& entry : reply.files()) {
      out.push_back(static_cast<std::uint8_t>(entry.info_hash()[0]));  // HashOf(n) is n's bytes
    }
    return out;
  }
  std::size_t Position(std::uint8_t n) const {
    const auto order = SweepOrder();
    return static_cast<std::size_t>(std::find(order.begin(), order.end(), n) - order.begin());
  }
  void ExpectTotalsMatchARecount() const {
    EXPECT_EQ(TotalsOf(store_), RecountOf(store_));
    EXPECT_EQ(store_.peers(), store_.seeders() + store_.leechers());
  }

  SwarmStore store_;
  FastRng rng_{1};
};

TEST_F(SwarmExpiryTest, PeersSeenPeerTimeoutAgoExpireYoungerOnesStay) {
  const InfoHash hash = HashOf(1);
  Announce(AnnounceBuilder(hash, "10.0.0.1", 6881), kStart);
  Announce(AnnounceBuilder(hash, "10.0.0.2", 6881).Seeder(), kStart);
  Announce(AnnounceBuilder(hash, "10.0.0.3", 6881), kStart + 1);
  Announce(AnnounceBuilder(hash, "2001:db8::1", 6881), kStart + 1);

  const ExpireProgress progress = store_.ExpireSlice(kStart + kTimeout, kTimeout, kAll);
  EXPECT_EQ(progress.torrents_examined, 1u);
  EXPECT_EQ(progress.peers_removed, 2u);
  EXPECT_EQ(progress.torrents_removed, 0u);
  const SwarmCounts counts = store_.ScrapeOne(hash);
  EXPECT_EQ(counts.seeders, 0u);
  EXPECT_EQ(counts.leechers, 2u);
  ExpectTotalsMatchARecount();

  // One second later the younger ones go too.
  store_.ExpireSlice(kStart + kTimeout + 1, kTimeout, kAll);
  EXPECT_EQ(store_.peers(), 0u);
}

TEST_F(SwarmExpiryTest, NothingExpiresBeforeTheTimeout) {
  AddTorrent(1, kStart);
  const ExpireProgress progress = store_.ExpireSlice(kStart + kTimeout - 1, kTimeout, kAll);
  EXPECT_EQ(progress.peers_removed, 0u);
  EXPECT_EQ(store_.peers(), 1u);
}

TEST_F(SwarmExpiryTest, ReannouncingKeepsAPeerAlive) {
  AddTorrent(1, kStart);
  AddTorrent(1, kStart + 1000);
  store_.ExpireSlice(kStart + kTimeout, kTimeout, kAll);
  EXPECT_EQ(store_.peers(), 1u);
}

TEST_F(SwarmExpiryTest, TorrentLeftEmptyIsRemovedUnlessItCountedCompletions) {
  AddTorrent(1, kStart);
  Announce(AnnounceBuilder(HashOf(2), "10.0.0.2", 6881).Event(proto::EVENT_COMPLETED).Seeder(),
           kStart);

  const ExpireProgress progress = store_.ExpireSlice(kStart + kTimeout, kTimeout, kAll);
  EXPECT_EQ(progress.torrents_examined, 2u);
  EXPECT_EQ(progress.torrents_removed, 1u);
  EXPECT_FALSE(Has(1));
  EXPECT_TRUE(Has(2));
  EXPECT_EQ(store_.ScrapeOne(HashOf(2)).completed, 1u);
  EXPECT_EQ(store_.torrents(), 1u);
  EXPECT_EQ(store_.peers(), 0u);
  ExpectTotalsMatchARecount();
}

TEST_F(SwarmExpiryTest, WithARetentionAnIdleTorrentIsForgottenCountAndAll) {
  constexpr std::int64_t kRetention = 10 * kTimeout;
  const InfoHash hash = HashOf(1);
  Announce(AnnounceBuilder(hash, "10.0.0.1", 6881).Event(proto::EVENT_COMPLETED).Seeder(), kStart);
  Announce(AnnounceBuilder(HashOf(2), "10.0.0.2", 6881).Event(proto::EVENT_COMPLETED).Seeder(),
           kStart + kRetention);

  // Its peer expires, and the count stays until the retention has passed since the announce.
  ExpireProgress progress = store_.ExpireSlice(kStart + kRetention - 1, kTimeout, kAll, kRetention);
  EXPECT_EQ(progress.torrents_removed, 0u);
  EXPECT_TRUE(progress.retired.empty());
  EXPECT_EQ(store_.ScrapeOne(hash).completed, 1u);

  progress = store_.ExpireSlice(kStart + kRetention, kTimeout, kAll, kRetention);
  EXPECT_EQ(progress.torrents_removed, 1u);
  EXPECT_EQ(progress.retired, std::vector<InfoHash>{hash});
  EXPECT_FALSE(Has(1));
  EXPECT_TRUE(Has(2));                // announced later, and it still has its peer
  EXPECT_EQ(store_.completed(), 1u);  // the retired torrent's count left the totals
  ExpectTotalsMatchARecount();
}

TEST_F(SwarmExpiryTest, WithoutARetentionATorrentWithCompletionsStaysForGood) {
  Announce(AnnounceBuilder(HashOf(1), "10.0.0.1", 6881).Event(proto::EVENT_COMPLETED).Seeder(),
           kStart);
  const ExpireProgress progress = store_.ExpireSlice(kStart + 50 * 365 * 86400LL, kTimeout, kAll);
  EXPECT_TRUE(progress.retired.empty());
  EXPECT_EQ(store_.ScrapeOne(HashOf(1)).completed, 1u);
}

TEST_F(SwarmExpiryTest, AnAnnounceRestartsTheRetentionAndPeersHoldATorrent) {
  constexpr std::int64_t kRetention = 100;  // shorter than the peer timeout
  Announce(AnnounceBuilder(HashOf(1), "10.0.0.1", 6881).Event(proto::EVENT_COMPLETED).Seeder(),
           kStart);
  // A second peer announces later; while it is listed the torrent is not idle.
  AddTorrent(1, kStart + 50);
  EXPECT_TRUE(
      store_.ExpireSlice(kStart + kTimeout + 49, kTimeout, kAll, kRetention).retired.empty());
  EXPECT_EQ(PeersOf(1), 1u);
  // Its peer gone at kStart + 50 + kTimeout, the last announce is long past the retention.
  EXPECT_EQ(store_.ExpireSlice(kStart + kTimeout + 50, kTimeout, kAll, kRetention).retired,
            std::vector<InfoHash>{HashOf(1)});
}

TEST_F(SwarmExpiryTest, ARestoredTorrentWithoutPeersStartsItsRetentionAtTheSweep) {
  constexpr std::int64_t kRetention = 1000;
  TorrentRecord record;
  record.info_hash = HashOf(1);
  record.completed = 7;  // the files keep no announce time
  store_.Restore(record);
  const UnixSeconds seen = kStart + 5 * kRetention;
  EXPECT_TRUE(store_.ExpireSlice(seen, kTimeout, kAll, kRetention).retired.empty());
  EXPECT_TRUE(
      store_.ExpireSlice(seen + kRetention - 1, kTimeout, kAll, kRetention).retired.empty());
  EXPECT_EQ(store_.ExpireSlice(seen + kRetention, kTimeout, kAll, kRetention).retired,
            std::vector<InfoHash>{HashOf(1)});
  EXPECT_EQ(store_.completed(), 0u);
}

TEST_F(SwarmExpiryTest, ARestoredTorrentWithPeersTakesTheirLatestAnnounce) {
  constexpr std::int64_t kRetention = kTimeout + 1000;  // its peers expire first
  TorrentRecord record;
  record.info_hash = HashOf(1);
  record.completed = 3;
  for (const UnixSeconds seen : {kStart, kStart + 200}) {
    PeerRecord peer;
    peer.ip = *IpAddress::Parse("10.0.0.1");
    peer.port = static_cast<std::uint16_t>(6000 + seen - kStart);
    peer.last_seen = seen;
    record.peers.push_back(peer);
  }
  store_.Restore(record);
  const UnixSeconds latest = kStart + 200;
  EXPECT_TRUE(
      store_.ExpireSlice(latest + kRetention - 1, kTimeout, kAll, kRetention).retired.empty());
  EXPECT_EQ(PeersOf(1), 0u);
  EXPECT_EQ(store_.ExpireSlice(latest + kRetention, kTimeout, kAll, kRetention).retired,
            std::vector<InfoHash>{HashOf(1)});
}

// A swarm keeps last_seen in 22 bits, read against its latest announce (shard/seen_time.h).
constexpr UnixSeconds kDay = 24 * 3600;
constexpr UnixSeconds kRollOver = UnixSeconds{405} << kSeenTimeBits;  // 1,698,693,120

TEST_F(SwarmExpiryTest, SeenTimesReadBackExactlyWhereTheirLowBitsRollOver) {
  Announce(AnnounceBuilder(HashOf(1), "10.0.0.1", 6881), kRollOver - 3);
  Announce(AnnounceBuilder(HashOf(1), "10.0.0.2", 6881), kRollOver + 4);
  // Eleven days on, unswept (as with --peer-timeout and --expire-lap at a week each).
  Announce(AnnounceBuilder(HashOf(1), "10.0.0.3", 6881), kRollOver + 11 * kDay);
  EXPECT_THAT(SeenTimesOf(1), ElementsAre(kRollOver - 3, kRollOver + 4, kRollOver + 11 * kDay));
  EXPECT_EQ(store_.ExpireSlice(kRollOver + 4 + kTimeout, kTimeout, kAll).peers_removed, 2u);
}

TEST_F(SwarmExpiryTest, UnsweptDeadPeersAreDroppedBeforeTheyCouldReadBackWrong) {
  AddTorrent(1, kRollOver);
  // Another peer announces every 23 hours for 40 days, and no sweep runs.
  UnixSeconds now = kRollOver;
  for (int n = 0; n < 40; ++n) {
    now += 23 * 3600;
    Announce(AnnounceBuilder(HashOf(1), "10.0.0.2", 6881), now);
    const auto times = SeenTimesOf(1);
    ASSERT_EQ(times.back(), now);
    // The dead one reads back its own time for as long as it stays.
    if (times.size() == 2) {
      EXPECT_EQ(times.front(), kRollOver) << n;
    }
  }
  EXPECT_THAT(SeenTimesOf(1), ElementsAre(now));  // dropped once 21 days old in a new window
}

TEST_F(SwarmExpiryTest, AClockThatJumpsAMonthAndBackLeavesNoPeerStuckInTheFuture) {
  AddTorrent(1, kStart);
  const UnixSeconds ahead = kStart + 30 * kDay;  // a clock set wrong for a moment
  // At that time the first had been silent a month: dropped, as a sweep then would have, and
  // told, so that the shard can say the clock moved.
  EXPECT_EQ(Announce(AnnounceBuilder(HashOf(1), "10.0.0.2", 6881), ahead).peers_out_of_range, 1u);
  EXPECT_THAT(SeenTimesOf(1), ElementsAre(ahead));
  EXPECT_EQ(Announce(AnnounceBuilder(HashOf(1), "10.0.0.3", 6881), kStart + 100).peers_out_of_range,
            1u);
  EXPECT_THAT(SeenTimesOf(1), ElementsAre(kStart + 100));
  EXPECT_EQ(Announce(AnnounceBuilder(HashOf(1), "10.0.0.3", 6881), kStart + 100).peers_out_of_range,
            0u);
  EXPECT_EQ(store_.ExpireSlice(kStart + 100 + kTimeout, kTimeout, kAll).peers_removed, 1u);
  EXPECT_EQ(PeersOf(1), 0u);
}

TEST_F(SwarmExpiryTest, AnAnnounceInANewWindowKeepsPeersSeenUpToKeepBeforeItAndNoFurther) {
  const UnixSeconds first = kRollOver + 5;
  AddTorrent(1, first);
  AddTorrent(2, first - 1);
  for (const std::uint8_t n : {1, 2}) {
    Announce(AnnounceBuilder(HashOf(n), "10.0.1.1", 6881), first + kSeenTimeKeep);
  }
  EXPECT_THAT(SeenTimesOf(1), ElementsAre(first, first + kSeenTimeKeep));
  EXPECT_THAT(SeenTimesOf(2), ElementsAre(first + kSeenTimeKeep));
  ExpectTotalsMatchARecount();
  // A stopped announce whose pass empties the torrent: it goes, and the totals follow.
  Announce(AnnounceBuilder(HashOf(2), "10.0.1.1", 6881).Event(proto::EVENT_STOPPED),
           first + 2 * kSeenTimeKeep + 1);
  EXPECT_FALSE(Has(2));
  ExpectTotalsMatchARecount();
}

TEST_F(SwarmExpiryTest, PeersAheadOfAClockSetBackAcrossAWindowReadBackExactly) {
  const UnixSeconds boundary = kRollOver + kSeenTimeWindow;
  AddTorrent(1, boundary + 10);
  Announce(AnnounceBuilder(HashOf(1), "10.0.0.2", 6881), boundary - 20 * kDay);
  // Within that window the reference moves on; the first peer stays 20 days ahead of it.
  Announce(AnnounceBuilder(HashOf(1), "10.0.0.3", 6881), boundary - 18 * kDay);
  EXPECT_THAT(SeenTimesOf(1),
              ElementsAre(boundary + 10, boundary - 20 * kDay, boundary - 18 * kDay));
}

TEST_F(SwarmExpiryTest, RestoredPeersUpToKeepBeforeTheLatestReadBackThroughItsWindow) {
  // Torrent 1 restored with 10.0.0.1 last seen at `oldest` and 10.0.0.2 at kRollOver.
  const auto restore = [&](UnixSeconds oldest) {
    TorrentRecord record;
    record.info_hash = HashOf(1);
    for (const UnixSeconds seen : {oldest, kRollOver}) {
      PeerRecord& peer = record.peers.emplace_back();
      peer.ip = *IpAddress::Parse(seen == oldest ? "10.0.0.1" : "10.0.0.2");
      peer.port = 6881;
      peer.last_seen = seen;
    }
    store_.Restore(record);
  };
  restore(kRollOver - kSeenTimeKeep - 1);
  EXPECT_THAT(SeenTimesOf(1), ElementsAre(kRollOver));
  restore(kRollOver - kSeenTimeKeep);
  // The last second of the latest announce's window: no pass, the oldest at the edge of reach.
  const UnixSeconds last = kRollOver + kSeenTimeWindow - 1;
  Announce(AnnounceBuilder(HashOf(1), "10.0.0.3", 6881), last);
  EXPECT_THAT(SeenTimesOf(1), ElementsAre(kRollOver - kSeenTimeKeep, kRollOver, last));
}

TEST_F(SwarmExpiryTest, PeersRestoredWithoutATimeGoAtTheFirstAnnounce) {
  TorrentRecord record;
  record.info_hash = HashOf(1);
  PeerRecord peer;
  peer.ip = *IpAddress::Parse("10.0.0.1");
  peer.port = 6881;
  record.peers.push_back(peer);  // last seen at 0
  store_.Restore(record);
  EXPECT_THAT(SeenTimesOf(1), ElementsAre(0));
  Announce(AnnounceBuilder(HashOf(1), "10.0.0.2", 6881), kStart);
  EXPECT_THAT(SeenTimesOf(1), ElementsAre(kStart));
  ExpectTotalsMatchARecount();
}

TEST_F(SwarmExpiryTest, SliceExaminesAtMostMaxTorrentsAndResumesWhereItStopped) {
  for (std::uint8_t n = 1; n <= 10; ++n) AddTorrent(n, kStart);
  const std::vector<std::uint8_t> order = SweepOrder();
  ASSERT_EQ(order.size(), 10u);
  const UnixSeconds later = kStart + kTimeout;

  ExpireProgress progress = store_.ExpireSlice(later, kTimeout, 4);
  EXPECT_EQ(progress.torrents_examined, 4u);
  EXPECT_EQ(progress.torrents_removed, 4u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(Has(order[i]), i >= 4) << i;
  ExpectTotalsMatchARecount();

  progress = store_.ExpireSlice(later, kTimeout, 4);
  EXPECT_EQ(progress.torrents_examined, 4u);
  for (std::size_t i = 4; i < 10; ++i) EXPECT_EQ(Has(order[i]), i >= 8) << i;

  // Only two are left: a slice never examines one torrent twice.
  progress = store_.ExpireSlice(later, kTimeout, 4);
  EXPECT_EQ(progress.torrents_examined, 2u);
  EXPECT_EQ(store_.torrents(), 0u);
  ExpectTotalsMatchARecount();
}

TEST_F(SwarmExpiryTest, SliceResumesCorrectlyWhenTorrentsComeAndGoBetweenSlices) {
  // Even-numbered torrents 2..20, each with one stale peer and a completion so they stay.
  for (std::uint8_t n = 2; n <= 20; n += 2) {
    Announce(AnnounceBuilder(HashOf(n), "10.0.0.1", 6881).Event(proto::EVENT_COMPLETED).Seeder(),
             kStart);
  }
  const UnixSeconds later = kStart + kTimeout;
  const std::vector<std::uint8_t> order = SweepOrder();
  store_.ExpireSlice(later, kTimeout, 3);  // examines order[0..2]
  const std::uint8_t last_examined = order[2];
  EXPECT_EQ(PeersOf(last_examined), 0u);
  EXPECT_EQ(PeersOf(order[3]), 1u);

  // Between slices: the next torrent to examine goes away, and newcomers appear, one behind
  // the cursor and one ahead of it (odd numbers; the others tried are stopped again).
  Announce(AnnounceBuilder(HashOf(order[3]), "10.0.0.1", 6881).Event(proto::EVENT_STOPPED), later);
  store_.SetCompleted(HashOf(order[3]), 0);
  ASSERT_FALSE(Has(order[3]));
  std::optional<std::uint8_t> behind;
  std::optional<std::uint8_t> ahead;
  for (std::uint8_t n = 1; n < 99 && !(behind && ahead); n += 2) {
    AddTorrent(n, kStart);
    const bool is_ahead = Position(n) > Position(last_examined);
    std::optional<std::uint8_t>& side = is_ahead ? ahead : behind;
    if (side) {
      Announce(AnnounceBuilder(HashOf(n), "10.0.0." + std::to_string(n), 6881)
                   .Event(proto::EVENT_STOPPED),
               kStart);
    } else {
      side = n;
    }
  }
  ASSERT_TRUE(behind && ahead);

  const std::vector<std::uint8_t> now_order = SweepOrder();
  const std::size_t resume = Position(last_examined) + 1;
  const std::size_t left_in_lap = now_order.size() - resume;
  ASSERT_GE(left_in_lap, 3u);
  const ExpireProgress progress = store_.ExpireSlice(later, kTimeout, 3);
  EXPECT_EQ(progress.torrents_examined, 3u);
  EXPECT_EQ(progress.peers_removed, 3u);
  for (std::size_t i = resume; i < resume + 3; ++i) EXPECT_EQ(PeersOf(now_order[i]), 0u) << i;
  EXPECT_EQ(PeersOf(*behind), 1u);
  ExpectTotalsMatchARecount();

  // The sweep finishes its lap without touching the newcomer behind the first cursor, then
  // wraps around and reaches it.
  store_.ExpireSlice(later, kTimeout, left_in_lap - 3);
  EXPECT_EQ(PeersOf(*behind), 1u);
  EXPECT_FALSE(Has(*ahead));
  store_.ExpireSlice(later, kTimeout, Position(*behind) + 1);
  EXPECT_FALSE(Has(*behind));
  EXPECT_EQ(store_.peers(), 0u);
  ExpectTotalsMatchARecount();
}

TEST_F(SwarmExpiryTest, EveryTorrentIsExaminedOncePerLap) {
  for (std::uint8_t n = 1; n <= 7; ++n) AddTorrent(n, kStart);
  std::size_t examined = 0;
  for (int slice = 0; slice < 3; ++slice) {
    examined += store_.ExpireSlice(kStart, kTimeout, 3).torrents_examined;
  }
  EXPECT_EQ(examined, 9u);  // 3 + 3 + 3, wrapping after the seventh
  EXPECT_EQ(store_.torrents(), 7u);
  // Seven slices of one torrent each expire all seven, whatever the cursor was.
  for (int slice = 0; slice < 7; ++slice) store_.ExpireSlice(kStart + kTimeout, kTimeout, 1);
  EXPECT_EQ(store_.torrents(), 0u);
}

TEST_F(SwarmExpiryTest, TheSliceThatReachesTheEndOfTheTableFinishesALap) {
  for (std::uint8_t n = 1; n <= 7; ++n) AddTorrent(n, kStart);
  std::vector<bool> finished;
  for (int slice = 0; slice < 4; ++slice) {
    finished.push_back(store_.ExpireSlice(kStart, kTimeout, 3).lap_finished);
  }
  // 3, 3, then the seventh torrent ends the lap and the slice goes on from the start; the
  // fourth slice (torrents 3..5 of the order) stays inside the second lap.
  EXPECT_EQ(finished, (std::vector<bool>{false, false, true, false}));
  EXPECT_TRUE(store_.ExpireSlice(kStart, kTimeout, 2).lap_finished);  // the last two
}

TEST_F(SwarmExpiryTest, ExpiryGivesPeerListMemoryBack) {
  const InfoHash hash = HashOf(1);
  Announce(AnnounceBuilder(hash, "10.0.0.1", 6881).Event(proto::EVENT_COMPLETED).Seeder(), kStart);
  for (int i = 0; i < 1000; ++i) {
    const std::string ip = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    Announce(AnnounceBuilder(hash, ip, 6881), i < 10 ? kStart + 1000 : kStart);
  }
  const std::size_t full = store_.PeerListBytes();
  ASSERT_GT(full, 0u);

  store_.ExpireSlice(kStart + kTimeout, kTimeout, kAll);  // 991 of 1001 peers go
  EXPECT_EQ(store_.peers(), 10u);
  EXPECT_LT(store_.PeerListBytes(), full / 4);

  store_.ExpireSlice(kStart + 1000 + kTimeout, kTimeout, kAll);  // kept for its completion
  EXPECT_EQ(store_.torrents(), 1u);
  EXPECT_EQ(store_.PeerListBytes(), 0u);
}

TEST_F(SwarmExpiryTest, SliceOnAnEmptyStoreDoesNothing) {
  const ExpireProgress progress = store_.ExpireSlice(kStart, kTimeout, 100);
  EXPECT_EQ(progress.torrents_examined, 0u);
  EXPECT_EQ(progress.torrents_removed, 0u);
  EXPECT_EQ(progress.peers_removed, 0u);
  EXPECT_TRUE(progress.lap_finished);
}

TEST_F(SwarmExpiryTest, TotalsStayConsistentThroughAMixOfAnnouncesAndSlices) {
  FastRng pick(99);
  UnixSeconds now = kStart;
  for (int step = 0; step < 2000; ++step) {
    now += pick.Below(5);
    const auto torrent = static_cast<std::uint8_t>(1 + pick.Below(30));
    AnnounceBuilder peer(HashOf(torrent), "10.0.0." + std::to_string(1 + pick.Below(20)),
                         6881 + pick.Below(2));
    if (pick.Below(2) == 0) peer.Seeder();
    const std::uint32_t event = pick.Below(8);
    if (event == 0) peer.Event(proto::EVENT_STOPPED);
    if (event == 1) peer.Event(proto::EVENT_COMPLETED);
    if (event == 2) peer.Paused();  // a partial seed unless it is a seeder
    Announce(peer, now);
    if (step % 50 == 0) store_.ExpireSlice(now, 600, 7);
  }
  EXPECT_GT(store_.partial_seeds(), 0u);
  ExpectTotalsMatchARecount();
  store_.ExpireSlice(now + 600, 600, kAll);
  EXPECT_EQ(store_.peers(), 0u);
  ExpectTotalsMatchARecount();
}

}  // namespace
}  // namespace shardtrack
