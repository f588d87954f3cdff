// UdpTrackerHandler's answers that need no shard: connect, a refused request, a bad connection
// id, silence for a datagram too short to answer, torrents the access list refuses, clients
// over their request rate and requests without a member's passkey. Shard
// round trips are covered by tests/integration/test_udp.py and test_access_list.py.
#include "frontend/udp_tracker_handler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shardtrack {
namespace {

std::string Header(std::uint64_t connection_id, std::uint32_t action, std::uint32_t tid) {
  std::string out;
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(connection_id >> (8 * i)));
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(action >> (8 * i)));
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(tid >> (8 * i)));
  return out;
}

std::uint64_t Get(std::string_view data, std::size_t at, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) {
    value = value << 8 | static_cast<unsigned char>(data[at + i]);
  }
  return value;
}

class UdpTrackerHandlerTest : public ::testing::Test {
 protected:
  UdpTrackerHandlerTest() {
    handler_.Attach(router_placeholder_, [this](const ReturnPath& path, std::string_view datagram) {
      sent_.push_back({path.to, std::string(datagram)});
    });
  }

  struct Sent {
    Endpoint to;
    std::string datagram;
  };

  FrontendSettings settings_;
  FakeClock clock_;
  UdpConnectionIds ids_{{5, 6}};
  UdpTrackerHandler handler_{settings_, AnnounceOptions{}, clock_, ids_};
  Endpoint client_{*IpAddress::Parse("198.51.100.7"), 6881};
  std::vector<Sent> sent_;

 private:
  // Never reached by these tests: each answer is given before a shard would be asked.
  SystemClock system_clock_;
  EventLoop loop_{system_clock_};
  zmq::context_t context_{1};
  struct Ignore final : ShardRouter::Listener {
    void OnShardReply(ShardRouter::Token, const proto::Reply&) override {}
  } ignore_;
  ShardRouter router_placeholder_{loop_, context_, {"tcp://127.0.0.1:1"}, {}, ignore_};
};

TEST_F(UdpTrackerHandlerTest, AnswersConnectWithAnIdValidForTheSender) {
  handler_.OnDatagram(Header(kUdpProtocolId, 0, 99), client_);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].to.address, client_.address);
  EXPECT_EQ(sent_[0].to.port, client_.port);
  ASSERT_EQ(sent_[0].datagram.size(), 16u);
  EXPECT_EQ(Get(sent_[0].datagram, 0, 4), 0u);
  EXPECT_EQ(Get(sent_[0].datagram, 4, 4), 99u);
  EXPECT_TRUE(ids_.Valid(Get(sent_[0].datagram, 8, 8), client_.address, clock_.WallNow()));
}

TEST_F(UdpTrackerHandlerTest, AnswersABadConnectionIdWithAnError) {
  handler_.OnDatagram(Header(12345, 2, 7) + std::string(20, 'a'), client_);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(Get(sent_[0].datagram, 0, 4), 3u);
  EXPECT_EQ(Get(sent_[0].datagram, 4, 4), 7u);
  EXPECT_EQ(sent_[0].datagram.substr(8), "invalid connection id");
}

TEST_F(UdpTrackerHandlerTest, AnIdExpiresAfterItsTimeSlotAndTheNext) {
  const std::uint64_t id = ids_.Issue(client_.address, clock_.WallNow());
  clock_.Advance(UdpConnectionIds::kSlot * 2);
  handler_.OnDatagram(Header(id, 2, 7) + std::string(20, 'a'), client_);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].datagram.substr(8), "invalid connection id");
}

TEST_F(UdpTrackerHandlerTest, RefusesARequestItCannotParseWithItsTransactionId) {
  handler_.OnDatagram(Header(ids_.Issue(client_.address, clock_.WallNow()), 1, 8) + "short",
                      client_);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(Get(sent_[0].datagram, 0, 4), 3u);
  EXPECT_EQ(Get(sent_[0].datagram, 4, 4), 8u);
}

// From a source that showed no connection id of ours (its address may be forged), an error is
// sent only when it is no longer than the datagram; with a good id the same error goes out.
TEST_F(UdpTrackerHandlerTest, AnUnprovenSourceGetsNoErrorLongerThanItsDatagram) {
  const std::string short_scrape = Header(12345, 2, 7);  // no hash: an error of 46 bytes
  handler_.OnDatagram(short_scrape, client_);
  handler_.OnDatagram(Header(12345, 1, 8) + "short", client_);
  EXPECT_TRUE(sent_.empty());
  handler_.OnDatagram(Header(ids_.Issue(client_.address, clock_.WallNow()), 2, 9), client_);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(Get(sent_[0].datagram, 4, 4), 9u);
  EXPECT_GT(sent_[0].datagram.size(), short_scrape.size());
}

