// ShardService: one reply per request, in order; batches and infohashes meant for another shard
// are refused loudly; counted completions are listed for the journal.
#include "shard/shard_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/reply_limits.h"
#include "common/routing.h"
#include "shard/accounting/transfer_ledger.h"
#include "tests/unit/shard/swarm_test_util.h"

namespace shardtrack {
namespace {

using testing::AnnounceBuilder;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::PeerIdFor;
using testing::Peers4;
using ::testing::SizeIs;

constexpr UnixSeconds kNow = 1'700'000'000;
constexpr std::uint32_t kShards = 3;
constexpr std::uint32_t kIndex = 1;

// The first infohash (bytes all n, n = 0, 1, ...) that shard `owner` of kShards owns.
InfoHash HashOwnedBy(std::uint32_t owner, std::uint8_t skip = 0) {
  for (int n = 0; n < 256; ++n) {
    InfoHash hash;
    hash.bytes.fill(static_cast<std::uint8_t>(n));
    if (ShardFor(hash, kShards) == owner && skip-- == 0) return hash;
  }
  ADD_FAILURE() << "no infohash for shard " << owner;
  return {};
}

class ShardServiceTest : public ::testing::Test {
 protected:
  proto::RequestBatch Batch(std::uint32_t index = kIndex, std::uint32_t count = kShards) {
    proto::RequestBatch batch;
    batch.set_shard_index(index);
    batch.set_shard_count(count);
    return batch;
  }
  static void AddAnnounce(proto::RequestBatch& batch, std::uint64_t id,
                          const proto::AnnounceRequest& announce) {
    proto::Request* request = batch.add_requests();
    request->set_id(id);
    *request->mutable_announce() = announce;
  }
  static void AddScrape(proto::RequestBatch& batch, std::uint64_t id,
                        const std::vector<InfoHash>& hashes) {
    proto::Request* request = batch.add_requests();
    request->set_id(id);
    for (const InfoHash& hash : hashes) request->mutable_scrape()->add_info_hashes(hash.ToRaw());
  }
  proto::ReplyBatch Handle(const proto::RequestBatch& batch, UnixSeconds now = kNow) {
    proto::ReplyBatch out;
    service_.Handle(batch, now, out);
    return out;
  }
  static std::vector<std::uint64_t> Ids(const proto::ReplyBatch& replies) {
    std::vector<std::uint64_t> out;
    for (const proto::Reply& reply : replies.replies()) out.push_back(reply.id());
    return out;
  }

