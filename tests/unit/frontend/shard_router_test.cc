#include "frontend/shard_router.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "common/batch_limits.h"
#include "common/clock.h"
#include "common/reactor/event_loop.h"
#include "tests/unit/common/scratch_dir.h"

namespace shardtrack {
namespace {

using namespace std::chrono_literals;

class RecordingListener final : public ShardRouter::Listener {
 public:
  void OnShardReply(ShardRouter::Token token, const proto::Reply& reply) override {
    replies[token] = reply;
  }
  std::map<ShardRouter::Token, proto::Reply> replies;
};

// One router with one shard: a ROUTER socket of the test's own, on inproc, that answers by hand.
class ShardRouterTest : public ::testing::Test {
 protected:
  void Start(ShardRouter::Options options) {
    shard_.bind("inproc://shard");
    router_ = std::make_unique<ShardRouter>(
        loop_, context_, std::vector<std::string>{"inproc://shard"}, options, listener_);
  }

  // Turns the loop until `done()` or a few seconds passed, so a bug fails instead of hanging.
  bool TurnUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;  // asked once per turn: `done` may consume what it checks
      loop_.RunOnce(2ms);
    }
    return false;
  }

  // Receives the next RequestBatch the router sent, keeping the frontend's identity.
  proto::RequestBatch ReceiveBatch(std::size_t* wire_bytes = nullptr) {
    proto::RequestBatch batch;
    zmq::message_t payload;
    EXPECT_TRUE(
        TurnUntil([&] { return shard_.recv(identity_, zmq::recv_flags::dontwait).has_value(); }));
    EXPECT_TRUE(shard_.recv(payload));
    EXPECT_TRUE(batch.ParseFromArray(payload.data(), static_cast<int>(payload.size())));
    if (wire_bytes != nullptr) *wire_bytes = payload.size();
    return batch;
  }

  // Adds a request for `token` that the shard receives and leaves unanswered until it fails at
  // its deadline; returns its id.
  std::uint64_t TimeOut(ShardRouter::Token token) {
    const std::uint64_t id = router_->Add(0, token)->id();
    ReceiveBatch();
    EXPECT_TRUE(TurnUntil([&] { return listener_.replies.contains(token); }));
    return id;
  }

  void SendReplies(const proto::ReplyBatch& replies) {
    std::string wire = replies.SerializeAsString();
    shard_.send(zmq::buffer(identity_.to_string()), zmq::send_flags::sndmore);
    shard_.send(zmq::buffer(wire));
  }

  SystemClock clock_;
  EventLoop loop_{clock_};
  zmq::context_t context_{1};
  zmq::socket_t shard_{context_, zmq::socket_type::router};
  zmq::message_t identity_;
  RecordingListener listener_;
  std::unique_ptr<ShardRouter> router_;
};

TEST_F(ShardRouterTest, OneBatchPerTurnAndRepliesMatchedByIdInAnyOrder) {
  Start({});
  proto::Request* first = router_->Add(0, 10);
  proto::Request* second = router_->Add(0, 20);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  const std::uint64_t first_id = first->id();
  const std::uint64_t second_id = second->id();
  EXPECT_NE(first_id, second_id);
  proto::RequestBatch batch = ReceiveBatch();
  ASSERT_EQ(batch.requests_size(), 2);  // both requests of the turn in one message
  EXPECT_EQ(batch.shard_index(), 0u);
  EXPECT_EQ(batch.shard_count(), 1u);

  proto::ReplyBatch replies;  // answered in reverse order, plus an id nobody asked for
  replies.add_replies()->set_id(second_id);
  replies.add_replies()->set_id(12345);
  replies.add_replies()->set_id(first_id);
  SendReplies(replies);
  ASSERT_TRUE(TurnUntil([&] { return listener_.replies.size() == 2; }));
  EXPECT_EQ(listener_.replies[10].id(), first_id);
  EXPECT_EQ(listener_.replies[20].id(), second_id);
  EXPECT_TRUE(listener_.replies[10].failure().empty());
  EXPECT_FALSE(listener_.replies[10].retry_later());
  EXPECT_EQ(router_->counters(0).replied, 2u);
  EXPECT_EQ(router_->counters(0).pending, 0u);
}

