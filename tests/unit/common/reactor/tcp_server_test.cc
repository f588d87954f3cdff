// TcpServer over real loopback sockets: handler call order, closes that never nest inside the
// handler's own calls, the connection limits, partial writes, back-pressure, graceful shutdown and
// SO_REUSEPORT. Every wait is a bounded number of RunOnce turns, so a bug fails instead of hanging.
#include "common/reactor/tcp_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/tcp.h>  // the kernel's tcp_info: glibc's lacks tcpi_segs_in
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace shardtrack {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A loopback client on a non-blocking socket, driven by the test between loop turns.
class Client {
 public:
  explicit Client(std::uint16_t port, int receive_buffer = 0)
      : Client("127.0.0.1", port, receive_buffer) {}
  Client(const std::string& ip, std::uint16_t port, int receive_buffer = 0) {
    sockaddr_storage storage{};
    socklen_t length = sizeof(sockaddr_in);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
    } else {
      EXPECT_EQ(::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr), 1) << ip;
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      length = sizeof(sockaddr_in6);
    }
    fd_ = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    // Loopback connects complete in the kernel, before the server accepts.
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) == 0;
    connect_errno_ = connected_ ? 0 : errno;
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~Client() { Close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  int connect_errno() const { return connect_errno_; }
  const std::string& received() const { return received_; }
  bool eof() const { return eof_; }

  void Send(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Reads at most `max` of the bytes that arrived; notes an end of stream (or a reset).
  void Read(std::size_t max = SIZE_MAX) {
    char buffer[16384];
    while (max > 0 && !eof_) {
      const ssize_t n = ::recv(fd_, buffer, std::min(sizeof buffer, max), 0);
      if (n > 0) {
        received_.append(buffer, static_cast<std::size_t>(n));
        max -= static_cast<std::size_t>(n);
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        eof_ = true;
      } else {
        return;
      }
    }
  }
  std::uint16_t local_port() const {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    // sin_port and sin6_port sit at the same offset.
    return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  }
  // TCP segments this socket has received so far (the kernel's count, SYN-ACK included).
  std::uint32_t segments_received() const {
    tcp_info info{};
    socklen_t length = sizeof info;
    EXPECT_EQ(::getsockopt(fd_, IPPROTO_TCP, TCP_INFO, &info, &length), 0);
    return info.tcpi_segs_in;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  int connect_errno_ = 0;
  std::string received_;
  bool eof_ = false;
};

// Records every handler call. By default OnData consumes and keeps all input.
class RecordingHandler final : public TcpHandler {
 public:
  void OnOpen(ConnectionId id, const IpAddress& remote, std::uint16_t remote_port) override {
    Note(id, "open");
    opened.push_back(id);
    remotes[id] = {remote, remote_port};
    if (on_open) on_open(id);
  }
  void OnData(ConnectionId id, std::string& input) override {
    Note(id, "data");
    ++data_calls[id];
    if (on_data) {
      on_data(id, input);
    } else {
      received[id] += input;
      input.clear();
    }
  }
  void OnClose(ConnectionId id) override {
    if (in_server_call) ++nested_closes;
    Note(id, "close");
    closed.insert(id);
  }

  // Runs `call` (a TcpServer method) with the flag that OnClose checks.
  template <typename F>
  auto Calling(F&& call) {
    in_server_call = true;
    auto result = call();
    in_server_call = false;
    return result;
  }

  std::map<ConnectionId, std::vector<std::string>> events;  // consecutive "data" merged
  std::vector<ConnectionId> opened;
  std::set<ConnectionId> closed;
  std::map<ConnectionId, std::pair<IpAddress, std::uint16_t>> remotes;
  std::map<ConnectionId, std::string> received;
  std::map<ConnectionId, int> data_calls;
  std::function<void(ConnectionId, std::string&)> on_data;
  std::function<void(ConnectionId)> on_open;
  bool in_server_call = false;
  int nested_closes = 0;

 private:
  void Note(ConnectionId id, const std::string& what) {
    auto& list = events[id];
    if (what == "data" && !list.empty() && list.back() == "data") return;
    list.push_back(what);
  }
};

class TcpServerTest : public ::testing::Test {
 protected:
  void Start(TcpServerOptions options = {}, const Clock* clock = nullptr) {
    loop_.emplace(clock != nullptr ? *clock : fake_clock_);
    server_.emplace(*loop_, std::move(options), handler_);
    const Status listening = server_->Listen();
    ASSERT_TRUE(listening.ok()) << listening.error();
    ASSERT_NE(server_->port(), 0);
  }
  // Turns until `done` holds, at most `max_turns` of up to 5 ms each.
  template <typename Pred>
  bool PumpUntil(Pred done, int max_turns = 1000) {
    for (int i = 0; i < max_turns && !done(); ++i) loop_->RunOnce(milliseconds(5));
    return done();
  }
  // Answers each request with its last bytes, then drains what the client still sends.
  void RefuseEveryRequestDrainingInput() {
    handler_.on_data = [this](ConnectionId id, std::string& input) {
      input.clear();
      server_->SendLast(id, "refused", /*drain_input=*/true);
    };
  }
  // `client` sends a request that RefuseEveryRequestDrainingInput refuses: true once the server
  // closed its connection (which now drains).
  bool SendRefusedRequest(Client& client) {
    const ConnectionId id = Open(client);
    client.Send("bad request");
    return PumpUntil([&] { return Closed(id); });
  }
  void Pump(int turns) {
    for (int i = 0; i < turns; ++i) loop_->RunOnce(milliseconds(1));
  }
  // Connects a client and waits for its OnOpen; returns its id (0 if it never opened).
  ConnectionId Open(Client& client) {
    const std::size_t before = handler_.opened.size();
    EXPECT_TRUE(client.connected());
    if (!PumpUntil([&] { return handler_.opened.size() > before; })) return 0;
    return handler_.opened.back();
  }
  bool Closed(ConnectionId id) const { return handler_.closed.count(id) > 0; }

  void TearDown() override { EXPECT_EQ(handler_.nested_closes, 0); }

  FakeClock fake_clock_;
  SystemClock system_clock_;
  RecordingHandler handler_;
  std::optional<EventLoop> loop_;
  std::optional<TcpServer> server_;  // after loop_: destroyed first
};

TEST_F(TcpServerTest, ReportsOpenDataAndCloseInOrder) {
  Start();
  Client client(server_->port());
  const ConnectionId id = Open(client);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(handler_.remotes[id].first, *IpAddress::Parse("127.0.0.1"));
  EXPECT_EQ(handler_.remotes[id].second, client.local_port());
  EXPECT_EQ(server_->connection_count(), 1u);

  client.Send("hello ");
  client.Send("world");
  ASSERT_TRUE(PumpUntil([&] { return handler_.received[id] == "hello world"; }));
  client.Close();
  ASSERT_TRUE(PumpUntil([&] { return Closed(id); }));
  EXPECT_THAT(handler_.events[id], ElementsAre("open", "data", "close"));
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(TcpServerTest, SendReachesTheClient) {
  Start();
  handler_.on_data = [&](ConnectionId id, std::string& input) {
    EXPECT_TRUE(handler_.Calling([&] { return server_->Send(id, "echo:" + input); }));
    input.clear();
  };
  Client client(server_->port());
  ASSERT_NE(Open(client), 0u);
  client.Send("ping");
  EXPECT_TRUE(PumpUntil([&] {
    client.Read();
    return client.received() == "echo:ping";
  }));
}

TEST_F(TcpServerTest, CloseFromAHandlerIsReportedLaterNeverInsideTheCall) {
  Start();
  handler_.on_data = [&](ConnectionId id, std::string& input) {
    input.clear();
    handler_.Calling([&] {
      server_->Close(id);
      return 0;
    });
    EXPECT_FALSE(Closed(id));
    EXPECT_FALSE(handler_.Calling([&] { return server_->Send(id, "too late"); }));
  };
  Client client(server_->port());
  const ConnectionId id = Open(client);
  client.Send("bye");
  ASSERT_TRUE(PumpUntil([&] { return Closed(id); }));
  EXPECT_THAT(handler_.events[id], ElementsAre("open", "data", "close"));
  EXPECT_TRUE(PumpUntil([&] {
    client.Read();
    return client.eof();
  }));
  EXPECT_EQ(client.received(), "");
}

TEST_F(TcpServerTest, CloseFromOutsideAHandlerIsReportedOnALaterTurn) {
  Start();
  Client client(server_->port());
  const ConnectionId id = Open(client);
  handler_.Calling([&] {
    server_->Close(id);
    server_->Close(id);  // twice is harmless
    return 0;
  });
  EXPECT_FALSE(Closed(id));
  ASSERT_TRUE(PumpUntil([&] { return Closed(id); }));
  EXPECT_THAT(handler_.events[id], ElementsAre("open", "close"));
}

TEST_F(TcpServerTest, SendToAnUnknownConnectionReturnsFalse) {
  Start();
  EXPECT_FALSE(server_->Send(12345, "nobody"));
  server_->Close(12345);
  server_->SendLast(12345, "nobody either");
  Pump(2);
  EXPECT_TRUE(handler_.closed.empty());
}

TEST_F(TcpServerTest, SendLastDeliversEverythingThenCloses) {
  Start();
  const std::string reply(300 * 1024, 'r');
  handler_.on_data = [&](ConnectionId id, std::string& input) {
    input.clear();
    handler_.Calling([&] { return server_->Send(id, reply); });
    handler_.Calling([&] {
      server_->SendLast(id, "end");
      return 0;
    });
  };
  Client client(server_->port());
  const ConnectionId id = Open(client);
  client.Send("GET");
  ASSERT_TRUE(PumpUntil([&] {
    client.Read();
    return client.eof();
  }));
  EXPECT_EQ(client.received(), reply + "end");
  EXPECT_TRUE(PumpUntil([&] { return Closed(id); }));
}

// One packet instead of two per closing reply. The request's ACK has already reached the
// client when OnData runs (a connection's first data segment is acknowledged at once).
TEST_F(TcpServerTest, SendLastPutsTheFinOnTheReplysSegment) {
  Start();
  Client client(server_->port());
  std::uint32_t segments_before_reply = 0;
  handler_.on_data = [&](ConnectionId id, std::string& input) {
    input.clear();
    segments_before_reply = client.segments_received();
    server_->SendLast(id, "a short reply");
  };
  Open(client);
  client.Send("GET");
  ASSERT_TRUE(PumpUntil([&] {
    client.Read();
    return client.eof();
  }));
  EXPECT_EQ(client.received(), "a short reply");
  EXPECT_EQ(client.segments_received(), segments_before_reply + 1);
}

TEST_F(TcpServerTest, ConnectionOverMaxConnectionsIsAcceptedThenClosed) {
  TcpServerOptions options;
  options.max_connections = 2;
  Start(options);
  Client first(server_->port());
  const ConnectionId first_id = Open(first);
  Client second(server_->port());
  ASSERT_NE(Open(second), 0u);

  Client extra(server_->port());
  EXPECT_TRUE(extra.connected());
  EXPECT_TRUE(PumpUntil([&] {
    extra.Read();
    return extra.eof();
  }));
  EXPECT_EQ(handler_.opened.size(), 2u);
  EXPECT_EQ(server_->connection_count(), 2u);

  // The two within the limit still work, and a closed one frees a place.
  first.Send("still here");
  EXPECT_TRUE(PumpUntil([&] { return handler_.received[first_id] == "still here"; }));
  first.Close();
  ASSERT_TRUE(PumpUntil([&] { return Closed(first_id); }));
  Client later(server_->port());
  EXPECT_NE(Open(later), 0u);
}

// Its request is read before the close, so the busy reply arrives whole, followed by a FIN.
TEST_F(TcpServerTest, AConnectionOverMaxConnectionsGetsTheBusyReplyThenItsEnd) {
  TcpServerOptions options;
  options.max_connections = 1;
  options.over_limit_reply = "busy: try again later";
  Start(options);
  Client first(server_->port());
  ASSERT_NE(Open(first), 0u);

  Client extra(server_->port());
  extra.Send(std::string(20000, 'r'));  // a request, here before the accept
  EXPECT_TRUE(PumpUntil([&] {
    extra.Read();
    return extra.eof();
  }));
  EXPECT_EQ(extra.received(), "busy: try again later");
  EXPECT_EQ(handler_.opened.size(), 1u);
  EXPECT_EQ(server_->closed_over_limit(), 1u);
}

// A refused client that keeps its side open is drained for a while after its last bytes; those
// descriptors take places of max_connections, so refusals cannot pile up outside the limit.
TEST_F(TcpServerTest, AConnectionDrainingARefusedClientTakesAPlace) {
  TcpServerOptions options;
  options.max_connections = 1;
  Start(options);
  RefuseEveryRequestDrainingInput();
  Client refused(server_->port());
  ASSERT_TRUE(SendRefusedRequest(refused));
  EXPECT_EQ(server_->connection_count(), 0u);

  Client extra(server_->port());  // the refused one still lingers: no place
  EXPECT_TRUE(PumpUntil([&] {
    extra.Read();
    return extra.eof();
  }));
  EXPECT_EQ(handler_.opened.size(), 1u);

  refused.Close();  // its EOF ends the draining and frees the place
  for (int turn = 0; turn < 5; ++turn) loop_->RunOnce(milliseconds(1));
  Client later(server_->port());
  EXPECT_TRUE(PumpUntil([&] { return handler_.opened.size() == 2; }));
}

// A refused client that never stops sending is drained only until its linger deadline (2 s),
// found by its own input, not a quarter of the idle timeout later by the sweep.
TEST_F(TcpServerTest, ARefusedClientThatKeepsSendingIsClosedAtItsLingerDeadline) {
  Start();
  RefuseEveryRequestDrainingInput();
  Client refused(server_->port());
  ASSERT_TRUE(SendRefusedRequest(refused));
  ASSERT_EQ(server_->lingering_count(), 1u);
  fake_clock_.Advance(std::chrono::milliseconds(2100));
  refused.Send(std::string(1000, 'x'));  // still sending, past the deadline
  EXPECT_TRUE(PumpUntil([&] { return server_->lingering_count() == 0; }));
}

// One that sends nothing more is closed at its deadline too, not up to a quarter of the idle
// timeout later by the sweep: meanwhile it holds a place of max_connections.
TEST_F(TcpServerTest, ASilentRefusedClientIsClosedAtItsLingerDeadline) {
  Start();
  RefuseEveryRequestDrainingInput();
  Client refused(server_->port());
  ASSERT_TRUE(SendRefusedRequest(refused));
  ASSERT_EQ(server_->lingering_count(), 1u);
  fake_clock_.Advance(std::chrono::milliseconds(1900));
  Pump(5);
  EXPECT_EQ(server_->lingering_count(), 1u);
  fake_clock_.Advance(std::chrono::milliseconds(200));
  EXPECT_TRUE(PumpUntil([&] { return server_->lingering_count() == 0; }));
}

// Refused clients that keep sending cannot hold more than a quarter of the places draining.
TEST_F(TcpServerTest, AtMostAQuarterOfThePlacesDrainRefusedClients) {
  TcpServerOptions options;
  options.max_connections = 8;
  Start(options);
  RefuseEveryRequestDrainingInput();
  std::vector<std::unique_ptr<Client>> refused;
  for (int n = 0; n < 3; ++n) {
    refused.push_back(std::make_unique<Client>(server_->port()));
    ASSERT_TRUE(SendRefusedRequest(*refused.back()));
  }
  EXPECT_EQ(server_->lingering_count(), 2u);  // the third closed at once
}

// What arrived with the connection is read before OnOpen, so a handler that refuses it there
// (last bytes, no draining) closes a socket with nothing unread: the client gets the bytes and
// an orderly end, not a reset that could destroy them.
TEST_F(TcpServerTest, ARefusalInOnOpenReachesAClientWhoseRequestCameFirst) {
  Start();
  handler_.on_open = [&](ConnectionId id) { server_->SendLast(id, "refused"); };
  Client client(server_->port());
  client.Send(std::string(3000, 'x'));  // waiting in the socket before the accept
  ASSERT_TRUE(PumpUntil([&] {
    client.Read();
    return client.eof();
  }));
  EXPECT_EQ(client.received(), "refused");
  EXPECT_TRUE(handler_.received.empty());  // closed before any OnData
}

TEST_F(TcpServerTest, IdleTimeoutClosesASilentConnection) {
  TcpServerOptions options;
  options.idle_timeout = milliseconds(100);
  Start(options, &system_clock_);
  Client client(server_->port());
  const ConnectionId id = Open(client);
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(PumpUntil([&] { return Closed(id); }, 2000));
  EXPECT_TRUE(PumpUntil([&] {
    client.Read();
    return client.eof();
  }));
}

TEST_F(TcpServerTest, IdleTimeoutSparesAConnectionThatTalks) {
  TcpServerOptions options;
  options.idle_timeout = std::chrono::seconds(15);
  Start(options);  // fake clock
  Client silent(server_->port());
  const ConnectionId silent_id = Open(silent);
  Client talker(server_->port());
  const ConnectionId talker_id = Open(talker);

  fake_clock_.Advance(std::chrono::seconds(10));
  talker.Send("still alive");
  ASSERT_TRUE(PumpUntil([&] { return handler_.received[talker_id] == "still alive"; }));
  EXPECT_FALSE(Closed(silent_id));

  fake_clock_.Advance(std::chrono::seconds(6));
  ASSERT_TRUE(PumpUntil([&] { return Closed(silent_id); }));
  EXPECT_FALSE(Closed(talker_id));
  EXPECT_EQ(server_->connection_count(), 1u);
}

TEST_F(TcpServerTest, LargeSendIsDeliveredCompletelyToASlowReader) {
  TcpServerOptions options;
  options.max_output_bytes = 64 << 20;
  Start(options);
  Client client(server_->port(), 16 * 1024);
  const ConnectionId id = Open(client);
  std::string payload(6 << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7 + i / 4099);
  ASSERT_TRUE(handler_.Calling([&] { return server_->Send(id, payload); }));

  // 32 KiB per turn: the server must keep writing as the socket drains.
  ASSERT_TRUE(PumpUntil(
      [&] {
        client.Read(32 * 1024);
        return client.received().size() >= payload.size();
      },
      20000));
  EXPECT_TRUE(client.received() == payload) << "the bytes arrived changed or out of order";
  EXPECT_FALSE(Closed(id));
}

// The first reply goes straight to the socket and leaves a queue; the second must join the
// queue, not overtake it.
TEST_F(TcpServerTest, ASendBehindQueuedOutputArrivesAfterIt) {
  TcpServerOptions options;
  options.max_output_bytes = 64 << 20;
  Start(options);
  Client client(server_->port(), 16 * 1024);
  const ConnectionId id = Open(client);
  const std::string first(3 << 20, 'a');
  const std::string second(1 << 20, 'b');
  ASSERT_TRUE(handler_.Calling([&] { return server_->Send(id, first); }));
  ASSERT_TRUE(handler_.Calling([&] { return server_->Send(id, second); }));
  ASSERT_TRUE(PumpUntil(
      [&] {
        client.Read(64 * 1024);
        return client.received().size() >= first.size() + second.size();
      },
      20000));
  EXPECT_TRUE(client.received() == first + second) << "the second reply overtook the first";
}

TEST_F(TcpServerTest, OutputPastMaxOutputBytesClosesTheConnection) {
  TcpServerOptions options;
  options.max_output_bytes = 256 * 1024;
  Start(options);
  Client client(server_->port(), 16 * 1024);  // never reads
  const ConnectionId id = Open(client);
  const std::string chunk(64 * 1024, 'x');
  bool refused = false;
  for (int i = 0; i < 2000 && !refused; ++i) {
    refused = !handler_.Calling([&] { return server_->Send(id, chunk); });
    loop_->RunOnce(milliseconds(0));
  }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(PumpUntil([&] { return Closed(id); }));
  EXPECT_EQ(server_->connection_count(), 0u);
  EXPECT_EQ(server_->closed_slow_readers(), 1u);
}

TEST_F(TcpServerTest, ReplyLargerThanMaxOutputBytesIsSentWhenTheSocketTakesIt) {
  // The limit is on what a slow reader leaves unsent, not on the size of one reply.
  TcpServerOptions options;
  options.max_output_bytes = 100;
  Start(options);
  Client client(server_->port());
  const ConnectionId id = Open(client);
  const std::string reply(1000, 'r');
  EXPECT_TRUE(handler_.Calling([&] { return server_->Send(id, reply); }));
  EXPECT_TRUE(PumpUntil([&] {
    client.Read();
    return client.received().size() == reply.size();
  }));
  EXPECT_FALSE(Closed(id));
  EXPECT_EQ(server_->closed_slow_readers(), 0u);
}

TEST_F(TcpServerTest, PausedConnectionReadsNothingAndResumeRedeliversUnconsumedInput) {
  Start();
  bool paused = false;
  std::vector<std::string> seen;
  handler_.on_data = [&](ConnectionId id, std::string& input) {
    seen.push_back(input);
    if (!paused) {
      // A request is in progress: hold further input, unconsumed, until it is answered.
      paused = true;
      server_->PauseReading(id);
      return;
    }
    handler_.received[id] += input;
    input.clear();
  };
  Client client(server_->port());
  const ConnectionId id = Open(client);
  client.Send("abc");
  ASSERT_TRUE(PumpUntil([&] { return paused; }));
  client.Send("def!");
  Pump(20);
  EXPECT_THAT(seen, ElementsAre("abc"));  // nothing read while paused

  handler_.Calling([&] {
    server_->ResumeReading(id);
    return 0;
  });
  EXPECT_EQ(seen.size(), 1u);  // redelivery comes later, not inside ResumeReading
  ASSERT_TRUE(PumpUntil([&] { return handler_.received[id] == "abcdef!"; }));
  ASSERT_GE(seen.size(), 2u);
  EXPECT_THAT(seen[1], StartsWith("abc"));
}

// Closed connections are reused for new ones: nothing of the old one may show.
TEST_F(TcpServerTest, AConnectionOpenedAfterAClosedOneStartsClean) {
  Start();
  handler_.on_data = [&](ConnectionId id, std::string& input) {
    if (input.find('!') == std::string::npos) return server_->PauseReading(id);  // kept unread
    handler_.received[id] += input;
    input.clear();
  };
  {
    Client first(server_->port(), 4096);
    const ConnectionId id = Open(first);
    first.Send("unconsumed");
    ASSERT_TRUE(PumpUntil([&] { return handler_.data_calls[id] > 0; }));
    ASSERT_TRUE(server_->Send(id, std::string(1 << 20, 'x')));  // more than the socket takes
    handler_.Calling([&] {
      server_->Close(id);
      return 0;
    });
    ASSERT_TRUE(PumpUntil([&] { return Closed(id); }));
  }
  Client second(server_->port());
  const ConnectionId id = Open(second);
  second.Send("fresh!");
  ASSERT_TRUE(PumpUntil([&] { return !handler_.received[id].empty(); }));
  EXPECT_EQ(handler_.received[id], "fresh!");  // not paused, no old input
  ASSERT_TRUE(server_->Send(id, "reply"));
  ASSERT_TRUE(PumpUntil([&] {
    second.Read();
    return second.received().size() >= 5;
  }));
  Pump(5);
  second.Read();
  EXPECT_EQ(second.received(), "reply");  // none of the old output
}

TEST_F(TcpServerTest, ResumeRedeliversUnconsumedInputWithoutNewBytes) {
  Start();
  handler_.on_data = [&](ConnectionId id, std::string&) { server_->PauseReading(id); };
  Client client(server_->port());
  const ConnectionId id = Open(client);
  client.Send("request");
  ASSERT_TRUE(PumpUntil([&] { return handler_.data_calls[id] == 1; }));
  Pump(5);
  EXPECT_EQ(handler_.data_calls[id], 1);

  handler_.on_data = [&](ConnectionId data_id, std::string& input) {
    handler_.received[data_id] += input;
    input.clear();
  };
  server_->ResumeReading(id);
  ASSERT_TRUE(PumpUntil([&] { return handler_.data_calls[id] == 2; }));
  EXPECT_EQ(handler_.received[id], "request");
}

TEST_F(TcpServerTest, StopAcceptingRefusesNewConnectionsButKeepsOpenOnes) {
  Start();
  Client client(server_->port());
  const ConnectionId id = Open(client);
  server_->StopAccepting();
  Pump(2);

  Client refused(server_->port());
  EXPECT_FALSE(refused.connected());
  EXPECT_EQ(refused.connect_errno(), ECONNREFUSED);

  client.Send("still served");
  EXPECT_TRUE(PumpUntil([&] { return handler_.received[id] == "still served"; }));
  EXPECT_EQ(handler_.opened.size(), 1u);
}

TEST_F(TcpServerTest, ReusePortLetsTwoServersListenOnOnePort) {
  TcpServerOptions options;
  options.reuse_port = true;
  Start(options);

  RecordingHandler second_handler;
  TcpServerOptions same = options;
  same.port = server_->port();
  TcpServer second(*loop_, same, second_handler);
  const Status listening = second.Listen();
  ASSERT_TRUE(listening.ok()) << listening.error();
  EXPECT_EQ(second.port(), server_->port());

  // Connections reach one or the other.
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(std::make_unique<Client>(server_->port()));
  EXPECT_TRUE(PumpUntil(
      [&] { return handler_.opened.size() + second_handler.opened.size() == clients.size(); }));

  // Without SO_REUSEPORT the port is taken, and the error says which.
  RecordingHandler third_handler;
  TcpServerOptions plain;
  plain.port = server_->port();
  TcpServer third(*loop_, plain, third_handler);
  const Status refused = third.Listen();
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error(), HasSubstr(std::to_string(server_->port())));
}

TEST_F(TcpServerTest, ServesIpv6Clients) {
  TcpServerOptions options;
  options.bind_address = "[::1]";
  loop_.emplace(fake_clock_);
  server_.emplace(*loop_, options, handler_);
  if (const Status listening = server_->Listen(); !listening.ok()) {
    GTEST_SKIP() << "no IPv6 loopback here: " << listening.error();
  }
  Client client("::1", server_->port());
  const ConnectionId id = Open(client);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(handler_.remotes[id].first, *IpAddress::Parse("::1"));
  EXPECT_EQ(handler_.remotes[id].second, client.local_port());
  client.Send("v6");
  EXPECT_TRUE(PumpUntil([&] { return handler_.received[id] == "v6"; }));
}

TEST_F(TcpServerTest, DualStackListenerReportsIpv4ClientsAsIpv4) {
  TcpServerOptions options;
  options.bind_address = "::";
  loop_.emplace(fake_clock_);
  server_.emplace(*loop_, options, handler_);
  if (const Status listening = server_->Listen(); !listening.ok()) {
    GTEST_SKIP() << "no IPv6 here: " << listening.error();
  }
  Client client("127.0.0.1", server_->port());
  const ConnectionId id = Open(client);
  ASSERT_NE(id, 0u);
  EXPECT_TRUE(handler_.remotes[id].first.is_v4());
  EXPECT_EQ(handler_.remotes[id].first, *IpAddress::Parse("127.0.0.1"));
}

TEST_F(TcpServerTest, ARequestSentWithTheConnectionIsReadInTheTurnThatAcceptsIt) {
  Start();
  handler_.on_data = [&](ConnectionId id, std::string& input) {
    server_->SendLast(id, "bye:" + input);
    input.clear();
  };
  Client client(server_->port());
  client.Send("ping");  // before the server accepted
  ASSERT_TRUE(PumpUntil([&] { return !handler_.opened.empty(); }));
  const ConnectionId id = handler_.opened.back();
  EXPECT_EQ(handler_.received[id], "");   // answered by on_data, nothing kept
  EXPECT_EQ(handler_.data_calls[id], 1);  // in the accepting turn: no wait for readiness
  ASSERT_TRUE(PumpUntil([&] {
    client.Read();
    return client.eof();
  }));
  EXPECT_EQ(client.received(), "bye:ping");
  EXPECT_THAT(handler_.events[id], ElementsAre("open", "data", "close"));
}

TEST_F(TcpServerTest, DeferAcceptHandsOverAConnectionOnlyOnceItsFirstBytesArrive) {
  TcpServerOptions options;
  options.defer_accept_seconds = 30;
  Start(options);
  Client silent(server_->port());
  ASSERT_TRUE(silent.connected());
  Pump(20);
  EXPECT_TRUE(handler_.opened.empty());  // held by the kernel: no descriptor, no handler call
  Client talking(server_->port());
  talking.Send("hello");
  ASSERT_TRUE(PumpUntil([&] { return handler_.opened.size() == 1; }));
  EXPECT_EQ(handler_.received[handler_.opened.back()], "hello");
  silent.Send("late");
  ASSERT_TRUE(PumpUntil([&] { return handler_.opened.size() == 2; }));
  EXPECT_EQ(handler_.received[handler_.opened.back()], "late");
}

TEST_F(TcpServerTest, ListenOnABadAddressFailsWithAMessage) {
  loop_.emplace(fake_clock_);
  TcpServerOptions options;
  options.bind_address = "not-an-address";
  TcpServer server(*loop_, options, handler_);
  const Status listening = server.Listen();
  ASSERT_FALSE(listening.ok());
  EXPECT_THAT(listening.error(), HasSubstr("not-an-address"));
}

}  // namespace
}  // namespace shardtrack
