// UdpSocket over real loopback sockets: datagrams reach the callback with their sender, replies
// reach the sender at the end of the turn, at most max_datagrams_per_turn are read per turn,
// oversized datagrams are dropped, and a bad bind address is an error. Every wait is a bounded
// number of RunOnce turns, so a bug fails instead of hanging.
//
// The give-up paths of a flush: datagrams the kernel refuses alone (port 0, too long) are real
// sendmmsg failures on loopback. A full send buffer is not (loopback frees a datagram's buffer as
// it is delivered, whatever SO_SNDBUF says), so those tests fake sendmmsg through
// Options::send_batch: it passes the first few datagrams to the real call, then fails.
#include "common/reactor/udp_socket.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <vector>

namespace shardtrack {
namespace {

using std::chrono::milliseconds;

// A blocking loopback UDP client with a receive timeout.
class Peer {
 public:
  Peer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in self{};
    self.sin_family = AF_INET;
    self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&self), sizeof self);
    socklen_t length = sizeof self;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&self), &length);
    port_ = ntohs(self.sin_port);
    timeval timeout{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~Peer() { ::close(fd_); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  std::uint16_t port() const { return port_; }
  void SendTo(std::uint16_t port, const std::string& data) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(port);
    ::sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }
  std::string Receive(int flags = 0) {
    char buffer[2048];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, flags);
    return n < 0 ? std::string() : std::string(buffer, static_cast<std::size_t>(n));
  }
  // Everything already delivered, without waiting: loopback delivers during the send call.
  std::vector<std::string> ReceiveQueued() {
    std::vector<std::string> all;
    for (std::string one = Receive(MSG_DONTWAIT); !one.empty(); one = Receive(MSG_DONTWAIT)) {
      all.push_back(one);
    }
    return all;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

struct Received {
  std::string data;
  Endpoint from;
  std::optional<LocalAddress> to;
};

// The sendmmsg seam: records each call and its outcome. Passes the first `room` datagrams (all
// when unset) to the real sendmmsg; after that each call fails with `error`. `interrupted` calls
// fail with EINTR first.
struct SendSpy {
  std::optional<std::size_t> room;
  int error = EAGAIN;
  int interrupted = 0;
  int calls = 0;
  std::vector<int> errors;  // errno of each failed call, real or fake
  bool all_nonblocking = true;

  UdpSocket::SendBatch Batch() {
    return [this](int fd, mmsghdr* messages, unsigned count, int flags) {
      ++calls;
      all_nonblocking = all_nonblocking && (flags & MSG_DONTWAIT) != 0;
      if (interrupted > 0) {
        --interrupted;
        return Fail(EINTR);
      }
      if (room && *room == 0) return Fail(error);
      const unsigned allowed =
          room ? std::min<unsigned>(count, static_cast<unsigned>(*room)) : count;
      const int sent = ::sendmmsg(fd, messages, allowed, flags);
      if (sent < 0) errors.push_back(errno);
      if (sent > 0 && room) *room -= static_cast<std::size_t>(sent);
      return sent;
    };
  }
  int Fail(int code) {
    errors.push_back(code);
    errno = code;
    return -1;
  }
};

class UdpSocketTest : public ::testing::Test {
 protected:
  void RunUntil(std::size_t count) {
    for (int turn = 0; turn < 100 && received_.size() < count; ++turn) {
      loop_.RunOnce(milliseconds(10));
    }
  }

  UdpSocket::Options Spied(SendSpy& spy) {
    UdpSocket::Options options;
    options.send_batch = spy.Batch();
    return options;
  }
  static Endpoint Loopback(std::uint16_t port) {
    return Endpoint{*IpAddress::Parse("127.0.0.1"), port};
  }

  SystemClock clock_;
  EventLoop loop_{clock_};
  std::vector<Received> received_;
  UdpSocket::OnDatagram record_ = [this](std::string_view data, const Endpoint& from,
                                         const std::optional<LocalAddress>& to) {
    received_.push_back({std::string(data), from, to});
  };
};

TEST_F(UdpSocketTest, DeliversDatagramsWithTheirSenderAndSendsReplies) {
  UdpSocket socket(loop_, {"127.0.0.1", 0, 64, false}, record_);
  ASSERT_TRUE(socket.Open().ok());
  ASSERT_NE(socket.port(), 0);
  Peer peer;
  peer.SendTo(socket.port(), "hello");
  RunUntil(1);
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_EQ(received_[0].data, "hello");
  EXPECT_EQ(received_[0].from.address.ToString(), "127.0.0.1");
  EXPECT_EQ(received_[0].from.port, peer.port());
  EXPECT_TRUE(socket.Send(received_[0].from, "world"));
  loop_.RunOnce(milliseconds(1));  // sends go out at the end of a turn
  EXPECT_EQ(peer.Receive(), "world");
}

TEST_F(UdpSocketTest, ABurstIsReadAndAnsweredInOneTurn) {
  UdpSocket socket(
      loop_, {"127.0.0.1", 0, 100, false},
      [&](std::string_view data, const Endpoint& from, const std::optional<LocalAddress>& to) {
        received_.push_back({std::string(data), from, to});
        EXPECT_TRUE(socket.Send(from, "re:" + std::string(data)));
      });
  ASSERT_TRUE(socket.Open().ok());
  Peer first;
  Peer second;
  for (int i = 0; i < 40; ++i) (i % 2 ? second : first).SendTo(socket.port(), std::to_string(i));
  loop_.RunOnce(milliseconds(100));
  ASSERT_EQ(received_.size(), 40u);  // more than one recvmmsg batch, in one turn
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ((i % 2 ? second : first).Receive(), "re:" + std::to_string(i)) << i;
  }
}