TEST_F(ShardRouterTest, UnansweredRequestsFailAtTheDeadlineAndLateRepliesAreIgnored) {
  Start({.timeout = 50ms, .max_pending_per_shard = 100, .curve = {}});
  const std::uint64_t id = TimeOut(7);
  EXPECT_NE(listener_.replies[7].failure().find("did not answer in time"), std::string::npos);
  EXPECT_TRUE(listener_.replies[7].retry_later());
  EXPECT_EQ(router_->counters(0).timeouts, 1u);
  EXPECT_EQ(router_->counters(0).unavailable, 0u) << "it was sent";

  listener_.replies.clear();
  proto::ReplyBatch late;
  late.add_replies()->set_id(id);
  SendReplies(late);
  for (int i = 0; i < 20; ++i) loop_.RunOnce(2ms);
  EXPECT_TRUE(listener_.replies.empty());
}

TEST_F(ShardRouterTest, RequestsThatCouldNotBeSentFailAsUnavailableAtTheDeadline) {
  router_ = std::make_unique<ShardRouter>(
      loop_, context_, std::vector<std::string>{"tcp://127.0.0.1:1"},
      ShardRouter::Options{.timeout = 50ms, .max_pending_per_shard = 100, .curve = {}}, listener_);
  ASSERT_NE(router_->Add(0, 7), nullptr);
  ASSERT_TRUE(TurnUntil([&] { return listener_.replies.contains(7); }));
  EXPECT_EQ(listener_.replies[7].failure(), "shard 0 is unavailable, retry later");
  EXPECT_TRUE(listener_.replies[7].retry_later());
  EXPECT_EQ(router_->counters(0).sent, 0u);
  EXPECT_EQ(router_->counters(0).unavailable, 1u);
  EXPECT_EQ(router_->counters(0).timeouts, 0u) << "it was never sent";
}

// A batch held for a connection still being made goes no later than its first request's
// deadline, which runs from that request's Add: once its client was told the shard is
// unavailable, a connection that comes up must not carry the request to the shard after all.
TEST(ShardRouterBacklogTest, ABatchHeldForAConnectionIsDroppedAtItsFirstRequestsDeadline) {
  FakeClock clock;
  EventLoop loop(clock);
  zmq::context_t context(1);
  RecordingListener listener;
  zmq::socket_t shard(context, zmq::socket_type::router);
  shard.bind("tcp://127.0.0.1:*");
  const std::string endpoint = shard.get(zmq::sockopt::last_endpoint);
  shard.unbind(endpoint);  // nobody listens until the request has failed
  ShardRouter router(loop, context, {endpoint},
                     {.timeout = 100ms, .max_pending_per_shard = 100, .curve = {}}, listener);
  ASSERT_NE(router.Add(0, 7), nullptr);
  clock.Advance(60ms);  // the turn that flushes it comes late
  loop.RunOnce(0ms);
  clock.Advance(50ms);  // past request 7's deadline (not the flush's)
  loop.RunOnce(0ms);
  ASSERT_TRUE(listener.replies.contains(7));
  EXPECT_EQ(listener.replies[7].failure(), "shard 0 is unavailable, retry later");

  // The connection comes up before the flush's deadline (the unbind lets go of the port on
  // ZeroMQ's own thread, a little later).
  for (int attempt = 0;; ++attempt) {
    try {
      shard.bind(endpoint);
      break;
    } catch (const zmq::error_t&) {
      ASSERT_LT(attempt, 100) << "cannot bind " << endpoint << " again";
      std::this_thread::sleep_for(10ms);
    }
  }
  zmq::message_t identity;
  bool received = false;
  for (int turn = 0; turn < 40 && !received; ++turn) {  // ~0.4 s real, 40 ms of the fake clock
    clock.Advance(1ms);
    std::this_thread::sleep_for(10ms);  // for ZeroMQ to connect, while the fake clock waits
    loop.RunOnce(0ms);
    received = shard.recv(identity, zmq::recv_flags::dontwait).has_value();
  }
  EXPECT_FALSE(received) << "a request already failed reached the shard";
  EXPECT_EQ(router.counters(0).sent, 0u);
}