  SwarmStore store_;
  ShardService service_{kIndex, kShards, store_, 11};
  const InfoHash mine_ = HashOwnedBy(kIndex);
  const InfoHash other_ = HashOwnedBy(kIndex + 1);
};

TEST_F(ShardServiceTest, RefusesEveryRequestOfABatchForAnotherShardIndex) {
  proto::RequestBatch batch = Batch(kIndex + 1, kShards);
  AddAnnounce(batch, 5, AnnounceBuilder(mine_, "10.0.0.1", 6881));
  AddScrape(batch, 6, {mine_});
  batch.add_requests()->set_id(7);
  const proto::ReplyBatch replies = Handle(batch);
  EXPECT_THAT(Ids(replies), ElementsAre(5u, 6u, 7u));
  for (const proto::Reply& reply : replies.replies()) {
    EXPECT_THAT(reply.failure(), HasSubstr("misrouted"));
    EXPECT_TRUE(reply.misrouted());
    EXPECT_FALSE(reply.has_announce() || reply.has_scrape() || reply.has_stats());
  }
  EXPECT_EQ(store_.torrents(), 0u);
  EXPECT_EQ(service_.counters().misrouted_batches, 1u);
  EXPECT_EQ(service_.counters().misrouted_requests, 3u) << "what the misroute alert watches";
}

TEST_F(ShardServiceTest, RefusesARequestWithMoreThanOneBody) {
  proto::RequestBatch batch = Batch();
  AddAnnounce(batch, 1, AnnounceBuilder(mine_, "10.0.0.1", 6881));
  batch.mutable_requests(0)->mutable_scrape()->add_info_hashes(mine_.ToRaw());
  const proto::ReplyBatch replies = Handle(batch);
  ASSERT_THAT(replies.replies(), SizeIs(1));
  EXPECT_EQ(replies.replies(0).failure(), "a request carries more than one body");
  EXPECT_FALSE(replies.replies(0).has_announce() || replies.replies(0).has_scrape());
  EXPECT_EQ(store_.torrents(), 0u);
  EXPECT_EQ(service_.counters().invalid_requests, 1u);
}

TEST_F(ShardServiceTest, AReusedReplyBatchCarriesOnlyTheBodiesOfThisBatch) {
  proto::RequestBatch first = Batch();
  AddAnnounce(first, 1, AnnounceBuilder(mine_, "10.0.0.1", 6881));
  AddScrape(first, 2, {mine_});
  proto::RequestBatch second = Batch();
  AddScrape(second, 3, {mine_});
  AddAnnounce(second, 4, AnnounceBuilder(mine_, "10.0.0.2", 6881));
  proto::ReplyBatch out;
  service_.Handle(first, kNow, out);
  service_.Handle(second, kNow, out);

  ASSERT_THAT(Ids(out), ElementsAre(3u, 4u));
  EXPECT_TRUE(out.replies(0).has_scrape());
  EXPECT_FALSE(out.replies(0).has_announce());
  ASSERT_THAT(out.replies(0).scrape().files(), SizeIs(1));
  EXPECT_EQ(out.replies(0).scrape().files(0).incomplete(), 1u);
  EXPECT_TRUE(out.replies(1).has_announce());
  EXPECT_FALSE(out.replies(1).has_scrape());
  EXPECT_EQ(out.replies(1).announce().incomplete(), 2u);
}

TEST_F(ShardServiceTest, RefusesABatchThatAssumesAnotherShardCount) {
  proto::RequestBatch batch = Batch(kIndex, kShards + 1);
  AddAnnounce(batch, 1, AnnounceBuilder(mine_, "10.0.0.1", 6881));
  const proto::ReplyBatch replies = Handle(batch);
  ASSERT_THAT(replies.replies(), SizeIs(1));
  EXPECT_TRUE(replies.replies(0).misrouted());
  EXPECT_FALSE(replies.replies(0).failure().empty());
  EXPECT_EQ(store_.torrents(), 0u);
}

TEST_F(ShardServiceTest, RefusesAnInfohashOwnedByAnotherShard) {
  proto::RequestBatch batch = Batch();
  AddAnnounce(batch, 1, AnnounceBuilder(other_, "10.0.0.1", 6881));
  AddAnnounce(batch, 2, AnnounceBuilder(mine_, "10.0.0.1", 6881));
  AddScrape(batch, 3, {mine_, other_});
  const proto::ReplyBatch replies = Handle(batch);
  ASSERT_THAT(replies.replies(), SizeIs(3));

  EXPECT_TRUE(replies.replies(0).misrouted());
  EXPECT_THAT(replies.replies(0).failure(), HasSubstr(other_.ToHex()));
  EXPECT_FALSE(replies.replies(0).has_announce());

  EXPECT_FALSE(replies.replies(1).misrouted());
  EXPECT_TRUE(replies.replies(1).failure().empty());
  EXPECT_EQ(replies.replies(1).announce().incomplete(), 1u);

  EXPECT_TRUE(replies.replies(2).misrouted());
  EXPECT_FALSE(replies.replies(2).has_scrape());

  EXPECT_EQ(store_.torrents(), 1u);
  EXPECT_EQ(store_.ScrapeOne(other_).leechers, 0u);
  EXPECT_EQ(service_.counters().misrouted_requests, 2u);
}

TEST_F(ShardServiceTest, AnswersEveryRequestIdInOrder) {
  proto::RequestBatch batch = Batch();
  AddAnnounce(batch, 42, AnnounceBuilder(mine_, "10.0.0.1", 6881));
  AddAnnounce(batch, 7, AnnounceBuilder(mine_, "10.0.0.2", 6881).Seeder());
  AddScrape(batch, 19, {mine_, HashOwnedBy(kIndex, 1)});
  proto::Request* stats = batch.add_requests();
  stats->set_id(3);
  stats->mutable_stats()->set_max_torrents(5);
  batch.add_requests()->set_id(100);  // no body
  AnnounceBuilder bad(mine_, "10.0.0.3", 6881);
  bad.request.set_peer_id("short");
  AddAnnounce(batch, 8, bad);

  const proto::ReplyBatch replies = Handle(batch);
  EXPECT_THAT(Ids(replies), ElementsAre(42u, 7u, 19u, 3u, 100u, 8u));

  const proto::AnnounceReply& second = replies.replies(1).announce();
  EXPECT_EQ(second.complete(), 1u);
  EXPECT_EQ(second.incomplete(), 1u);
  EXPECT_THAT(Peers4(second), ElementsAre("10.0.0.1:6881"));

  const proto::ScrapeReply& scrape = replies.replies(2).scrape();
  ASSERT_THAT(scrape.files(), SizeIs(2));
  EXPECT_EQ(scrape.files(0).info_hash(), mine_.ToRaw());
  EXPECT_EQ(scrape.files(0).complete(), 1u);
  EXPECT_EQ(scrape.files(0).incomplete(), 1u);
  EXPECT_TRUE(scrape.files(0).has_downloaders());  // BEP 21: this shard counts them
  EXPECT_EQ(scrape.files(0).downloaders(), 1u);
  EXPECT_EQ(scrape.files(1).complete(), 0u);  // unknown: zeros

  EXPECT_EQ(replies.replies(3).stats().peers(), 2u);
  EXPECT_THAT(replies.replies(3).stats().top(), SizeIs(1));

  EXPECT_FALSE(replies.replies(4).failure().empty());
  EXPECT_FALSE(replies.replies(4).misrouted());

  EXPECT_THAT(replies.replies(5).failure(), HasSubstr("peer_id"));
  EXPECT_FALSE(replies.replies(5).misrouted());
  EXPECT_EQ(service_.counters().invalid_requests, 2u);
  EXPECT_EQ(store_.peers(), 2u);
}

TEST_F(ShardServiceTest, FullScrapeHonoursItsLimit) {
  proto::RequestBatch batch = Batch();
  for (std::uint8_t k = 0; k < 3; ++k) {
    AddAnnounce(batch, k, AnnounceBuilder(HashOwnedBy(kIndex, k), "10.0.0.1", 6881));
  }
  proto::Request* full = batch.add_requests();
  full->set_id(9);
  full->mutable_scrape()->set_full(true);
  full->mutable_scrape()->set_limit(2);
  const proto::ReplyBatch replies = Handle(batch);
  EXPECT_THAT(replies.replies(3).scrape().files(), SizeIs(2));
  EXPECT_TRUE(replies.replies(3).scrape().truncated());
}

TEST_F(ShardServiceTest, ABatchGetsOneFullScrape) {
  proto::RequestBatch batch = Batch();
  AddAnnounce(batch, 0, AnnounceBuilder(mine_, "10.0.0.1", 6881));
  for (int id = 1; id <= 3; ++id) {
    proto::Request* full = batch.add_requests();
    full->set_id(id);
    full->mutable_scrape()->set_full(true);
  }
  const proto::ReplyBatch replies = Handle(batch);
  EXPECT_THAT(replies.replies(1).scrape().files(), SizeIs(1));
  for (int i = 2; i <= 3; ++i) {
    EXPECT_EQ(replies.replies(i).failure(), "one full scrape a batch");
    EXPECT_THAT(replies.replies(i).scrape().files(), IsEmpty());
  }
  EXPECT_EQ(service_.counters().invalid_requests, 2u);
  const proto::ReplyBatch next = Handle(batch);
  EXPECT_THAT(next.replies(1).scrape().files(), SizeIs(1)) << "one in each batch";
}

TEST_F(ShardServiceTest, CapsNumwantAtTheMostPeersAReplyCarries) {
  constexpr int kPeers = kMaxPeersPerReply + 50;
  proto::RequestBatch setup = Batch();
  for (int i = 0; i < kPeers; ++i) {
    AddAnnounce(setup, i,
                AnnounceBuilder(mine_,
                                "10." + std::to_string(i >> 16) + "." +
                                    std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255),
                                6881));
  }
  Handle(setup);
  ASSERT_EQ(store_.peers(), static_cast<std::uint64_t>(kPeers));

