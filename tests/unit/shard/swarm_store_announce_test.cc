// SwarmStore::Announce: how a swarm identifies, counts and lists its peers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "shard/peer_family.h"
#include "shard/swarm_store.h"
#include "tests/unit/shard/swarm_test_util.h"

namespace shardtrack {
namespace {

using testing::AnnounceBuilder;
using testing::AnnounceFromWire;
using ::testing::Contains;
using testing::EndpointText;
using testing::HashOf;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::PeerIdFor;
using testing::Peers4;
using testing::Peers6;
using ::testing::SizeIs;
using testing::SplitIds;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

constexpr UnixSeconds kNow = 1'700'000'000;

class SwarmStoreTest : public ::testing::Test {
 protected:
  proto::AnnounceReply Announce(const proto::AnnounceRequest& request, UnixSeconds now = kNow) {
    proto::AnnounceReply reply;
    outcome_ = AnnounceFromWire(store_, request, now, rng_, reply);
    return reply;
  }
  AnnounceBuilder Peer(const std::string& ip, std::uint32_t port) {
    return AnnounceBuilder(hash_, ip, port);
  }
  // Leechers 10.0.0.1:6881 .. 10.0.0.n:6881.
  std::vector<std::string> AddLeechers(int n, const std::string& prefix = "10.0.0.") {
    std::vector<std::string> endpoints;
    for (int i = 1; i <= n; ++i) {
      Announce(Peer(prefix + std::to_string(i), 6881).Event(proto::EVENT_STARTED));
      endpoints.push_back(EndpointText(prefix + std::to_string(i), 6881));
    }
    return endpoints;
  }