// A request that left before its shard went away timed out; one that never could leave was
// failed as unavailable, whatever the shard's state at their deadlines.
TEST_F(ShardRouterTest, AtTheDeadlineASentRequestTimesOutAndAnUnsentOneIsUnavailable) {
  Start({.timeout = 200ms, .max_pending_per_shard = 100, .curve = {}});
  ASSERT_NE(router_->Add(0, 7), nullptr);
  ReceiveBatch();
  shard_.close();  // the shard goes away with request 7 unanswered
  for (int i = 0; i < 25; ++i) loop_.RunOnce(2ms);
  ASSERT_NE(router_->Add(0, 8), nullptr);
  ASSERT_TRUE(TurnUntil([&] { return !router_->reachable(0); }));
  ASSERT_TRUE(TurnUntil([&] { return listener_.replies.size() == 2; }));
  EXPECT_EQ(listener_.replies[7].failure(), "shard 0 did not answer in time, retry later");
  EXPECT_EQ(listener_.replies[8].failure(), "shard 0 is unavailable, retry later");
  EXPECT_EQ(router_->counters(0).timeouts, 1u);
  EXPECT_EQ(router_->counters(0).unavailable, 1u);
}

// A hung shard keeps its connection, so sends succeed and each request would wait the whole
// timeout: once one timed out with no word from the shard, the shard gets one batch at a time and
// the rest fail at once, until it is heard again.
TEST_F(ShardRouterTest, AfterATimeoutWithNoWordASilentShardGetsOneBatchAtATime) {
  Start({.timeout = 100ms, .max_pending_per_shard = 100, .curve = {}});
  const std::uint64_t unanswered = TimeOut(7);
  EXPECT_FALSE(router_->reachable(0));

  const std::uint64_t probe = router_->Add(0, 8)->id();  // nothing in flight: it goes
  EXPECT_EQ(ReceiveBatch().requests(0).id(), probe);
  ASSERT_NE(router_->Add(0, 9), nullptr);  // one is in flight: this one fails at once
  ASSERT_TRUE(TurnUntil([&] { return listener_.replies.contains(9); }));
  EXPECT_EQ(listener_.replies[9].failure(), "shard 0 is not answering, retry later");
  EXPECT_TRUE(listener_.replies[9].retry_later());
  EXPECT_FALSE(listener_.replies.contains(8));
  EXPECT_EQ(router_->counters(0).unavailable, 1u);
  EXPECT_EQ(router_->counters(0).sent, 2u) << "request 9 never left";

  proto::ReplyBatch replies;  // the shard wakes: even its late reply to 7 is word enough
  replies.add_replies()->set_id(unanswered);
  SendReplies(replies);
  ASSERT_TRUE(TurnUntil([&] { return router_->reachable(0); }));
  const std::uint64_t after = router_->Add(0, 10)->id();  // 8 is still in flight: sent anyway
  EXPECT_EQ(ReceiveBatch().requests(0).id(), after);
}

// A batch that waited for its connection left late, so its timeout says nothing of the shard:
// only a request out for half the timeout or more makes it silent. (Over ipc, which reconnects
// like tcp: an inproc send is taken before its bind, and a tcp port nobody listens on in the
// ephemeral range lets the router's socket connect to itself now and then.)
TEST_F(ShardRouterTest, ARequestSentLateAndUnansweredLeavesTheShardReachable) {
  const testing::ScratchDir dir;
  const std::string endpoint = "ipc://" + dir.File("shard");
  router_ = std::make_unique<ShardRouter>(
      loop_, context_, std::vector<std::string>{endpoint},
      ShardRouter::Options{.timeout = 3s, .max_pending_per_shard = 100, .curve = {}}, listener_);
  ASSERT_NE(router_->Add(0, 7), nullptr);
  const auto bind_at = std::chrono::steady_clock::now() + 1600ms;
  while (std::chrono::steady_clock::now() < bind_at) loop_.RunOnce(2ms);
  EXPECT_FALSE(router_->reachable(0)) << "no connection yet";
  shard_.bind(endpoint);
  // Out of the backlog at ZeroMQ's next reconnect, over 1.5 s late.
  ASSERT_TRUE(TurnUntil([&] { return listener_.replies.contains(7); }));
  EXPECT_EQ(listener_.replies[7].failure(), "shard 0 did not answer in time, retry later");
  EXPECT_TRUE(router_->reachable(0));
}

TEST_F(ShardRouterTest, RefusesRequestsPastMaxPendingPerShard) {
  Start({.timeout = 1s, .max_pending_per_shard = 2, .curve = {}});
  EXPECT_NE(router_->Add(0, 1), nullptr);
  EXPECT_NE(router_->Add(0, 2), nullptr);
  EXPECT_EQ(router_->Add(0, 3), nullptr);
  EXPECT_EQ(router_->counters(0).unavailable, 1u);
  EXPECT_EQ(router_->counters(0).pending, 2u);
}