  proto::RequestBatch batch = Batch();
  AddAnnounce(batch, 1, AnnounceBuilder(mine_, "10.99.9.9", 6881).Numwant(100000));
  AddAnnounce(batch, 2, AnnounceBuilder(mine_, "10.99.9.8", 6881).Numwant(500));
  const proto::ReplyBatch replies = Handle(batch);
  EXPECT_THAT(Peers4(replies.replies(0).announce()), SizeIs(kMaxPeersPerReply));
  EXPECT_THAT(Peers4(replies.replies(1).announce()), SizeIs(500));  // more than 200, as asked
}

TEST_F(ShardServiceTest, CompletionsListsTheCompletionsCountedByTheLastBatch) {
  const InfoHash second = HashOwnedBy(kIndex, 1);
  proto::RequestBatch batch = Batch();
  AddAnnounce(batch, 1, AnnounceBuilder(mine_, "10.0.0.1", 6881));
  AddAnnounce(batch, 2, AnnounceBuilder(mine_, "10.0.0.2", 6881));
  AddAnnounce(batch, 3,
              AnnounceBuilder(mine_, "10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  AddAnnounce(batch, 4,  // repeated: not counted again
              AnnounceBuilder(mine_, "10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  AddAnnounce(batch, 5,
              AnnounceBuilder(second, "10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  AddAnnounce(batch, 6,
              AnnounceBuilder(mine_, "10.0.0.2", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  Handle(batch);
  EXPECT_THAT(service_.completions(),
              ElementsAre(CountedCompletion{mine_, 1, 2}, CountedCompletion{second, 1, 4},
                          CountedCompletion{mine_, 2, 5}));

  proto::RequestBatch quiet = Batch();
  AddAnnounce(quiet, 7, AnnounceBuilder(mine_, "10.0.0.3", 6881));
  Handle(quiet);
  EXPECT_THAT(service_.completions(), IsEmpty());
}

// libtorrent 2 announces over each address family with one peer id: the `completed` of one
// download then comes from both of its addresses, and counts once (the second is journaled as
// no event). Another peer id's, or the same one's past the window, counts.
TEST_F(ShardServiceTest, ADualStackClientsTwoCompletedsCountOnce) {
  const std::string id = PeerIdFor("10.0.0.1", 6881);
  const auto completed = [&](const std::string& ip, const std::string& peer_id) {
    return AnnounceBuilder(mine_, ip, 6881)
        .PeerIdRaw(peer_id)
        .Seeder()
        .Event(proto::EVENT_COMPLETED);
  };
  proto::RequestBatch batch = Batch();
  AddAnnounce(batch, 1, AnnounceBuilder(mine_, "10.0.0.1", 6881).PeerIdRaw(id));
  AddAnnounce(batch, 2, AnnounceBuilder(mine_, "2001:db8::1", 6881).PeerIdRaw(id));
  AddAnnounce(batch, 3, completed("10.0.0.1", id));
  AddAnnounce(batch, 4, completed("2001:db8::1", id));
  Handle(batch);
  EXPECT_EQ(store_.completed(), 1u);
  EXPECT_EQ(service_.counters().completions, 1u);
  EXPECT_EQ(service_.counters().repeated_completions, 1u);
  ASSERT_EQ(service_.applied().size(), 4u);
  EXPECT_EQ(service_.applied()[3].event, proto::EVENT_NONE);
  EXPECT_EQ(store_.ScrapeOne(mine_).seeders, 2u) << "both addresses are seeders";

  proto::RequestBatch later = Batch();
  AddAnnounce(later, 5, completed("10.0.0.2", PeerIdFor("10.0.0.2", 6881)));
  AddAnnounce(later, 6, completed("2001:db8::2", id));  // a third address, still within
  Handle(later, kNow + RecentCompletions::kWindow - 1);
  EXPECT_EQ(store_.completed(), 2u);
  proto::RequestBatch again = Batch();
  AddAnnounce(again, 7, completed("2001:db8::3", id));
  Handle(again, kNow + 2 * RecentCompletions::kWindow);
  EXPECT_EQ(store_.completed(), 3u) << "past the window: counted";
}

TEST_F(ShardServiceTest, AppliedListsTheAnnouncesTheStoreTookInRequestOrder) {
  proto::RequestBatch batch = Batch();
  AddAnnounce(batch, 1, AnnounceBuilder(mine_, "10.0.0.1", 6881));
  AddAnnounce(batch, 2, AnnounceBuilder(other_, "10.0.0.2", 6881));  // misrouted: refused
  AddAnnounce(batch, 3, AnnounceBuilder(mine_, "10.0.0.3", 0));      // invalid port: refused
  AddAnnounce(batch, 4, AnnounceBuilder(mine_, "10.0.0.4", 6881).Event(proto::EVENT_STOPPED));
  Handle(batch);
  ASSERT_EQ(service_.applied().size(), 2u);
  EXPECT_EQ(service_.applied()[0].ip.ToString(), "10.0.0.1");
  EXPECT_EQ(service_.applied()[1].ip.ToString(), "10.0.0.4");
  EXPECT_EQ(service_.applied()[1].event, proto::EVENT_STOPPED);

  Handle(Batch());
  EXPECT_THAT(service_.applied(), IsEmpty());
}

TEST_F(ShardServiceTest, CountsThePeersDroppedWhenTheClockMovedByWeeks) {
  const auto announce_at = [&](const char* ip, UnixSeconds now) {
    proto::RequestBatch batch = Batch();
    AddAnnounce(batch, 1, AnnounceBuilder(mine_, ip, 6881));
    Handle(batch, now);
  };
  announce_at("10.0.0.1", kNow);
  announce_at("10.0.0.2", kNow + 10);
  EXPECT_EQ(service_.counters().peers_out_of_range, 0u);
  constexpr UnixSeconds kMonth = 30 * 86400;
  announce_at("10.0.0.3", kNow + kMonth);
  EXPECT_EQ(service_.counters().peers_out_of_range, 2u);
  EXPECT_EQ(store_.peers(), 1u);
  announce_at("10.0.0.3", kNow + kMonth + 10);
  EXPECT_EQ(service_.counters().peers_out_of_range, 2u);
}

TEST_F(ShardServiceTest, AMisroutedBatchCountsNoCompletions) {
  proto::RequestBatch batch = Batch(kIndex + 1, kShards);
  AddAnnounce(batch, 1,
              AnnounceBuilder(mine_, "10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  Handle(batch);
  EXPECT_THAT(service_.completions(), IsEmpty());
  EXPECT_EQ(store_.completed(), 0u);
}

TEST_F(ShardServiceTest, AnnouncesNamingAPasskeyAreCreditedToItsMemberAndOthersAreNot) {
  TransferLedger ledger({3, 4}, 2700);
  service_.SetCredits(&ledger);
  auto announce = [&](std::uint64_t uploaded, const char* passkey, const InfoHash& hash,
                      proto::Event event = proto::EVENT_NONE) {
    AnnounceBuilder builder(hash, "10.0.0.1", 6881);
    builder.Event(event).Seeder().request.set_uploaded(uploaded);
    builder.request.set_passkey(passkey);
    proto::RequestBatch batch = Batch();
    AddAnnounce(batch, 1, builder);
    Handle(batch);
  };
  announce(100, "alice", mine_);
  announce(250, "alice", mine_, proto::EVENT_COMPLETED);
  announce(400, "", mine_);         // no passkey: a public announce, not accounted
  announce(900, "alice", other_);   // misrouted: refused, not accounted
  announce(900, "al\tice", mine_);  // not a passkey (it would break the file's lines): refused
  announce(900, std::string(65, 'a').c_str(), mine_);
  EXPECT_EQ(TransferLedger::Entries(ledger.TakeTable()),
            (std::vector<TransferLedger::Entry>{{"alice", mine_, {150, 0, 0, 0, 2}}}));
}

// A service that may hold two torrents and three peers (ShardLimits).
class ShardLimitsTest : public ShardServiceTest {
 protected:
  proto::Reply AnnounceOne(const proto::AnnounceRequest& announce) {
    proto::RequestBatch batch = Batch();
    AddAnnounce(batch, 1, announce);
    return Handle(batch).replies(0);
  }

  ShardService limited_{kIndex, kShards, store_, 11, ShardLimits{2, 3}};
  const InfoHash second_ = HashOwnedBy(kIndex, 1);
  const InfoHash third_ = HashOwnedBy(kIndex, 2);

 private:
  proto::ReplyBatch Handle(const proto::RequestBatch& batch) {
    proto::ReplyBatch out;
    limited_.Handle(batch, kNow, out);
    return out;
  }
};

TEST_F(ShardLimitsTest, AFullShardRefusesANewTorrentAndChangesNothing) {
  AnnounceOne(AnnounceBuilder(mine_, "10.0.0.1", 6881));
  AnnounceOne(AnnounceBuilder(second_, "10.0.0.1", 6881));
  const proto::Reply refused = AnnounceOne(AnnounceBuilder(third_, "10.0.0.1", 6881).Seeder());
  EXPECT_THAT(refused.failure(), HasSubstr("tracker full"));
  EXPECT_TRUE(refused.retry_later());
  EXPECT_FALSE(refused.has_announce());
  EXPECT_THAT(limited_.applied(), IsEmpty());  // nothing to journal
  EXPECT_EQ(store_.torrents(), 2u);
  EXPECT_EQ(limited_.counters().refused_torrents, 1u);

  // A torrent it holds still takes a new peer; a stop for an unknown torrent adds nothing.
  EXPECT_TRUE(AnnounceOne(AnnounceBuilder(mine_, "10.0.0.2", 6881)).failure().empty());
  EXPECT_TRUE(AnnounceOne(AnnounceBuilder(third_, "10.0.0.1", 6881).Event(proto::EVENT_STOPPED))
                  .failure()
                  .empty());
  EXPECT_EQ(limited_.counters().refused_torrents, 1u);

  // Once a torrent is gone, there is room again.
  AnnounceOne(AnnounceBuilder(second_, "10.0.0.1", 6881).Event(proto::EVENT_STOPPED));
  EXPECT_TRUE(AnnounceOne(AnnounceBuilder(third_, "10.0.0.1", 6881)).failure().empty());
  EXPECT_EQ(store_.ScrapeOne(third_).leechers, 1u);
}

TEST_F(ShardLimitsTest, TorrentsKeptOnlyForTheirCompletedCountsLeaveRoom) {
  // Made-up completions then stops: each torrent stays for its count, without peers. They must
  // not fill the limit for good (--torrent-retention bounds them instead).
  const InfoHash fourth = HashOwnedBy(kIndex, 3);
  for (const InfoHash& hash : {mine_, second_, third_}) {
    ASSERT_EQ(AnnounceOne(AnnounceBuilder(hash, "10.0.0.1", 6881).Event(proto::EVENT_COMPLETED))
                  .failure(),
              "");
    AnnounceOne(AnnounceBuilder(hash, "10.0.0.1", 6881).Event(proto::EVENT_STOPPED));
  }
  ASSERT_EQ(store_.torrents(), 3u);
  EXPECT_EQ(store_.active_torrents(), 0u);
  EXPECT_EQ(AnnounceOne(AnnounceBuilder(fourth, "10.0.0.1", 6881)).failure(), "");
  EXPECT_EQ(AnnounceOne(AnnounceBuilder(mine_, "10.0.0.1", 6881)).failure(), "");
  EXPECT_THAT(AnnounceOne(AnnounceBuilder(second_, "10.0.0.1", 6881)).failure(),
              HasSubstr("tracker full"));  // two with peers: a third would pass the limit
  EXPECT_EQ(store_.active_torrents(), 2u);
}

TEST_F(ShardLimitsTest, AFullShardRefusesANewPeerButListedPeersGoOn) {
  AnnounceOne(AnnounceBuilder(mine_, "10.0.0.1", 6881));
  AnnounceOne(AnnounceBuilder(mine_, "10.0.0.2", 6881));
  AnnounceOne(AnnounceBuilder(second_, "::1", 6881));
  ASSERT_EQ(store_.peers(), 3u);

  // The same address and port in another torrent, or in another address family, is a new peer.
  for (const auto& announce :
       {AnnounceBuilder(mine_, "10.0.0.3", 6881), AnnounceBuilder(second_, "10.0.0.1", 6881),
        AnnounceBuilder(mine_, "::1", 6881)}) {
    const proto::Reply refused = AnnounceOne(announce);
    EXPECT_THAT(refused.failure(), HasSubstr("tracker full"));
    EXPECT_THAT(limited_.applied(), IsEmpty());
  }
  EXPECT_EQ(limited_.counters().refused_peers, 3u);
  EXPECT_EQ(store_.peers(), 3u);

  // A listed leecher that completes is counted, and a listed peer's re-announce gets peers.
  const proto::Reply completed =
      AnnounceOne(AnnounceBuilder(mine_, "10.0.0.1", 6881).Seeder().Event(proto::EVENT_COMPLETED));
  EXPECT_TRUE(completed.failure().empty());
  EXPECT_EQ(store_.ScrapeOne(mine_).completed, 1u);
  EXPECT_THAT(Peers4(AnnounceOne(AnnounceBuilder(mine_, "10.0.0.2", 6881)).announce()), SizeIs(1));

  // A stop makes room for one more.
  AnnounceOne(AnnounceBuilder(second_, "::1", 6881).Event(proto::EVENT_STOPPED));
  EXPECT_TRUE(AnnounceOne(AnnounceBuilder(mine_, "10.0.0.3", 6881)).failure().empty());
  EXPECT_EQ(store_.peers(), 3u);
  EXPECT_EQ(limited_.counters().refused_peers, 3u);
}

TEST_F(ShardServiceTest, ALimitOfZeroIsNone) {
  ShardService peers_only{kIndex, kShards, store_, 11, ShardLimits{0, 3}};
  proto::RequestBatch batch = Batch();
  for (std::uint8_t n = 0; n < 4; ++n) {  // 3 torrents: no limit on them, 3 peers at most
    AddAnnounce(batch, n, AnnounceBuilder(HashOwnedBy(kIndex, n % 3), "10.0.0.1", 6881));
  }
  proto::ReplyBatch replies;
  peers_only.Handle(batch, kNow, replies);
  for (const proto::Reply& reply : replies.replies()) EXPECT_EQ(reply.failure(), "");
  EXPECT_EQ(store_.active_torrents(), 3u);
  AddAnnounce(batch, 9, AnnounceBuilder(HashOwnedBy(kIndex, 4), "10.0.0.1", 6881));
  peers_only.Handle(batch, kNow, replies);
  EXPECT_THAT(replies.replies(4).failure(), HasSubstr("no room for another peer"));
}

}  // namespace
}  // namespace shardtrack