  SwarmStore store_;
  FastRng rng_{42};
  AnnounceOutcome outcome_;
  const InfoHash hash_ = HashOf(1);
};

TEST_F(SwarmStoreTest, FirstAnnounceCreatesTheTorrentWithOneLeecher) {
  const auto reply = Announce(Peer("10.0.0.1", 6881).Event(proto::EVENT_STARTED));
  EXPECT_TRUE(outcome_.accepted);
  EXPECT_EQ(reply.complete(), 0u);
  EXPECT_EQ(reply.incomplete(), 1u);
  EXPECT_EQ(reply.downloaded(), 0u);
  EXPECT_THAT(Peers4(reply), IsEmpty());
  EXPECT_EQ(store_.torrents(), 1u);
  EXPECT_EQ(store_.leechers(), 1u);
}

TEST_F(SwarmStoreTest, SameAddressAndPortWithANewPeerIdReplacesThePeer) {
  Announce(Peer("10.0.0.1", 6881).WantPeerIds());  // the swarm keeps ids once asked
  Announce(Peer("10.0.0.1", 6881).PeerIdRaw("-XX0001-newsession00"));
  EXPECT_EQ(store_.peers(), 1u);

  const auto reply = Announce(Peer("10.0.0.2", 6881).WantPeerIds());
  EXPECT_EQ(reply.incomplete(), 2u);
  EXPECT_THAT(Peers4(reply), UnorderedElementsAre("10.0.0.1:6881"));
  EXPECT_THAT(SplitIds(reply.peer_ids4()), UnorderedElementsAre("-XX0001-newsession00"));
}

TEST_F(SwarmStoreTest, SameAddressOnAnotherPortIsAnotherPeer) {
  Announce(Peer("10.0.0.1", 6881));
  Announce(Peer("10.0.0.1", 6882));
  EXPECT_EQ(store_.peers(), 2u);
}

TEST_F(SwarmStoreTest, CompletedIsCountedOncePerPeer) {
  Announce(Peer("10.0.0.1", 6881).Event(proto::EVENT_STARTED));
  auto reply = Announce(Peer("10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  EXPECT_TRUE(outcome_.completion_counted);
  EXPECT_EQ(outcome_.completed, 1u);
  EXPECT_EQ(reply.downloaded(), 1u);

  reply = Announce(Peer("10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  EXPECT_FALSE(outcome_.completion_counted);
  EXPECT_EQ(reply.downloaded(), 1u);

  // Even after it turned leecher again (a recheck) and completed once more.
  Announce(Peer("10.0.0.1", 6881));
  reply = Announce(Peer("10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  EXPECT_FALSE(outcome_.completion_counted);
  EXPECT_EQ(reply.downloaded(), 1u);
  EXPECT_EQ(store_.completed(), 1u);
}

TEST_F(SwarmStoreTest, ACompletedCountStopsAtItsTopInsteadOfWrappingToZero) {
  Announce(Peer("10.0.0.1", 6881).Event(proto::EVENT_STARTED));
  store_.SetCompleted(hash_, UINT32_MAX);
  auto reply = Announce(Peer("10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  EXPECT_TRUE(outcome_.completion_counted);
  EXPECT_EQ(reply.downloaded(), UINT32_MAX);
  EXPECT_EQ(outcome_.completed, UINT32_MAX);
}

TEST_F(SwarmStoreTest, CompletedFromEachOfTwoPeersCountsTwice) {
  Announce(Peer("10.0.0.1", 6881));
  Announce(Peer("10.0.0.2", 6881));
  Announce(Peer("10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  const auto reply = Announce(Peer("10.0.0.2", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  EXPECT_EQ(outcome_.completed, 2u);
  EXPECT_EQ(reply.downloaded(), 2u);
}

TEST_F(SwarmStoreTest, CompletedFromAPeerListedAsSeederIsNotCounted) {
  // It was a seeder from the start: it downloaded nothing here.
  Announce(Peer("10.0.0.1", 6881).Seeder().Event(proto::EVENT_STARTED));
  const auto reply = Announce(Peer("10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  EXPECT_FALSE(outcome_.completion_counted);
  EXPECT_EQ(reply.downloaded(), 0u);
  EXPECT_EQ(reply.complete(), 1u);
}

TEST_F(SwarmStoreTest, CompletedFromAnUnknownPeerIsCounted) {
  // Its earlier announces may have expired or gone to a tracker that restarted.
  const auto reply = Announce(Peer("10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  EXPECT_TRUE(outcome_.completion_counted);
  EXPECT_EQ(reply.downloaded(), 1u);
}

TEST_F(SwarmStoreTest, StoppedRemovesThePeerAndItsReplyHasNoPeers) {
  AddLeechers(3);
  const auto reply = Announce(Peer("10.0.0.1", 6881).Event(proto::EVENT_STOPPED).WantPeerIds());
  EXPECT_TRUE(outcome_.accepted);
  EXPECT_EQ(reply.incomplete(), 2u);
  EXPECT_THAT(reply.peers4(), IsEmpty());
  EXPECT_THAT(reply.peers6(), IsEmpty());
  EXPECT_THAT(reply.peer_ids4(), IsEmpty());
  EXPECT_EQ(store_.peers(), 2u);

  const auto other = Announce(Peer("10.0.0.2", 6881));
  EXPECT_THAT(Peers4(other), UnorderedElementsAre("10.0.0.3:6881"));
}

TEST_F(SwarmStoreTest, StoppedFromAnUnknownPeerCreatesNoTorrent) {
  Announce(Peer("10.0.0.1", 6881).Event(proto::EVENT_STOPPED));
  EXPECT_TRUE(outcome_.accepted);
  EXPECT_EQ(store_.torrents(), 0u);
}

TEST_F(SwarmStoreTest, StoppingTheLastPeerForgetsATorrentThatCountedNothing) {
  Announce(Peer("10.0.0.1", 6881));
  Announce(Peer("10.0.0.1", 6881).Event(proto::EVENT_STOPPED));
  EXPECT_EQ(store_.torrents(), 0u);
}

TEST_F(SwarmStoreTest, StoppingTheLastPeerKeepsATorrentWithCompletions) {
  Announce(Peer("10.0.0.1", 6881));
  Announce(Peer("10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  Announce(Peer("10.0.0.1", 6881).Seeder().Event(proto::EVENT_STOPPED));
  EXPECT_EQ(store_.torrents(), 1u);
  EXPECT_EQ(store_.peers(), 0u);
  EXPECT_EQ(store_.ScrapeOne(hash_).completed, 1u);
}

TEST_F(SwarmStoreTest, LeecherThatReportsLeftZeroBecomesASeeder) {
  Announce(Peer("10.0.0.1", 6881));
  Announce(Peer("10.0.0.2", 6881));
  const auto reply = Announce(Peer("10.0.0.1", 6881).Seeder());
  EXPECT_EQ(reply.complete(), 1u);
  EXPECT_EQ(reply.incomplete(), 1u);
  EXPECT_EQ(store_.seeders(), 1u);
  EXPECT_EQ(store_.leechers(), 1u);
  EXPECT_EQ(store_.peers(), 2u);
  EXPECT_EQ(reply.downloaded(), 0u);  // no completed event: nothing counted
}

TEST_F(SwarmStoreTest, SeederThatReportsLeftAgainBecomesALeecher) {
  Announce(Peer("10.0.0.1", 6881).Seeder());
  const auto reply = Announce(Peer("10.0.0.1", 6881));
  EXPECT_EQ(reply.complete(), 0u);
  EXPECT_EQ(reply.incomplete(), 1u);
  EXPECT_EQ(store_.seeders(), 0u);
  EXPECT_EQ(store_.leechers(), 1u);
}

// BEP 21: a partial seed says `paused` in every announce while it is one; it stays a leecher
// (`incomplete`), and a scrape's downloaders leave it out.
TEST_F(SwarmStoreTest, APausedLeecherIsAPartialSeedWhileItsAnnouncesSaySo) {
  Announce(Peer("10.0.0.1", 6881).Paused());
  Announce(Peer("10.0.0.2", 6881));
  const auto counts = [&] { return store_.ScrapeOne(hash_); };
  EXPECT_EQ(counts().leechers, 2u);
  EXPECT_EQ(counts().partial_seeds, 1u);
  EXPECT_EQ(store_.partial_seeds(), 1u);

  Announce(Peer("10.0.0.1", 6881));  // it chose more files: downloading again
  EXPECT_EQ(counts().partial_seeds, 0u);
  Announce(Peer("10.0.0.1", 6881).Paused());
  Announce(Peer("10.0.0.1", 6881).Paused());  // a repeat counts once
  EXPECT_EQ(counts().partial_seeds, 1u);
  Announce(Peer("10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  EXPECT_EQ(counts().seeders, 1u);
  EXPECT_EQ(counts().partial_seeds, 0u);
  EXPECT_EQ(counts().completed, 1u);
  Announce(Peer("10.0.0.1", 6881).Seeder().Paused());  // a whole seed is no partial one
  EXPECT_EQ(counts().partial_seeds, 0u);
  EXPECT_EQ(store_.partial_seeds(), 0u);
}

// Another build's frontend may send an event this one does not know: it is none, and never
// reaches the accounting's credit log, whose replay would refuse it.
TEST_F(SwarmStoreTest, AnEventThisBuildDoesNotKnowIsNone) {
  AnnounceBuilder peer = Peer("10.0.0.1", 6881);
  peer.request.set_event(static_cast<proto::Event>(4));
  const auto parsed = ParsePeerAnnounce(peer);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->event, proto::EVENT_NONE);
  EXPECT_FALSE(parsed->partial_seed);
}

TEST_F(SwarmStoreTest, APartialSeedThatStopsOrExpiresLeavesTheCounts) {
  Announce(Peer("10.0.0.1", 6881).Paused());
  Announce(Peer("10.0.0.2", 6881).Paused(), kNow - 3000);
  Announce(Peer("10.0.0.1", 6881).Paused().Event(proto::EVENT_STOPPED));
  EXPECT_EQ(store_.ScrapeOne(hash_).partial_seeds, 1u);
  store_.ExpireSlice(kNow, 2700, 10);
  EXPECT_EQ(store_.ScrapeOne(hash_).partial_seeds, 0u);
  EXPECT_EQ(store_.partial_seeds(), 0u);
  EXPECT_EQ(store_.peers(), 0u);
}

TEST_F(SwarmStoreTest, LeecherGetsEveryoneButItself) {
  Announce(Peer("10.0.0.9", 6881).Seeder());
  AddLeechers(4);
  for (int i = 1; i <= 4; ++i) {
    const std::string self = "10.0.0." + std::to_string(i);
    const auto reply = Announce(Peer(self, 6881));
    EXPECT_THAT(Peers4(reply), SizeIs(4));
    EXPECT_THAT(Peers4(reply), Not(Contains(EndpointText(self, 6881))));
    EXPECT_THAT(Peers4(reply), Contains("10.0.0.9:6881"));
  }
}

// Past PeerFamily::kIndexFrom peers a new leecher joins at the front of the leechers, not at
// its sorted place; the reply still leaves out exactly the requester.
TEST_F(SwarmStoreTest, LeecherOfALargeSwarmGetsEveryoneButItself) {
  constexpr int kLeechers = PeerFamily4::kIndexFrom + 500;
  for (int i = 0; i < kLeechers; ++i) {
    Announce(Peer("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250), 6881));
  }
  for (const std::string self : {"10.1.0.7", "10.1.5.249", "10.9.9.9"}) {  // the last is new
    const auto reply = Announce(Peer(self, 6881).Numwant(2 * kLeechers));
    const auto peers = Peers4(reply);
    EXPECT_EQ(peers.size(), reply.incomplete() - 1) << self;
    EXPECT_THAT(peers, Not(Contains(EndpointText(self, 6881)))) << self;
  }
}

TEST_F(SwarmStoreTest, Ipv6RequesterIsNotInItsOwnList) {
  Announce(Peer("2001:db8::1", 6881));
  Announce(Peer("2001:db8::2", 6881));
  const auto reply = Announce(Peer("2001:db8::1", 6881));
  EXPECT_THAT(Peers6(reply), UnorderedElementsAre("[2001:db8::2]:6881"));
}

// BEP 21: a seeder and a partial seed want nothing of a partial seed, and a partial seed nothing
// of a seeder: both are given the downloaders only. A downloader is given everyone.
TEST_F(SwarmStoreTest, SeedersAndPartialSeedsAreGivenTheDownloadersOnly) {
  const auto downloaders = AddLeechers(9);
  std::vector<std::string> partial_seeds;  // a quarter of the leechers
  for (int i = 10; i <= 12; ++i) {
    Announce(Peer("10.0.0." + std::to_string(i), 6881).Paused());
    partial_seeds.push_back(EndpointText("10.0.0." + std::to_string(i), 6881));
  }
  Announce(Peer("10.0.1.1", 6881).Seeder());
  Announce(Peer("10.0.1.2", 6881).Seeder());

  EXPECT_THAT(Peers4(Announce(Peer("10.0.1.3", 6881).Seeder())),
              UnorderedElementsAreArray(downloaders));
  EXPECT_THAT(Peers4(Announce(Peer("10.0.0.10", 6881).Paused())),
              UnorderedElementsAreArray(downloaders));
  const auto reply = Announce(Peer("10.0.0.1", 6881));
  EXPECT_THAT(Peers4(reply), SizeIs(8 + 3 + 3));
  for (const std::string& partial_seed : partial_seeds) {
    EXPECT_THAT(Peers4(reply), Contains(partial_seed));
  }
  EXPECT_EQ(reply.complete(), 3u);
  EXPECT_EQ(reply.incomplete(), 12u);
}

// Partial seeds in one stretch of the swarm's order leave the runs over it empty: a seeder still
// gets as many downloaders as it asks for, each once, and over many announces every one of them.
TEST_F(SwarmStoreTest, ASeederGetsAsManyDownloadersAsItAsksAmongAQuarterOfPartialSeeds) {
  for (int i = 1; i <= 50; ++i) Announce(Peer("10.0.0." + std::to_string(i), 6881).Paused());
  const auto downloaders = AddLeechers(150, "10.1.0.");  // after all of them in endpoint order
  std::set<std::string> seen;
  for (int i = 1; i <= 40; ++i) {
    const auto peers =
        Peers4(Announce(Peer("10.2.0." + std::to_string(i), 6881).Seeder().Numwant(40)));
    ASSERT_THAT(peers, SizeIs(40)) << i;
    EXPECT_EQ(std::set(peers.begin(), peers.end()).size(), peers.size());
    for (const std::string& peer : peers) {
      EXPECT_THAT(downloaders, Contains(peer));
      seen.insert(peer);
    }
  }
  EXPECT_EQ(seen.size(), downloaders.size());
  EXPECT_THAT(Peers4(Announce(Peer("10.2.1.1", 6881).Seeder().Numwant(200))),
              UnorderedElementsAreArray(downloaders));
}

// Where more than a quarter of the leechers are partial seeds, leaving them out would cost a
// draw after draw (and anyone can announce many paused endpoints): all the leechers are given.
TEST_F(SwarmStoreTest, PastAQuarterOfPartialSeedsASeederIsGivenEveryLeecher) {
  auto leechers = AddLeechers(3);
  for (int i = 4; i <= 5; ++i) {
    Announce(Peer("10.0.0." + std::to_string(i), 6881).Paused());
    leechers.push_back(EndpointText("10.0.0." + std::to_string(i), 6881));
  }
  EXPECT_THAT(Peers4(Announce(Peer("10.0.1.1", 6881).Seeder())),
              UnorderedElementsAreArray(leechers));
}

TEST_F(SwarmStoreTest, SeederIsGivenLeechersOnly) {
  const auto leechers = AddLeechers(3);
  Announce(Peer("10.0.1.1", 6881).Seeder());
  Announce(Peer("10.0.1.2", 6881).Seeder());
  Announce(Peer("2001:db8::7", 6881).Seeder());
  Announce(Peer("2001:db8::8", 6881));

  const auto reply = Announce(Peer("10.0.1.1", 6881).Seeder());
  EXPECT_THAT(Peers4(reply), UnorderedElementsAreArray(leechers));
  EXPECT_THAT(Peers6(reply), UnorderedElementsAre("[2001:db8::8]:6881"));
}

TEST_F(SwarmStoreTest, NumwantBoundsTheListWithDistinctPeers) {
  AddLeechers(20);
  const auto reply = Announce(Peer("10.0.1.1", 6881).Numwant(5));
  const auto peers = Peers4(reply);
  EXPECT_THAT(peers, SizeIs(5));
  EXPECT_EQ(std::set<std::string>(peers.begin(), peers.end()).size(), 5u);
  EXPECT_EQ(reply.incomplete(), 21u);
}

TEST_F(SwarmStoreTest, NumwantZeroGivesCountsButNoPeers) {
  AddLeechers(3);
  const auto reply = Announce(Peer("10.0.1.1", 6881).Numwant(0).WantPeerIds());
  EXPECT_TRUE(outcome_.accepted);
  EXPECT_EQ(reply.incomplete(), 4u);
  EXPECT_THAT(reply.peers4(), IsEmpty());
  EXPECT_THAT(reply.peers6(), IsEmpty());
  EXPECT_THAT(reply.peer_ids4(), IsEmpty());
}

TEST_F(SwarmStoreTest, Ipv6PeersGoToPeers6AndIpv4PeersToPeers4) {
  Announce(Peer("10.0.0.1", 6881));
  Announce(Peer("2001:db8::1", 51413));
  Announce(Peer("10.0.0.2", 6882).Seeder());
  Announce(Peer("2001:db8::2", 51414).Seeder());

  const auto reply = Announce(Peer("192.168.1.1", 6881));
  EXPECT_EQ(reply.peers4().size(), 2 * 6u);
  EXPECT_EQ(reply.peers6().size(), 2 * 18u);
  EXPECT_THAT(Peers4(reply), UnorderedElementsAre("10.0.0.1:6881", "10.0.0.2:6882"));
  EXPECT_THAT(Peers6(reply), UnorderedElementsAre("[2001:db8::1]:51413", "[2001:db8::2]:51414"));
}

// A UDP reply carries one family: numwant is filled from the requester's own.
TEST_F(SwarmStoreTest, OwnFamilyOnlyFillsNumwantFromTheRequestersFamily) {
  for (int i = 1; i <= 5; ++i) Announce(Peer("10.0.0." + std::to_string(i), 6881).Seeder());
  for (int i = 1; i <= 20; ++i) Announce(Peer("2001:db8::" + std::to_string(i), 6881).Seeder());
  AnnounceBuilder v6 = Peer("2001:db8::ff", 6881).Numwant(10);
  v6.request.set_own_family_only(true);
  const auto v6_reply = Announce(v6);
  EXPECT_EQ(Peers6(v6_reply).size(), 10u);
  EXPECT_THAT(v6_reply.peers4(), IsEmpty());
  AnnounceBuilder v4 = Peer("10.0.0.99", 6881).Numwant(10);
  v4.request.set_own_family_only(true);
  const auto v4_reply = Announce(v4);
  EXPECT_EQ(Peers4(v4_reply).size(), 5u);
  EXPECT_THAT(v4_reply.peers6(), IsEmpty());
  AnnounceBuilder seeder = Peer("2001:db8::fe", 6881).Seeder().Numwant(10);
  seeder.request.set_own_family_only(true);
  const auto seeder_reply = Announce(seeder);  // leechers: the IPv6 one, not the IPv4 one
  EXPECT_EQ(Peers6(seeder_reply).size(), 1u);
  EXPECT_THAT(seeder_reply.peers4(), IsEmpty());
}

// Over HTTP both families are given, the requester's own first: an IPv4-only client given
// mostly IPv6 peers could use few of them.
TEST_F(SwarmStoreTest, BothFamiliesFillNumwantFromTheRequestersOwnFirst) {
  for (int i = 1; i <= 5; ++i) Announce(Peer("10.0.0." + std::to_string(i), 6881).Seeder());
  for (int i = 1; i <= 20; ++i) Announce(Peer("2001:db8::" + std::to_string(i), 6881).Seeder());
  const auto v4_reply = Announce(Peer("10.0.0.99", 6881).Numwant(10));
  EXPECT_EQ(Peers4(v4_reply).size(), 5u);
  EXPECT_EQ(Peers6(v4_reply).size(), 5u);
  const auto v6_reply = Announce(Peer("2001:db8::ff", 6881).Numwant(10));
  EXPECT_EQ(Peers6(v6_reply).size(), 10u);
  EXPECT_THAT(v6_reply.peers4(), IsEmpty());
  // A seeder gets leechers, its own family's first: here one of each.
  const auto seeder_reply = Announce(Peer("10.0.0.98", 6881).Seeder().Numwant(10));
  EXPECT_THAT(Peers4(seeder_reply), UnorderedElementsAre("10.0.0.99:6881"));
  EXPECT_THAT(Peers6(seeder_reply), UnorderedElementsAre("[2001:db8::ff]:6881"));
  const auto one = Announce(Peer("10.0.0.98", 6881).Seeder().Numwant(1));
  EXPECT_THAT(Peers4(one), UnorderedElementsAre("10.0.0.99:6881"));
  EXPECT_THAT(one.peers6(), IsEmpty());
}

TEST_F(SwarmStoreTest, Ipv4MappedAddressIsAnIpv4Peer) {
  AnnounceBuilder mapped = Peer("10.0.0.1", 6881);
  mapped.request.set_ip(std::string("\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\0\0\x01", 16));
  Announce(mapped);

  const auto reply = Announce(Peer("2001:db8::1", 6881));
  EXPECT_THAT(Peers4(reply), UnorderedElementsAre("10.0.0.1:6881"));
  EXPECT_THAT(reply.peers6(), IsEmpty());
  // And it is the same peer as its plain IPv4 form.
  Announce(Peer("10.0.0.1", 6881));
  EXPECT_EQ(store_.peers(), 2u);
}

TEST_F(SwarmStoreTest, PeerIdsAreAlignedWithThePeersOfEachFamily) {
  // Once asked, the swarm keeps ids, in the family not yet in use too.
  Announce(Peer("10.0.0.1", 6881).WantPeerIds());
  AddLeechers(6);
  for (int i = 1; i <= 4; ++i) Announce(Peer("2001:db8::" + std::to_string(i), 7000 + i));

  const auto reply = Announce(Peer("10.0.1.1", 6881).Numwant(50).WantPeerIds());
  const auto peers4 = Peers4(reply);
  const auto peers6 = Peers6(reply);
  const auto ids4 = SplitIds(reply.peer_ids4());
  const auto ids6 = SplitIds(reply.peer_ids6());
  ASSERT_THAT(peers4, SizeIs(6));
  ASSERT_THAT(peers6, SizeIs(4));
  ASSERT_EQ(reply.peer_ids4().size(), 6 * 20u);
  ASSERT_EQ(reply.peer_ids6().size(), 4 * 20u);
  for (std::size_t i = 0; i < peers4.size(); ++i) {
    const std::string ip = peers4[i].substr(0, peers4[i].find(':'));
    EXPECT_EQ(ids4[i], PeerIdFor(ip, 6881)) << peers4[i];
  }
  for (std::size_t i = 0; i < peers6.size(); ++i) {
    const std::string ip = peers6[i].substr(1, peers6[i].find(']') - 1);
    const auto port =
        static_cast<std::uint32_t>(std::stoul(peers6[i].substr(peers6[i].rfind(':') + 1)));
    EXPECT_EQ(ids6[i], PeerIdFor(ip, port)) << peers6[i];
  }
}

TEST_F(SwarmStoreTest, PeerIdsAreLeftOutUnlessAskedFor) {
  AddLeechers(2);
  Announce(Peer("2001:db8::1", 6881));
  const auto reply = Announce(Peer("10.0.1.1", 6881));
  EXPECT_THAT(Peers4(reply), SizeIs(2));
  EXPECT_THAT(reply.peer_ids4(), IsEmpty());
  EXPECT_THAT(reply.peer_ids6(), IsEmpty());
}

TEST_F(SwarmStoreTest, SelectionIsRandomAndCoversTheSwarmOverManyAnnounces) {
  const auto swarm = AddLeechers(100);
  std::set<std::string> seen;
  std::set<std::vector<std::string>> distinct_replies;
  for (int round = 0; round < 50; ++round) {
    const auto reply = Announce(Peer("10.0.1.1", 6881).Numwant(10));
    const auto peers = Peers4(reply);
    ASSERT_THAT(peers, SizeIs(10));
    ASSERT_EQ(std::set<std::string>(peers.begin(), peers.end()).size(), 10u);
    seen.insert(peers.begin(), peers.end());
    distinct_replies.insert(peers);
  }
  // 50 draws of 10 from 100 peers leave about 0.6 peers unseen on average.
  EXPECT_GE(seen.size(), 90u);
  EXPECT_GE(distinct_replies.size(), 45u);
  for (const std::string& peer : seen) EXPECT_THAT(swarm, Contains(peer));
}

// numwant over half the swarm: every peer should be listed in about numwant/candidates of the
// replies (2/3 here), none in every one whatever its place in the swarm.
TEST_F(SwarmStoreTest, NoPeerIsFavouredWhenNumwantIsOverHalfTheSwarm) {
  const auto swarm = AddLeechers(75);
  std::map<std::string, int> listed;
  constexpr int kRounds = 600;
  for (int round = 0; round < kRounds; ++round) {
    for (const std::string& peer : Peers4(Announce(Peer("10.0.1.1", 6881).Numwant(50)))) {
      ++listed[peer];
    }
  }
  ASSERT_EQ(listed.size(), swarm.size());
  for (const auto& [peer, times] : listed) {  // 400 expected; the bounds are over 7 sigma away
    EXPECT_GT(times, 320) << peer;
    EXPECT_LT(times, 480) << peer;
  }
}

TEST_F(SwarmStoreTest, SameSeedGivesTheSameSelection) {
  AddLeechers(50);
  SwarmStore copy;
  store_.ForEachTorrent([&](const TorrentRecord& record) { copy.Restore(record); });
  FastRng rng_a(7);
  FastRng rng_b(7);
  proto::AnnounceReply a;
  proto::AnnounceReply b;
  AnnounceFromWire(store_, Peer("10.0.1.1", 6881).Numwant(10).request, kNow, rng_a, a);
  AnnounceFromWire(copy, Peer("10.0.1.1", 6881).Numwant(10).request, kNow, rng_b, b);
  EXPECT_EQ(a.peers4(), b.peers4());
}

TEST_F(SwarmStoreTest, MalformedRequestIsRefusedAndChangesNothing) {
  AnnounceBuilder short_hash = Peer("10.0.0.1", 6881);
  short_hash.request.set_info_hash("too short");
  AnnounceBuilder bad_ip = Peer("10.0.0.1", 6881);
  bad_ip.request.set_ip("abc");
  AnnounceBuilder no_port = Peer("10.0.0.1", 6881);
  no_port.request.set_port(0);
  AnnounceBuilder big_port = Peer("10.0.0.1", 6881);
  big_port.request.set_port(65536);
  AnnounceBuilder short_id = Peer("10.0.0.1", 6881);
  short_id.request.set_peer_id("id");
  for (const AnnounceBuilder* bad : {&short_hash, &bad_ip, &no_port, &big_port, &short_id}) {
    const auto reply = Announce(*bad);
    EXPECT_FALSE(outcome_.accepted) << bad->request.ShortDebugString();
    EXPECT_EQ(reply.incomplete(), 0u);
  }
  EXPECT_EQ(store_.torrents(), 0u);
  EXPECT_EQ(store_.peers(), 0u);
}

TEST_F(SwarmStoreTest, TorrentsAreIndependent) {
  Announce(Peer("10.0.0.1", 6881));
  AnnounceBuilder other(HashOf(2), "10.0.0.2", 6881);
  const auto reply = Announce(other);
  EXPECT_THAT(Peers4(reply), IsEmpty());
  EXPECT_EQ(reply.incomplete(), 1u);
  EXPECT_EQ(store_.torrents(), 2u);
  EXPECT_EQ(store_.leechers(), 2u);
}

}  // namespace
}  // namespace shardtrack
