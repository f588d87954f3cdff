// ZapHandler over real ZeroMQ sockets in one context, driven by a real EventLoop: ZAP requests
// (RFC 27) sent to inproc://zeromq.zap.01 get 200 for a listed key and 400 for an unlisted key
// or a malformed request, each counted; real CURVE handshakes are admitted or refused; a second
// handler in the same context cannot start. Every wait is a bounded number
// of loop turns, so a handler that answers nothing fails instead of hanging.
#include "shard/zap_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/clock.h"

namespace shardtrack {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Frames = std::vector<std::string>;

constexpr int kMaxTurns = 400;  // 5 ms each at most

CurveKey KeyFilledWith(char fill) {
  CurveKey key;
  key.bytes.fill(static_cast<std::uint8_t>(fill));
  return key;
}

// A well-formed ZAP request for a CURVE handshake showing `key`: version, request id, domain,
// address, routing id, mechanism, credentials.
Frames CurveRequest(std::string_view key) {
  return {"1.0", "req-7", "shardtrack", "192.0.2.1", "", "CURVE", std::string(key)};
}

Frames Without(Frames frames, std::size_t index) {
  frames.erase(frames.begin() + static_cast<std::ptrdiff_t>(index));
  return frames;
}

Frames With(Frames frames, std::size_t index, std::string value) {
  frames[index] = std::move(value);
  return frames;
}

Frames Appended(Frames frames, std::string value) {
  frames.push_back(std::move(value));
  return frames;
}

class ZapHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_.set(zmq::sockopt::linger, 0);
    shard_socket_.set(zmq::sockopt::linger, 0);
    Status started = handler_.Start();
    ASSERT_TRUE(started.ok()) << started.error();
    client_.connect("inproc://zeromq.zap.01");
  }

  // Sends `request` to the handler and returns its reply's frames, or none when no reply came.
  Frames Ask(const Frames& request) {
    std::vector<zmq::const_buffer> message = {zmq::str_buffer("")};  // the REP envelope's end
    for (const std::string& frame : request) message.push_back(zmq::buffer(frame));
    zmq::send_multipart(client_, message);
    for (int turn = 0; turn < kMaxTurns; ++turn) {
      loop_.RunOnce(milliseconds(5));
      std::vector<zmq::message_t> reply;
      if (zmq::recv_multipart(client_, std::back_inserter(reply), zmq::recv_flags::dontwait)) {
        Frames frames;
        for (std::size_t i = 1; i < reply.size(); ++i) frames.push_back(reply[i].to_string());
        return frames;
      }
    }
    return {};
  }

  // The reply's status code, or what was wrong with the reply.
  std::string StatusFor(const Frames& request) {
    const Frames reply = Ask(request);
    if (reply.empty()) return "no reply";
    if (reply.size() != 6 || reply[0] != "1.0") return "malformed reply";
    return reply[2];
  }

  template <typename Done>
  void TurnUntil(Done done, int max_turns = kMaxTurns) {
    for (int turn = 0; turn < max_turns && !done(); ++turn) loop_.RunOnce(milliseconds(5));
  }

  const CurveKey listed_ = KeyFilledWith('a');
  SystemClock clock_;
  EventLoop loop_{clock_};
  zmq::context_t context_;
  FrontendKeys keys_{CurveKeyList({listed_})};
  zmq::socket_t shard_socket_{context_, zmq::socket_type::router};
  ZapHandler handler_{loop_, context_, keys_};
  zmq::socket_t client_{context_, zmq::socket_type::dealer};
};

TEST_F(ZapHandlerTest, AListedKeyIsAdmittedWithTheKeyAsItsUserId) {
  // The user id comes with every message of the connection, for ShardServer to check again.
  EXPECT_THAT(Ask(CurveRequest(listed_.view())),
              ElementsAre("1.0", "req-7", "200", "", listed_.ToHex(), ""));
  EXPECT_EQ(handler_.admitted(), 1u);
  EXPECT_EQ(handler_.refused(), 0u);
}

TEST_F(ZapHandlerTest, AnUnlistedKeyIsRefused) {
  const CurveKey stranger = KeyFilledWith('b');
  EXPECT_THAT(Ask(CurveRequest(stranger.view())), ElementsAre("1.0", "req-7", "400", "", "", ""));
  EXPECT_EQ(handler_.admitted(), 0u);
  EXPECT_EQ(handler_.refused(), 1u);
}

