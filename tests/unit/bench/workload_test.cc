#include "bench/workload.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace shardtrack {
namespace {

Workload MakeWorkload(WorkloadOptions options) {
  auto picker = TorrentPicker::Create("uniform", options.torrents, 1.0);
  return Workload(options, std::move(*picker));
}

// One torrent, 1,000 leechers announcing without events.
WorkloadOptions OneTorrentOfLeechers() {
  WorkloadOptions options;
  options.torrents = 1;
  options.peers = 1000;
  options.started_percent = options.completed_percent = options.stopped_percent = 0;
  options.seeder_percent = 0;
  return options;
}

TEST(RequestBuilderTest, PercentEncodesAllButUnreservedBytes) {
  EXPECT_EQ(UrlEncode(std::string("aZ9-._~ /\x00\xff", 11)), "aZ9-._~%20%2F%00%FF");
}

TEST(RequestBuilderTest, PeersHaveDistinctEndpointsAndIds) {
  std::set<std::pair<std::uint32_t, std::uint16_t>> endpoints;
  std::set<PeerId> ids;
  for (std::uint64_t p = 0; p < 100000; ++p) {
    const BenchPeer peer = BenchPeerFor(p, 4);
    EXPECT_EQ(peer.source_index, p % 4);
    endpoints.insert({peer.source_index, peer.port});
    ids.insert(peer.peer_id);
  }
  EXPECT_EQ(endpoints.size(), 100000u);
  EXPECT_EQ(ids.size(), 100000u);
  EXPECT_NE(BenchInfoHash(0), BenchInfoHash(1));
}

TEST(RequestBuilderTest, APasskeyGoesInThePathOfAnnouncesAndScrapes) {
  EXPECT_EQ(BenchPasskey(7, 5), "bench00000002");
  AnnounceSpec spec{
      BenchInfoHash(0),  BenchPeerFor(0, 1).peer_id, 7000, AnnounceEvent::kNone, 0, 50,
      BenchPasskey(7, 5)};
  EXPECT_TRUE(BuildAnnounceRequest(spec, "h:1", true)
                  .starts_with("GET /bench00000002/announce?info_hash="));
  EXPECT_TRUE(BuildScrapeRequest(BenchInfoHash(0), "h:1", true, "bench00000002")
                  .starts_with("GET /bench00000002/scrape?info_hash="));
  EXPECT_TRUE(BuildScrapeRequest(BenchInfoHash(0), "h:1", true).starts_with("GET /scrape?"));
}

TEST(RequestBuilderTest, AnnounceAsksToCloseWithoutKeepAlive) {
  AnnounceSpec spec{
      BenchInfoHash(0), BenchPeerFor(0, 1).peer_id, 7000, AnnounceEvent::kStarted, 0, 50, ""};
  const std::string keep = BuildAnnounceRequest(spec, "h:1", true);
  const std::string close = BuildAnnounceRequest(spec, "h:1", false);
  EXPECT_TRUE(keep.starts_with("GET /announce?info_hash="));
  EXPECT_NE(keep.find("&event=started"), std::string::npos);
  EXPECT_NE(keep.find("&port=7000"), std::string::npos);
  EXPECT_EQ(keep.find("Connection: close"), std::string::npos);
  EXPECT_NE(close.find("Connection: close\r\n\r\n"), std::string::npos);
}

TEST(WorkloadTest, PopulateAnnouncesEveryPeerOnceFromItsSource) {
  WorkloadOptions options;
  options.mode = WorkloadMode::kPopulate;
  options.peers = 10;
  options.torrents = 3;
  options.source_count = 2;
  Workload workload = MakeWorkload(options);
  std::set<std::uint64_t> seen;
  for (std::uint32_t source = 0; source < 2; ++source) {
    while (auto request = workload.Next(source)) {
      EXPECT_EQ(request->peer % 2, source);
      EXPECT_EQ(request->torrent, request->peer % 3);
      EXPECT_TRUE(seen.insert(request->peer).second);
    }
  }
  EXPECT_EQ(seen.size(), 10u);
}

TEST(WorkloadTest, PopulateGivesEveryTorrentSeedersAndLeechers) {
  WorkloadOptions options;
  options.mode = WorkloadMode::kPopulate;
  options.peers = 4000;
  options.torrents = 100;  // 40 peers a torrent, 25% of them seeders
  options.source_count = 1;
  Workload workload = MakeWorkload(options);
  std::vector<int> seeders(options.torrents, 0);
  std::vector<int> leechers(options.torrents, 0);
  while (auto request = workload.Next(0)) {
    const bool seeder = request->wire.find("&left=0&") != std::string::npos;
    ++(seeder ? seeders : leechers)[request->torrent];
  }
  int total_seeders = 0;
  for (std::uint32_t t = 0; t < options.torrents; ++t) {
    EXPECT_GT(seeders[t], 0) << t;
    EXPECT_GT(leechers[t], 0) << t;
    total_seeders += seeders[t];
  }
  EXPECT_GT(total_seeders, 800);  // 1000 expected
  EXPECT_LT(total_seeders, 1200);
}

TEST(WorkloadTest, ExpectsPeersOnlyAfterAnotherPeerAnnounced) {
  Workload workload = MakeWorkload(OneTorrentOfLeechers());
  auto first = workload.Next(0);
  ASSERT_TRUE(first);
  EXPECT_FALSE(workload.ExpectPeers(*first));
  workload.OnReply(*first, true);
  bool expected_once = false;
  for (int i = 0; i < 20; ++i) {
    auto next = workload.Next(0);
    ASSERT_TRUE(next);
    if (next->peer != first->peer) {
      EXPECT_TRUE(workload.ExpectPeers(*next));
      expected_once = true;
    }
    workload.OnReply(*next, true);
  }
  EXPECT_TRUE(expected_once);
}

TEST(WorkloadTest, FailedAnnounceDoesNotWarmTheSwarm) {
  Workload workload = MakeWorkload(OneTorrentOfLeechers());
  auto first = workload.Next(0);
  workload.OnReply(*first, false);
  auto second = workload.Next(0);
  EXPECT_FALSE(workload.ExpectPeers(*second));
}

}  // namespace
}  // namespace shardtrack