TEST_F(ShardRouterTest, AnAnnounceIsTakenIntoItsOwnersBatchOrLeftAsItWasWhenRefused) {
  Start({.timeout = 1s, .max_pending_per_shard = 1, .curve = {}});
  proto::AnnounceRequest announce;
  announce.set_info_hash(std::string(20, 'a'));
  announce.set_port(6881);
  const InfoHash a = *InfoHash::FromRaw(announce.info_hash());
  EXPECT_TRUE(router_->AddAnnounce(a, announce, 5));
  EXPECT_EQ(announce.info_hash(), "");  // taken, not copied
  proto::RequestBatch batch = ReceiveBatch();
  ASSERT_EQ(batch.requests_size(), 1);
  EXPECT_EQ(batch.requests(0).announce().info_hash(), std::string(20, 'a'));
  EXPECT_EQ(batch.requests(0).announce().port(), 6881u);

  proto::AnnounceRequest refused;  // the shard is full
  refused.set_info_hash(std::string(20, 'b'));
  refused.set_port(51413);
  EXPECT_FALSE(router_->AddAnnounce(*InfoHash::FromRaw(refused.info_hash()), refused, 6));
  EXPECT_EQ(refused.info_hash(), std::string(20, 'b'));
  EXPECT_EQ(refused.port(), 51413u);
  EXPECT_EQ(router_->counters(0).unavailable, 1u);
}

TEST_F(ShardRouterTest, ScrapeFanoutGroupsHashesByOwnerAndReportsARefusal) {
  Start({.timeout = 1s, .max_pending_per_shard = 1, .curve = {}});
  const std::vector<InfoHash> hashes = {*InfoHash::FromRaw(std::string(20, 'a')),
                                        *InfoHash::FromRaw(std::string(20, 'b'))};
  const ShardRouter::Fanout fanout = router_->AddScrape(hashes, 5);
  EXPECT_EQ(fanout.requests, 1u);  // one shard owns both: one request holding both hashes
  EXPECT_FALSE(fanout.refused);
  proto::RequestBatch batch = ReceiveBatch();
  ASSERT_EQ(batch.requests_size(), 1);
  EXPECT_EQ(batch.requests(0).scrape().info_hashes_size(), 2);

  const ShardRouter::Fanout refused = router_->AddScrape(hashes, 6);  // the shard is full
  EXPECT_EQ(refused.requests, 0u);
  EXPECT_TRUE(refused.refused);
  EXPECT_EQ(router_->counters(0).unavailable, 1u);  // counted once, not once per hash
}

TEST_F(ShardRouterTest, ATurnsBatchLargerThanAPartGoesInPartsInOrder) {
  Start({});
  constexpr int kScrapes = 1000;  // of 64 hashes: about 1.4 MB on the wire
  std::vector<InfoHash> hashes;
  for (int i = 0; i < 64; ++i) hashes.push_back(*InfoHash::FromRaw(std::string(20, char(i))));
  for (int token = 0; token < kScrapes; ++token) {
    ASSERT_EQ(router_->AddScrape(hashes, static_cast<ShardRouter::Token>(token)).requests, 1u);
  }
  int received = 0;
  int parts = 0;
  std::uint64_t last_id = 0;
  while (received < kScrapes) {
    std::size_t wire_bytes = 0;
    const proto::RequestBatch part = ReceiveBatch(&wire_bytes);
    ASSERT_GT(part.requests_size(), 0);
    EXPECT_LT(wire_bytes, kMaxBatchPartBytes + 2'000) << "a part and one request at most";
    EXPECT_EQ(part.shard_count(), 1u);
    for (const proto::Request& request : part.requests()) {
      EXPECT_TRUE(received == 0 || request.id() == last_id + 1) << "in the order added";
      EXPECT_EQ(request.scrape().info_hashes_size(), 64);
      last_id = request.id();
      ++received;
    }
    ++parts;
  }
  EXPECT_EQ(received, kScrapes);
  EXPECT_EQ(parts, 2);
  EXPECT_EQ(router_->counters(0).sent, static_cast<std::uint64_t>(kScrapes));
}

}  // namespace
}  // namespace shardtrack