// Each malformed request shows the listed key, so only its malformation can refuse it.
TEST_F(ZapHandlerTest, MalformedRequestsAreRefusedAndTheHandlerKeepsAnswering) {
  const Frames good = CurveRequest(listed_.view());
  const std::string key(listed_.view());
  const std::vector<std::pair<std::string, Frames>> malformed = {
      {"version 2.0", With(good, 0, "2.0")},
      {"empty version", With(good, 0, "")},
      {"mechanism PLAIN", With(good, 5, "PLAIN")},
      {"mechanism NULL", With(Without(good, 6), 5, "NULL")},
      {"lower-case curve", With(good, 5, "curve")},
      {"key of 31 bytes", With(good, 6, key.substr(0, 31))},
      {"key of 33 bytes", With(good, 6, key + "x")},
      {"key in hex", With(good, 6, listed_.ToHex())},
      {"no credentials frame", Without(good, 6)},
      {"a frame after the key", Appended(good, "extra")},
      {"version only", {"1.0"}},
  };
  for (const auto& [name, request] : malformed) {
    SCOPED_TRACE(name);
    const std::uint64_t refused = handler_.refused();
    EXPECT_EQ(StatusFor(request), "400");
    EXPECT_EQ(handler_.refused(), refused + 1);
  }
  EXPECT_EQ(handler_.admitted(), 0u);
  EXPECT_EQ(StatusFor(good), "200");
  EXPECT_EQ(handler_.admitted(), 1u);
}

TEST_F(ZapHandlerTest, AReplyEchoesTheRequestIdEvenForAShortRequest) {
  EXPECT_THAT(Ask({"1.0", "only-an-id"}), ElementsAre("1.0", "only-an-id", "400", "", "", ""));
}

TEST_F(ZapHandlerTest, ReplacedKeysDecideTheNextRequest) {
  const CurveKey added = KeyFilledWith('c');
  keys_.Replace(CurveKeyList({added}));
  EXPECT_EQ(StatusFor(CurveRequest(listed_.view())), "400");
  EXPECT_EQ(StatusFor(CurveRequest(added.view())), "200");
}

TEST_F(ZapHandlerTest, ASecondHandlerInTheSameContextCannotStart) {
  ZapHandler second(loop_, context_, keys_);
  Status started = second.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.error(), HasSubstr("cannot start the CURVE key check"));
  EXPECT_EQ(StatusFor(CurveRequest(listed_.view())), "200");  // the first still answers
}

// Real handshakes: the shard socket is a CURVE server in the handler's context, so libzmq asks
// the handler about each client; clients connect over loopback TCP.
class ZapHandshakeTest : public ZapHandlerTest {
 protected:
  void SetUp() override {
    ZapHandlerTest::SetUp();
    auto shard_keys = MakeCurveKeyPair();
    ASSERT_TRUE(shard_keys.ok()) << shard_keys.error();
    shard_public_ = shard_keys->public_key;
    shard_socket_.set(zmq::sockopt::curve_server, true);
    shard_socket_.set(zmq::sockopt::curve_secretkey, shard_keys->secret_key.view());
    shard_socket_.set(zmq::sockopt::zap_domain, "shardtrack");
    shard_socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = shard_socket_.get(zmq::sockopt::last_endpoint);
  }

  // A client with `keys` (none: no CURVE) that connects and sends one message.
  zmq::socket_t& Connect(const std::optional<CurveKeyPair>& keys) {
    zmq::socket_t& client = clients_.emplace_back(context_, zmq::socket_type::dealer);
    client.set(zmq::sockopt::linger, 0);
    if (keys) {
      client.set(zmq::sockopt::curve_serverkey, shard_public_.view());
      client.set(zmq::sockopt::curve_publickey, keys->public_key.view());
      client.set(zmq::sockopt::curve_secretkey, keys->secret_key.view());
    }
    client.connect(endpoint_);
    client.send(zmq::str_buffer("hello"), zmq::send_flags::dontwait);
    return client;
  }

  // Turns the loop until the shard socket receives a message; false when none came.
  bool ShardReceives(int max_turns = kMaxTurns) {
    std::vector<zmq::message_t> message;
    TurnUntil(
        [&] {
          return zmq::recv_multipart(shard_socket_, std::back_inserter(message),
                                     zmq::recv_flags::dontwait)
              .has_value();
        },
        max_turns);
    return !message.empty();
  }

  CurveKeyPair NewKeys() {
    auto keys = MakeCurveKeyPair();
    EXPECT_TRUE(keys.ok()) << keys.error();
    return keys.ok() ? *keys : CurveKeyPair{};
  }

  CurveKey shard_public_;
  std::string endpoint_;
  std::list<zmq::socket_t> clients_;  // a list: sockets do not move once connected
};

TEST_F(ZapHandshakeTest, AClientWithAListedKeyIsServed) {
  CurveKeyPair keys = NewKeys();
  keys_.Replace(CurveKeyList({keys.public_key}));
  Connect(keys);
  EXPECT_TRUE(ShardReceives());
  EXPECT_EQ(handler_.admitted(), 1u);
  EXPECT_EQ(handler_.refused(), 0u);
}

TEST_F(ZapHandshakeTest, AClientWithAnUnlistedKeyIsRefused) {
  Connect(NewKeys());
  TurnUntil([&] { return handler_.refused() > 0; });
  EXPECT_GE(handler_.refused(), 1u);  // the client may retry meanwhile
  EXPECT_FALSE(ShardReceives(40));
  EXPECT_EQ(handler_.admitted(), 0u);
}

}  // namespace
}  // namespace shardtrack
