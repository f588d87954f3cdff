// ConnectionWatch over real ZeroMQ sockets on loopback TCP, driven by a real EventLoop: handshakes
// that fail (a CURVE client at a plain socket, a client without CURVE at a CURVE socket, a
// greeting with another mechanism) are counted, and a good one is not. libzmq takes bytes that
// are not ZMTP 3 for ZMTP 1.0, whose messages the shard counts as malformed, so they are not here.
// Every wait is a bounded number of loop turns, so a watch that sees nothing fails instead of
// hanging. Accept failures need a process out of descriptors: test_shard_failure runs one.
#include "shard/connection_watch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <iterator>
#include <list>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/clock.h"
#include "common/curve_keys.h"
#include "common/unique_fd.h"

namespace shardtrack {
namespace {

using std::chrono::milliseconds;

constexpr int kMaxTurns = 400;  // 5 ms each at most

CurveKeyPair NewKeys() {
  auto keys = MakeCurveKeyPair();
  EXPECT_TRUE(keys.ok()) << keys.error();
  return keys.ok() ? *keys : CurveKeyPair{};
}

class ConnectionWatchTest : public ::testing::Test {
 protected:
  // Starts the watch on a ROUTER socket, a CURVE server with `server_keys` when given, and binds
  // it to loopback.
  void Listen(const CurveKeyPair* server_keys) {
    shard_socket_.set(zmq::sockopt::linger, 0);
    if (server_keys) {
      shard_socket_.set(zmq::sockopt::curve_server, true);
      shard_socket_.set(zmq::sockopt::curve_secretkey, server_keys->secret_key.view());
    }
    watch_.emplace(loop_, context_, server_keys != nullptr);
    Status started = watch_->Start(shard_socket_);
    ASSERT_TRUE(started.ok()) << started.error();
    shard_socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = shard_socket_.get(zmq::sockopt::last_endpoint);
  }

  // A DEALER that connects and sends one message, as a CURVE client of `server` when given.
  void Connect(const CurveKey* server) {
    zmq::socket_t& client = clients_.emplace_back(context_, zmq::socket_type::dealer);
    client.set(zmq::sockopt::linger, 0);
    if (server) {
      const CurveKeyPair own = NewKeys();
      client.set(zmq::sockopt::curve_serverkey, server->view());
      client.set(zmq::sockopt::curve_publickey, own.public_key.view());
      client.set(zmq::sockopt::curve_secretkey, own.secret_key.view());
    }
    client.connect(endpoint_);
    client.send(zmq::str_buffer("hello"), zmq::send_flags::dontwait);
  }

  // Opens a plain TCP connection to the socket's port and writes `bytes`.
  void SendRaw(const std::string& bytes) {
    const int port = std::stoi(endpoint_.substr(endpoint_.rfind(':') + 1));
    UniqueFd& fd = raw_.emplace_back(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::write(fd.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }

  bool ShardReceives(int max_turns = kMaxTurns) {
    std::vector<zmq::message_t> message;
    for (int turn = 0; turn < max_turns && message.empty(); ++turn) {
      loop_.RunOnce(milliseconds(5));
      (void)zmq::recv_multipart(shard_socket_, std::back_inserter(message),
                                zmq::recv_flags::dontwait);
    }
    return !message.empty();
  }

  bool TurnUntilAHandshakeFails() {
    for (int turn = 0; turn < kMaxTurns && watch_->handshake_failures() == 0; ++turn) {
      loop_.RunOnce(milliseconds(5));
    }
    return watch_->handshake_failures() > 0;
  }

  SystemClock clock_;
  EventLoop loop_{clock_};
  zmq::context_t context_;
  zmq::socket_t shard_socket_{context_, zmq::socket_type::router};
  std::optional<ConnectionWatch> watch_;
  std::string endpoint_;
  std::list<zmq::socket_t> clients_;  // a list: sockets do not move once connected
  std::vector<UniqueFd> raw_;
};

TEST_F(ConnectionWatchTest, AGoodHandshakeIsNotCounted) {
  Listen(nullptr);
  Connect(nullptr);
  EXPECT_TRUE(ShardReceives());
  EXPECT_EQ(watch_->handshake_failures(), 0u);
  EXPECT_EQ(watch_->accept_failures(), 0u);
}

TEST_F(ConnectionWatchTest, ACurveClientAtAPlainSocketFailsItsHandshake) {
  Listen(nullptr);
  const CurveKeyPair server = NewKeys();
  Connect(&server.public_key);
  EXPECT_TRUE(TurnUntilAHandshakeFails());
  EXPECT_FALSE(ShardReceives(40));
}

TEST_F(ConnectionWatchTest, AClientWithoutCurveAtACurveSocketFailsItsHandshake) {
  const CurveKeyPair server = NewKeys();
  Listen(&server);
  Connect(nullptr);
  EXPECT_TRUE(TurnUntilAHandshakeFails());
  EXPECT_FALSE(ShardReceives(40));
}

TEST_F(ConnectionWatchTest, AGreetingWithAnotherMechanismFailsTheHandshake) {
  Listen(nullptr);
  // ZMTP 3.0 (RFC 23): signature, version 3.0, mechanism PLAIN (the socket's is NULL), as-server
  // 0, filler.
  std::string greeting = std::string("\xff") + std::string(8, '\0') + "\x7f\x03\x00PLAIN";
  greeting.resize(64, '\0');
  SendRaw(greeting);
  EXPECT_TRUE(TurnUntilAHandshakeFails());
  EXPECT_EQ(watch_->accept_failures(), 0u);
}

}  // namespace
}  // namespace shardtrack