// An error sent back to a forged source that is a UDP tracker (this one, say) reads there as a
// request with a bad connection id: answered with an error as long, the two would never stop.
TEST_F(UdpTrackerHandlerTest, AnUnprovenSourceGetsOnlyErrorsShorterThanItsDatagram) {
  const std::string padded = Header(12345, 1, 7) + std::string(13, 'x');  // 29 bytes
  ASSERT_EQ(padded.size(), UdpErrorSize("invalid connection id"));
  handler_.OnDatagram(padded, client_);
  EXPECT_TRUE(sent_.empty());
  handler_.OnDatagram(padded + "y", client_);
  ASSERT_EQ(sent_.size(), 1u);
  const std::string error = sent_[0].datagram;
  handler_.OnDatagram(error, client_);  // reflected back
  EXPECT_EQ(sent_.size(), 1u);
}

// What is wrong with a request is no business of a source that showed no id of ours.
TEST_F(UdpTrackerHandlerTest, AnUnprovenSourceIsToldOfItsIdBeforeAnythingElse) {
  const std::string port_zero(100, '\0');  // an announce whose port is 0
  handler_.OnDatagram(Header(12345, 1, 7) + port_zero, client_);
  handler_.OnDatagram(Header(ids_.Issue(client_.address, clock_.WallNow()), 1, 8) + port_zero,
                      client_);
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[0].datagram.substr(8), "invalid connection id");
  EXPECT_EQ(sent_[1].datagram.substr(8), "invalid port");
}

// Each datagram counts once, by its answer: an announce its shard failed is an error only.
TEST_F(UdpTrackerHandlerTest, CountsEachDatagramOnceByItsAnswer) {
  const std::string announce = std::string(20, 'h') + std::string(20, 'p') + std::string(36, '\0') +
                               std::string(4, '\xff') + "\x1a\xe1";
  const std::uint64_t id = ids_.Issue(client_.address, clock_.WallNow());
  proto::Reply failed;
  failed.set_failure("shard 0 did not answer in time, retry later");
  handler_.OnDatagram(Header(id, 1, 41) + announce, client_);
  handler_.OnShardReply(0, failed);
  handler_.OnDatagram(Header(id, 1, 42) + announce, client_);
  handler_.OnShardReply(0, proto::Reply());
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(Get(sent_[0].datagram, 0, 4), 3u);  // the error
  EXPECT_EQ(Get(sent_[1].datagram, 0, 4), 1u);  // the announce reply
  EXPECT_EQ(handler_.counters().errors, 1u);
  EXPECT_EQ(handler_.counters().announces, 1u);
}

TEST_F(UdpTrackerHandlerTest, DropsADatagramTooShortToAnswer) {
  handler_.OnDatagram("", client_);
  handler_.OnDatagram(Header(kUdpProtocolId, 0, 1).substr(0, 15), client_);
  EXPECT_TRUE(sent_.empty());
}

TEST_F(UdpTrackerHandlerTest, AnswersAnAnnounceOfARefusedTorrentWithAnError) {
  TorrentAccess access(AccessMode::kAllow, AccessList());
  handler_.AttachAdmission({.torrents = &access});
  const std::string announce = std::string(20, 'h') + std::string(20, 'p') + std::string(36, '\0') +
                               std::string(4, '\xff') + "\x1a\xe1";
  handler_.OnDatagram(Header(ids_.Issue(client_.address, clock_.WallNow()), 1, 31) + announce,
                      client_);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(Get(sent_[0].datagram, 0, 4), 3u);
  EXPECT_EQ(Get(sent_[0].datagram, 4, 4), 31u);
  EXPECT_EQ(sent_[0].datagram.substr(8), kNotServedReason);
  EXPECT_EQ(access.counters().refused_announces, 1u);
}