TEST_F(UdpSocketTest, ADatagramOverTheSizeLimitIsDroppedAndTheNextOneDelivered) {
  UdpSocket::Options options{"127.0.0.1", 0, 64, false};
  options.max_datagram_bytes = 100;
  UdpSocket socket(loop_, options, record_);
  ASSERT_TRUE(socket.Open().ok());
  Peer peer;
  peer.SendTo(socket.port(), std::string(101, 'x'));
  peer.SendTo(socket.port(), std::string(100, 'y'));
  RunUntil(1);
  loop_.RunOnce(milliseconds(20));
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_EQ(received_[0].data, std::string(100, 'y'));
  EXPECT_EQ(socket.oversized(), 1u);
}

// A flood the loop did not read in time overflows the kernel's buffer: a datagram queued after
// the loss tells how many were lost (those queued before it, none), which nothing else shows.
TEST_F(UdpSocketTest, CountsWhatTheKernelDroppedForWantOfRoom) {
  UdpSocket socket(loop_, {"127.0.0.1", 0, 64, false}, record_);
  ASSERT_TRUE(socket.Open().ok());
  Peer peer;
  constexpr std::size_t kFlood = 4000;  // 4 MB: many times a receive buffer's default
  for (std::size_t i = 0; i < kFlood; ++i) peer.SendTo(socket.port(), std::string(1000, 'f'));
  for (int turn = 0; turn < 200; ++turn) loop_.RunOnce(milliseconds(0));
  const std::size_t kept = received_.size();
  if (kept == kFlood) GTEST_SKIP() << "this host's receive buffers took a 4 MB burst whole";
  EXPECT_EQ(socket.receive_drops(), 0u) << "each datagram read was queued before the loss";
  peer.SendTo(socket.port(), "after");
  RunUntil(kept + 1);
  // Some may have been lost before the socket (a busy machine's backlog), which it cannot count.
  EXPECT_GT(socket.receive_drops(), 0u);
  EXPECT_LE(socket.receive_drops(), kFlood - kept);
}

TEST_F(UdpSocketTest, DestroyingTheSocketSendsWhatWasQueued) {
  Peer peer;
  {
    UdpSocket socket(loop_, {"127.0.0.1", 0, 64, false}, record_);
    ASSERT_TRUE(socket.Open().ok());
    ASSERT_TRUE(socket.Send(Endpoint{*IpAddress::Parse("127.0.0.1"), peer.port()}, "last"));
  }
  loop_.RunOnce(milliseconds(1));  // the scheduled flush finds the socket gone
  EXPECT_EQ(peer.Receive(), "last");
}

