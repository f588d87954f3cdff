// SwarmStore's memory choices: which peer ids are kept (PeerIdPolicy), and the torrent table under
// many torrents coming and going, expiry laps included.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "shard/swarm_store.h"
#include "tests/unit/shard/swarm_test_util.h"

namespace shardtrack {
namespace {

using testing::AnnounceBuilder;
using testing::AnnounceFromWire;
using ::testing::ElementsAre;
using testing::HashOf;
using ::testing::IsEmpty;
using testing::PeerIdFor;
using testing::RecountOf;
using ::testing::SizeIs;
using testing::SplitIds;
using testing::TotalsOf;
using ::testing::UnorderedElementsAre;

constexpr UnixSeconds kNow = 1'700'000'000;
constexpr std::int64_t kTimeout = 2700;

InfoHash RandomHash(FastRng& rng) {
  InfoHash out;
  for (auto& byte : out.bytes) byte = static_cast<std::uint8_t>(rng.Below(256));
  return out;
}

std::string Ip(std::uint32_t n) {
  return "10." + std::to_string((n >> 16) & 255) + "." + std::to_string((n >> 8) & 255) + "." +
         std::to_string(n & 255);
}

proto::AnnounceReply Announce(SwarmStore& store, const proto::AnnounceRequest& request,
                              UnixSeconds now = kNow) {
  FastRng rng(1);
  proto::AnnounceReply reply;
  EXPECT_TRUE(AnnounceFromWire(store, request, now, rng, reply).accepted);
  return reply;
}

std::vector<TorrentRecord> Export(const SwarmStore& store) {
  std::vector<TorrentRecord> out;
  store.ForEachTorrent([&](const TorrentRecord& record) { out.push_back(record); });
  return out;
}

TEST(SwarmStorePeerIdsTest, WithoutStoredIdsRepliesCarryNoIds) {
  SwarmStore store(PeerIdPolicy::kNever);
  Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.1", 6881).Seeder());
  Announce(store, AnnounceBuilder(HashOf(1), "2001:db8::1", 6881).Seeder());
  const proto::AnnounceReply reply =
      Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.2", 6881).WantPeerIds());
  EXPECT_THAT(testing::Peers4(reply), ElementsAre("10.0.0.1:6881"));
  EXPECT_THAT(testing::Peers6(reply), ElementsAre("[2001:db8::1]:6881"));
  EXPECT_THAT(reply.peer_ids4(), IsEmpty());
  EXPECT_THAT(reply.peer_ids6(), IsEmpty());
}

TEST(SwarmStorePeerIdsTest, WithoutStoredIdsRecordsHaveZeroIdsAndRestore) {
  SwarmStore store(PeerIdPolicy::kNever);
  Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.1", 6881).Seeder());
  Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.2", 6881).Event(proto::EVENT_COMPLETED));
  Announce(store, AnnounceBuilder(HashOf(1), "2001:db8::2", 6881), kNow - 5);
  const std::vector<TorrentRecord> exported = Export(store);
  ASSERT_THAT(exported, SizeIs(1));
  ASSERT_THAT(exported[0].peers, SizeIs(3));
  for (const PeerRecord& peer : exported[0].peers) EXPECT_EQ(peer.peer_id, PeerId());

  SwarmStore copy(PeerIdPolicy::kNever);
  copy.Restore(exported[0]);
  EXPECT_EQ(Export(copy), exported);
  EXPECT_EQ(TotalsOf(copy), TotalsOf(store));
  // A restart that keeps ids again restores the same peers with the (zero) ids the record has.
  SwarmStore with_ids(PeerIdPolicy::kAlways);
  with_ids.Restore(exported[0]);
  EXPECT_EQ(Export(with_ids), exported);
}

TEST(SwarmStorePeerIdsTest, RecordsWithIdsRestoreIntoAStoreThatKeepsNone) {
  SwarmStore store(PeerIdPolicy::kAlways);
  Announce(store, AnnounceBuilder(HashOf(2), "10.0.0.1", 6881));
  SwarmStore copy(PeerIdPolicy::kNever);
  copy.Restore(Export(store)[0]);
  const std::vector<TorrentRecord> again = Export(copy);
  ASSERT_THAT(again, SizeIs(1));
  ASSERT_THAT(again[0].peers, SizeIs(1));
  EXPECT_EQ(again[0].peers[0].peer_id, PeerId());
  EXPECT_EQ(again[0].peers[0].port, 6881);
}

TEST(SwarmStorePeerIdsTest, StoredIdsRoundTripThroughRepliesAndRecords) {
  SwarmStore store(PeerIdPolicy::kAlways);
  Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.1", 6881).Seeder());
  Announce(store, AnnounceBuilder(HashOf(1), "2001:db8::1", 51413).Seeder());
  SwarmStore copy(PeerIdPolicy::kAlways);
  for (const TorrentRecord& record : Export(store)) copy.Restore(record);
  EXPECT_EQ(Export(copy), Export(store));

  const proto::AnnounceReply reply =
      Announce(copy, AnnounceBuilder(HashOf(1), "10.0.0.9", 6881).WantPeerIds());
  EXPECT_THAT(SplitIds(reply.peer_ids4()), ElementsAre(PeerIdFor("10.0.0.1", 6881)));
  EXPECT_THAT(SplitIds(reply.peer_ids6()), ElementsAre(PeerIdFor("2001:db8::1", 51413)));
}

// What a swarm that keeps no ids, or has not yet seen a peer's, exports and replies for it.
const std::string kUnknownId(20, '\0');

std::vector<std::string> ExportedIds(const SwarmStore& store) {
  std::vector<std::string> out;
  for (const TorrentRecord& record : Export(store)) {
    for (const PeerRecord& peer : record.peers) out.push_back(peer.peer_id.ToRaw());
  }
  return out;
}

TEST(SwarmStorePeerIdsTest, WhenAskedCompactAnnouncesKeepNoIds) {
  SwarmStore asked;
  SwarmStore never(PeerIdPolicy::kNever);
  for (SwarmStore* store : {&asked, &never}) {
    for (std::uint32_t n = 0; n < 40; ++n) {
      Announce(*store, AnnounceBuilder(HashOf(n % 4), Ip(n), 6881));
      Announce(*store, AnnounceBuilder(HashOf(n % 4), "2001:db8::" + std::to_string(n + 1), 6881));
    }
  }
  EXPECT_EQ(asked.PeerListBytes(), never.PeerListBytes());
  EXPECT_THAT(ExportedIds(asked), ::testing::Each(kUnknownId));
}

TEST(SwarmStorePeerIdsTest, WhenAskedAnAnnounceAskingForIdsStartsKeepingThem) {
  SwarmStore store;
  Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.1", 6881).Seeder());
  Announce(store, AnnounceBuilder(HashOf(1), "2001:db8::1", 6881).Seeder());
  Announce(store, AnnounceBuilder(HashOf(2), "10.0.0.1", 6881));  // another torrent: no ids
  const std::size_t bytes_before = store.PeerListBytes();

  // The peers listed before are there, with their ids not known (zeros) yet.
  proto::AnnounceReply reply =
      Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.9", 6881).WantPeerIds());
  EXPECT_THAT(testing::Peers4(reply), ElementsAre("10.0.0.1:6881"));
  EXPECT_THAT(testing::Peers6(reply), ElementsAre("[2001:db8::1]:6881"));
  EXPECT_THAT(SplitIds(reply.peer_ids4()), ElementsAre(kUnknownId));
  EXPECT_THAT(SplitIds(reply.peer_ids6()), ElementsAre(kUnknownId));
  EXPECT_GT(store.PeerListBytes(), bytes_before);

  // A compact announce from then on keeps its id, in both families.
  Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.1", 6881).Seeder());
  Announce(store, AnnounceBuilder(HashOf(1), "2001:db8::2", 6881).Seeder());
  reply = Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.10", 6881).WantPeerIds());
  EXPECT_THAT(SplitIds(reply.peer_ids4()),
              UnorderedElementsAre(PeerIdFor("10.0.0.1", 6881), PeerIdFor("10.0.0.9", 6881)));
  EXPECT_THAT(SplitIds(reply.peer_ids6()),
              UnorderedElementsAre(kUnknownId, PeerIdFor("2001:db8::2", 6881)));

  // The other torrent still keeps none.
  for (const TorrentRecord& record : Export(store)) {
    if (record.info_hash != HashOf(2)) continue;
    EXPECT_THAT(record.peers, ElementsAre(::testing::Field(&PeerRecord::peer_id, PeerId())));
  }
}

TEST(SwarmStorePeerIdsTest, WhenAskedASwarmThatEmptiesStopsKeepingIds) {
  SwarmStore store;
  Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.1", 6881).WantPeerIds());
  Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.1", 6881).Event(proto::EVENT_STOPPED));
  Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.2", 6881));
  EXPECT_THAT(ExportedIds(store), ElementsAre(kUnknownId));
}

TEST(SwarmStorePeerIdsTest, WhenAskedOnlyAnAnnounceThatGetsPeersAsksForTheirIds) {
  SwarmStore store;
  Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.1", 6881));
  Announce(store,
           AnnounceBuilder(HashOf(1), "10.0.0.2", 6881).WantPeerIds().Event(proto::EVENT_STOPPED));
  Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.3", 6881).WantPeerIds().Numwant(0));
  Announce(store, AnnounceBuilder(HashOf(1), "10.0.0.4", 6881));
  EXPECT_THAT(ExportedIds(store), ::testing::Each(kUnknownId));
}

// Records written while every id was kept (a build before "asked", `always`, an imported
// dfile) must not make a busy swarm keep ids for good.
TEST(SwarmStorePeerIdsTest, WhenAskedARestartKeepsNoIdsUntilAClientAsksAgain) {
  SwarmStore always(PeerIdPolicy::kAlways);
  for (std::uint32_t n = 1; n <= 3; ++n) Announce(always, AnnounceBuilder(HashOf(1), Ip(n), 6881));
  SwarmStore asked;
  SwarmStore never(PeerIdPolicy::kNever);
  for (const TorrentRecord& record : Export(always)) {
    asked.Restore(record);
    never.Restore(record);
  }
  EXPECT_THAT(ExportedIds(asked), ::testing::Each(kUnknownId));
  EXPECT_EQ(asked.PeerListBytes(), never.PeerListBytes());
  Announce(asked, AnnounceBuilder(HashOf(1), Ip(1), 6881));
  EXPECT_THAT(ExportedIds(asked), ::testing::Each(kUnknownId));

  Announce(asked, AnnounceBuilder(HashOf(1), Ip(4), 6881).WantPeerIds());
  Announce(asked, AnnounceBuilder(HashOf(1), Ip(1), 6881));
  EXPECT_THAT(ExportedIds(asked),
              ::testing::UnorderedElementsAre(PeerIdFor(Ip(1), 6881), PeerIdFor(Ip(4), 6881),
                                              kUnknownId, kUnknownId));
}

TEST(SwarmStoreTableTest, ManyTorrentsComingAndGoingKeepEveryOneReachableAndTotalsRight) {
  SwarmStore store;
  FastRng rng(21);
  std::vector<InfoHash> hashes;
  for (int n = 0; n < 3000; ++n) hashes.push_back(RandomHash(rng));
  std::map<InfoHash, std::set<std::uint32_t>> model;  // torrent -> its peers' numbers
  UnixSeconds now = kNow;
  for (int step = 0; step < 40000; ++step) {
    const InfoHash& hash = hashes[rng.Below(hashes.size())];
    const std::uint32_t peer = rng.Below(4);
    AnnounceBuilder announce(hash, Ip(peer), 6881);
    if (rng.Below(3) == 0) {
      announce.Event(proto::EVENT_STOPPED);
      model[hash].erase(peer);
      if (model[hash].empty()) model.erase(hash);
    } else {
      model[hash].insert(peer);
      if (peer == 3) announce.Paused();
    }
    Announce(store, announce, now);
    // Slices erase torrents in the middle of a lap (none expire: only the totals and reach).
    if (step % 97 == 0) store.ExpireSlice(now, kTimeout, 50);
  }
  EXPECT_EQ(store.torrents(), model.size());
  EXPECT_EQ(TotalsOf(store), RecountOf(store));
  for (const auto& [hash, peers] : model) {
    EXPECT_EQ(store.ScrapeOne(hash).leechers, peers.size());
    EXPECT_EQ(store.ScrapeOne(hash).partial_seeds, peers.count(3));
  }
  std::vector<InfoHash> listed;
  for (const TorrentRecord& record : Export(store)) listed.push_back(record.info_hash);
  std::vector<InfoHash> expected;
  for (const auto& item : model) expected.push_back(item.first);
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, expected);  // each once
}

TEST(SwarmStoreTableTest, ExpiryVisitsEveryTorrentOncePerLapWhileTorrentsComeAndGo) {
  SwarmStore store;
  FastRng rng(22);
  std::vector<InfoHash> stay;  // one fresh peer each
  for (int n = 0; n < 1000; ++n) stay.push_back(RandomHash(rng));
  std::vector<InfoHash> stale;  // one stale peer each: removed when examined
  for (int n = 0; n < 7000; ++n) stale.push_back(RandomHash(rng));
  for (const InfoHash& hash : stay) Announce(store, AnnounceBuilder(hash, "10.0.0.1", 6881));
  for (const InfoHash& hash : stale) {
    Announce(store, AnnounceBuilder(hash, "10.0.0.2", 6881), kNow - kTimeout);
  }
  // One lap of 8000 torrents in 32 slices of 250. Between slices a torrent comes and goes; the
  // removals shrink the table (rehashes) during the lap. Every slice examines 250, and after
  // the lap every stale torrent is gone: each was examined once.
  std::size_t removed = 0;
  for (int slice = 0; slice < 32; ++slice) {
    const ExpireProgress progress = store.ExpireSlice(kNow, kTimeout, 250);
    EXPECT_EQ(progress.torrents_examined, 250u) << slice;
    removed += progress.torrents_removed;
    const InfoHash passing = RandomHash(rng);
    Announce(store, AnnounceBuilder(passing, "10.0.0.3", 6881));
    Announce(store, AnnounceBuilder(passing, "10.0.0.3", 6881).Event(proto::EVENT_STOPPED));
  }
  EXPECT_EQ(removed, 7000u);
  EXPECT_EQ(store.torrents(), 1000u);
  for (const InfoHash& hash : stay) EXPECT_EQ(store.ScrapeOne(hash).leechers, 1u);
  EXPECT_EQ(TotalsOf(store), RecountOf(store));
  // The next lap examines the 1000 that stay.
  for (int slice = 0; slice < 4; ++slice) {
    EXPECT_EQ(store.ExpireSlice(kNow, kTimeout, 250).torrents_examined, 250u);
  }
  EXPECT_EQ(store.torrents(), 1000u);
}

TEST(SwarmStoreTableTest, StructureCostsFewBytesPerPeerWithoutIds) {
  // 10 IPv4 peers on each of 10000 torrents, a quarter seeders, like bench/compare's memory run.
  for (const PeerIdPolicy policy :
       {PeerIdPolicy::kNever, PeerIdPolicy::kWhenAsked, PeerIdPolicy::kAlways}) {
    const bool ids = policy == PeerIdPolicy::kAlways;
    SwarmStore store(policy);
    FastRng rng(23);
    for (int t = 0; t < 10000; ++t) {
      const InfoHash hash = RandomHash(rng);
      for (std::uint32_t p = 0; p < 10; ++p) {
        AnnounceBuilder announce(hash, Ip(t * 10 + p), 6881);
        if (p % 4 == 0) announce.Seeder();
        Announce(store, announce.Numwant(0));
      }
    }
    ASSERT_EQ(store.peers(), 100000u);
    // Bytes requested for blocks and slots, plus malloc's 8 bytes per block (1 a torrent).
    const double per_peer =
        static_cast<double>(store.PeerListBytes() + store.TableBytes() + 8 * 10000) /
        static_cast<double>(store.peers());
    // 17.5 and 37.5 with 9-byte entries (29 with ids); 11-byte ones came to 20.6 and 39.5.
    EXPECT_LT(per_peer, ids ? 38.5 : 19.0) << (ids ? "with ids" : "without ids");
    RecordProperty(ids ? "bytes_per_peer_with_ids" : "bytes_per_peer_without_ids",
                   std::to_string(per_peer));
  }
}

TEST(SwarmStoreTableTest, StructureCostsFewBytesAtOnePeerATorrent) {
  // One IPv4 peer on each of 100000 torrents (most torrents of a public tracker have one or two):
  // a 48-byte slot at 7/10 load or more, and a block of a 12-byte header and a 9-byte entry in
  // malloc's 32-byte chunk.
  SwarmStore store(PeerIdPolicy::kWhenAsked);
  FastRng rng(29);
  for (std::uint32_t t = 0; t < 100000; ++t) {
    AnnounceBuilder announce(RandomHash(rng), Ip(t), 6881);
    if (t % 4 == 0) announce.Seeder();
    Announce(store, announce.Numwant(0));
  }
  ASSERT_EQ(store.peers(), 100000u);
  const double per_peer =
      static_cast<double>(store.PeerListBytes() + store.TableBytes() + 8 * store.torrents()) /
      static_cast<double>(store.peers());
  EXPECT_LT(per_peer, 48.0 / 0.7 + 32.0);
  RecordProperty("bytes_per_peer", std::to_string(per_peer));
}

}  // namespace
}  // namespace shardtrack