TEST_F(UdpTrackerHandlerTest, AClientOverItsRateGetsAnErrorButConnectsAndForgeriesCostNothing) {
  TorrentAccess access(AccessMode::kAllow, AccessList());  // refused torrents: no shard is asked
  ClientRequestLimiter limiter(1, 2);
  handler_.AttachAdmission({.limiter = &limiter, .torrents = &access});
  const std::string announce = std::string(20, 'h') + std::string(20, 'p') + std::string(36, '\0') +
                               std::string(4, '\xff') + "\x1a\xe1";
  auto reason_of_announce = [&](const Endpoint& from, std::uint64_t id) {
    sent_.clear();
    handler_.OnDatagram(Header(id, 1, 40) + announce, from);
    return sent_.size() == 1 ? sent_[0].datagram.substr(8) : "(no single reply)";
  };
  const std::uint64_t id = ids_.Issue(client_.address, clock_.WallNow());
  for (int i = 0; i < 5; ++i) handler_.OnDatagram(Header(kUdpProtocolId, 0, 1), client_);
  EXPECT_EQ(reason_of_announce(client_, id + 1), "invalid connection id");  // a forgery
  EXPECT_EQ(reason_of_announce(client_, id), kNotServedReason);
  EXPECT_EQ(reason_of_announce(client_, id), kNotServedReason);
  EXPECT_EQ(reason_of_announce(client_, id), kOverRateReason);
  EXPECT_EQ(limiter.refusals(), 1u);
  const Endpoint other{*IpAddress::Parse("198.51.100.8"), 6881};
  EXPECT_EQ(reason_of_announce(other, ids_.Issue(other.address, clock_.WallNow())),
            kNotServedReason);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(reason_of_announce(client_, id), kNotServedReason);
}

TEST_F(UdpTrackerHandlerTest, AnswersAScrapeOfRefusedTorrentsWithZerosInRequestOrder) {
  InfoHash blocked;
  blocked.bytes.fill('b');
  TorrentAccess access(AccessMode::kDeny, AccessList({blocked}));
  handler_.AttachAdmission({.torrents = &access});
  const std::string hashes = blocked.ToRaw() + blocked.ToRaw();
  handler_.OnDatagram(Header(ids_.Issue(client_.address, clock_.WallNow()), 2, 32) + hashes,
                      client_);
  ASSERT_EQ(sent_.size(), 1u);  // at once: no shard was asked
  EXPECT_EQ(Get(sent_[0].datagram, 0, 4), 2u);
  EXPECT_EQ(Get(sent_[0].datagram, 4, 4), 32u);
  EXPECT_EQ(sent_[0].datagram.substr(8), std::string(24, '\0'));
  EXPECT_EQ(access.counters().refused_scrapes, 2u);
}

TEST_F(UdpTrackerHandlerTest, AnAnnounceNeedsAListedPasskeyInItsUrlDataAndAScrapeIsRefused) {
  TorrentAccess access(AccessMode::kAllow, AccessList());  // refused torrents: no shard is asked
  PasskeyAccess passkeys(PasskeyList({"member-key"}));
  handler_.AttachAdmission({.passkeys = &passkeys, .torrents = &access});
  const std::uint64_t id = ids_.Issue(client_.address, clock_.WallNow());
  const std::string announce = Header(id, 1, 50) + std::string(20, 'h') + std::string(20, 'p') +
                               std::string(36, '\0') + std::string(4, '\xff') + "\x1a\xe1";
  auto reason_of = [&](const std::string& datagram) {
    sent_.clear();
    handler_.OnDatagram(datagram, client_);
    return sent_.size() == 1 ? sent_[0].datagram.substr(8) : "(no single reply)";
  };
  auto url_data = [](const std::string& url) {
    return "\x02" + std::string(1, static_cast<char>(url.size())) + url;
  };
  EXPECT_EQ(reason_of(announce), kPasskeyMissingReason);
  EXPECT_EQ(reason_of(announce + url_data("/announce")), kPasskeyMissingReason);
  EXPECT_EQ(reason_of(announce + url_data("/other-key/announce")), kPasskeyUnknownReason);
  EXPECT_EQ(reason_of(announce + url_data("/member-key/scrape")), kPasskeyMissingReason);
  // Past the passkey, to the access list (which refuses every torrent here).
  EXPECT_EQ(reason_of(announce + url_data("/member-key/announce")), kNotServedReason);
  EXPECT_EQ(reason_of(announce + url_data("/member-key/announce?x=1")), kNotServedReason);
  EXPECT_EQ(reason_of(Header(id, 2, 51) + std::string(20, 'h')),
            "a UDP scrape cannot carry a passkey: scrape over HTTP, /<passkey>/scrape");
  // What else is wrong is no business of a request without a member's passkey.
  const std::string port_zero = Header(id, 1, 52) + std::string(82, '\0');  // 98 bytes
  EXPECT_EQ(reason_of(port_zero), kPasskeyMissingReason);
  EXPECT_EQ(reason_of(port_zero + url_data("/member-key/announce")), "invalid port");
  // As over HTTP, where an unknown path is a 404 whoever asks.
  EXPECT_EQ(reason_of(Header(id, 7, 53) + std::string(20, 'x')), "unknown action");
  EXPECT_EQ(passkeys.counters().refused_missing, 4u);  // scrapes and unknown actions not among them
  EXPECT_EQ(passkeys.counters().refused_unknown, 1u);
  EXPECT_EQ(access.counters().refused_announces, 2u);
}

}  // namespace
}  // namespace shardtrack