TEST_F(UdpSocketTest, ReadsAtMostTheLimitPerTurn) {
  UdpSocket socket(loop_, {"127.0.0.1", 0, 2, false}, record_);
  ASSERT_TRUE(socket.Open().ok());
  Peer peer;
  for (int i = 0; i < 5; ++i) peer.SendTo(socket.port(), std::to_string(i));
  loop_.RunOnce(milliseconds(100));
  EXPECT_EQ(received_.size(), 2u);
  RunUntil(5);
  ASSERT_EQ(received_.size(), 5u);
  EXPECT_EQ(received_[4].data, "4");
}

TEST_F(UdpSocketTest, AnIpv6SocketAnswersAnIpv4MappedSender) {
  UdpSocket socket(loop_, {"[::]", 0, 64, false}, record_);
  ASSERT_TRUE(socket.Open().ok());
  Peer peer;
  peer.SendTo(socket.port(), "v4");
  RunUntil(1);
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_TRUE(received_[0].from.address.is_v4());
  EXPECT_TRUE(socket.Send(received_[0].from, "back"));
  loop_.RunOnce(milliseconds(1));
  EXPECT_EQ(peer.Receive(), "back");
}

// A socket bound to every address answers from the one it was asked at: a connected client
// socket (as clients use) takes datagrams from that address only.
TEST_F(UdpSocketTest, AnswersFromTheAddressItWasAskedAt) {
  for (const char* bind : {"0.0.0.0", "[::]"}) {
    SCOPED_TRACE(bind);
    received_.clear();
    UdpSocket socket(loop_, {bind, 0, 64, false}, record_);
    ASSERT_TRUE(socket.Open().ok());
    const int client = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in asked{};
    asked.sin_family = AF_INET;
    asked.sin_addr.s_addr = htonl(0x7f000005);  // 127.0.0.5, not the kernel's usual 127.0.0.1
    asked.sin_port = htons(socket.port());
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&asked), sizeof asked), 0);
    timeval timeout{1, 0};
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ASSERT_EQ(::send(client, "ask", 3, 0), 3);
    RunUntil(1);
    ASSERT_EQ(received_.size(), 1u);
    ASSERT_TRUE(received_[0].to.has_value());
    EXPECT_EQ(received_[0].to->address.ToString(), "127.0.0.5");
    EXPECT_TRUE(socket.Send(received_[0].from, "answer", received_[0].to));
    loop_.RunOnce(milliseconds(1));
    char buffer[16];
    const ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
    EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(std::max<ssize_t>(got, 0))), "answer");
    ::close(client);
  }
}

TEST_F(UdpSocketTest, RefusesANameInsteadOfAnAddressLiteral) {
  UdpSocket socket(loop_, {"localhost", 0, 64, false}, record_);
  auto opened = socket.Open();
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().find("localhost"), std::string::npos);
  EXPECT_FALSE(socket.Send(Endpoint{*IpAddress::Parse("127.0.0.1"), 9}, "x"));
}

TEST_F(UdpSocketTest, RefusesToOpenWhenItMayReadNoDatagramPerTurn) {
  UdpSocket socket(loop_, {"127.0.0.1", 0, 0, false}, record_);
  auto opened = socket.Open();
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().find("max_datagrams_per_turn"), std::string::npos);
}

TEST_F(UdpSocketTest, DatagramsTheKernelRefusesAreSkippedAndTheRestOfTheFlushGoesOut) {
  SendSpy spy;
  UdpSocket socket(loop_, Spied(spy), record_);
  ASSERT_TRUE(socket.Open().ok());
  Peer first;
  Peer second;
  // Send queues them all: the kernel refuses port 0 (EINVAL) and 70,000 bytes (EMSGSIZE).
  ASSERT_TRUE(socket.Send(Loopback(0), "port zero, first in the batch"));
  ASSERT_TRUE(socket.Send(Loopback(first.port()), "a"));
  ASSERT_TRUE(socket.Send(Loopback(first.port()), std::string(70000, 'x')));
  ASSERT_TRUE(socket.Send(Loopback(second.port()), "b"));
  ASSERT_TRUE(socket.Send(Loopback(0), "port zero again"));
  ASSERT_TRUE(socket.Send(Loopback(first.port()), "c"));
  loop_.RunOnce(milliseconds(1));
  EXPECT_EQ(first.ReceiveQueued(), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(second.ReceiveQueued(), (std::vector<std::string>{"b"}));
  EXPECT_EQ(spy.errors, (std::vector<int>{EINVAL, EMSGSIZE, EINVAL}));
  EXPECT_EQ(socket.unsent(), 3u);
}

TEST_F(UdpSocketTest, ADestinationOfTheOtherFamilyIsRefusedAtSendAndQueuesNothing) {
  SendSpy spy;
  UdpSocket socket(loop_, Spied(spy), record_);
  ASSERT_TRUE(socket.Open().ok());
  Peer peer;
  EXPECT_FALSE(socket.Send(Endpoint{*IpAddress::Parse("::1"), peer.port()}, "v6"));
  EXPECT_TRUE(socket.Send(Loopback(peer.port()), "v4"));
  loop_.RunOnce(milliseconds(1));
  EXPECT_EQ(peer.ReceiveQueued(), (std::vector<std::string>{"v4"}));
  EXPECT_TRUE(spy.errors.empty());
}

TEST_F(UdpSocketTest, AFullSendBufferDropsTheRestOfTheFlushAtOnce) {
  for (const int error : {EAGAIN, ENOBUFS, ENOMEM}) {
    SCOPED_TRACE(error);
    SendSpy spy;
    spy.room = 2;
    spy.error = error;
    UdpSocket socket(loop_, Spied(spy), record_);
    ASSERT_TRUE(socket.Open().ok());
    Peer peer;
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(socket.Send(Loopback(peer.port()), std::to_string(i)));
    loop_.RunOnce(milliseconds(1));
    EXPECT_EQ(peer.ReceiveQueued(), (std::vector<std::string>{"0", "1"}));
    EXPECT_EQ(spy.calls, 2);  // two went out, the next call found no room, no retry
    EXPECT_TRUE(spy.all_nonblocking);
    EXPECT_EQ(socket.unsent(), 3u);

    // Nothing is kept for later: idle turns send nothing, and once there is room again only
    // new datagrams go out.
    for (int turn = 0; turn < 3; ++turn) loop_.RunOnce(milliseconds(1));
    EXPECT_EQ(spy.calls, 2);
    spy.room.reset();
    ASSERT_TRUE(socket.Send(Loopback(peer.port()), "later"));
    loop_.RunOnce(milliseconds(1));
    EXPECT_EQ(peer.ReceiveQueued(), (std::vector<std::string>{"later"}));
    EXPECT_EQ(spy.calls, 3);
  }
}

TEST_F(UdpSocketTest, AnInterruptedSendIsRetried) {
  SendSpy spy;
  spy.interrupted = 1;
  UdpSocket socket(loop_, Spied(spy), record_);
  ASSERT_TRUE(socket.Open().ok());
  Peer peer;
  ASSERT_TRUE(socket.Send(Loopback(peer.port()), "x"));
  ASSERT_TRUE(socket.Send(Loopback(peer.port()), "y"));
  loop_.RunOnce(milliseconds(1));
  EXPECT_EQ(peer.ReceiveQueued(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(spy.errors, (std::vector<int>{EINTR}));
  EXPECT_EQ(spy.calls, 2);
  EXPECT_EQ(socket.unsent(), 0u);
}

TEST_F(UdpSocketTest, AFullBufferInOneBatchDropsTheBatchesAfterIt) {
  SendSpy spy;
  spy.room = 70;  // sendmmsg takes at most 64 a call: the second call gets 6 in, the third fails
  UdpSocket socket(loop_, Spied(spy), record_);
  ASSERT_TRUE(socket.Open().ok());
  Peer peer;
  for (int i = 0; i < 150; ++i) ASSERT_TRUE(socket.Send(Loopback(peer.port()), std::to_string(i)));
  loop_.RunOnce(milliseconds(1));
  const std::vector<std::string> got = peer.ReceiveQueued();
  ASSERT_EQ(got.size(), 70u);
  EXPECT_EQ(got.back(), "69");
  EXPECT_EQ(spy.calls, 3);
  EXPECT_EQ(socket.unsent(), 80u);
}

}  // namespace
}  // namespace shardtrack
