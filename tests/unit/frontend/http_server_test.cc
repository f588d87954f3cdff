#include "frontend/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/reactor/event_loop.h"
#include "tests/unit/frontend/loopback_connect.h"

namespace shardtrack {
namespace {

using namespace std::chrono_literals;

// Answers "/now/..." at once, "/close/..." at once asking to close, and "/later/..." from a
// loop timer that answers every waiting request in reverse order ("/later/close" asking to
// close), and "/held/..." when the test calls AnswerHeld(). The body is the path, but a path
// ending in "big/<n>" is answered with n bytes of 'x' ("/big/<n>" at once).
class TestHandler final : public RequestHandler {
 public:
  explicit TestHandler(EventLoop& loop) : loop_(loop) {}
  void Attach(HttpServer& server) { server_ = &server; }

  void OnRequest(ResponseSlot slot, const HttpRequest& request, const IpAddress& client) override {
    paths.emplace_back(request.path());
    clients.push_back(client);
    std::string path(request.path());
    if (path.starts_with("/later/")) {
      waiting_.push_back({slot, path});
      max_waiting = std::max(max_waiting, waiting_.size());
      if (!timer_armed_) {
        timer_armed_ = true;
        loop_.RunAfter(5ms, [this] { AnswerWaitingInReverse(); });
      }
      return;
    }
    if (path.starts_with("/held/")) {
      held_.push_back({slot, path});
      return;
    }
    Answer(slot, path, path.starts_with("/close/"));
  }

  void AnswerHeld() {
    for (const Waiting& waiting : std::exchange(held_, {}))
      Answer(waiting.slot, waiting.path, false);
  }

  std::vector<std::string> paths;     // every request the handler saw, in arrival order
  std::vector<std::string> answered;  // the order the handler answered in
  std::vector<IpAddress> clients;
  std::size_t max_waiting = 0;

 private:
  struct Waiting {
    ResponseSlot slot;
    std::string path;
  };

  void Answer(ResponseSlot slot, const std::string& path, bool close) {
    answered.push_back(path);
    const std::size_t big = path.rfind("big/");
    const std::string body =
        big == std::string::npos ? path : std::string(std::stoul(path.substr(big + 4)), 'x');
    HttpResponse response;
    response.body = body;
    response.close = close;
    server_->Respond(slot, response);
  }

  void AnswerWaitingInReverse() {
    timer_armed_ = false;
    std::vector<Waiting> batch;
    batch.swap(waiting_);
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
      Answer(it->slot, it->path, it->path == "/later/close");
    }
  }

  EventLoop& loop_;
  HttpServer* server_ = nullptr;
  std::vector<Waiting> waiting_;
  std::vector<Waiting> held_;
  bool timer_armed_ = false;
};

constexpr std::size_t kMiB = 1 << 20;

// Bytes malloc has handed out and not had back.
std::size_t HeapInUse() {
  const struct mallinfo2 info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

// The exact bytes HttpServer sends for a TestHandler answer.
std::string Ok(std::string_view body, bool keep_alive = true, bool head = false) {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                    std::to_string(body.size()) +
                    "\r\nConnection: " + (keep_alive ? "keep-alive" : "close") + "\r\n\r\n";
  if (!head) out += body;
  return out;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options = {}) {
    options.tcp.bind_address = "127.0.0.1";
    options.tcp.port = 0;
    server_ = std::make_unique<HttpServer>(loop_, options, handler_);
    handler_.Attach(*server_);
    Status listening = server_->Listen();
    ASSERT_TRUE(listening) << listening.error();
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    for (int fd : fds_) ::close(fd);
  }

  // A server that keeps at most two requests of a connection in flight, and a client of it.
  int ConnectToTwoInFlight() {
    HttpServerOptions options;
    options.max_pipelined = 2;
    Start(options);
    return Connect();
  }

  // A server that holds at most `bytes` of answers for a connection, and a client of it.
  int ConnectWithOutputLimit(std::size_t bytes) {
    HttpServerOptions options;
    options.tcp.max_output_bytes = bytes;
    Start(options);
    return Connect();
  }

  // A client socket, connected (the kernel completes the handshake from the listen backlog) and
  // then made non-blocking, so the test thread can interleave it with loop turns.
  int Connect() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(fd, 0);
    fds_.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server_->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
        << std::strerror(errno);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
  }

  void Send(int fd, std::string_view bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  // Runs loop turns and reads `fd` until `done(received)` holds or the peer closed, for at most
  // a few seconds so that a bug fails the test instead of hanging it. Returns what was read.
  Received Pump(int fd, const std::function<bool(const Received&)>& done) {
    Received received;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done(received) && !received.closed && std::chrono::steady_clock::now() < deadline) {
      loop_.RunOnce(5ms);
      ReadAvailable(fd, received);
    }
    return received;
  }
  Received PumpBytes(int fd, std::size_t size) {
    return Pump(fd, [size](const Received& r) { return r.bytes.size() >= size; });
  }
  Received PumpUntilClosed(int fd) {
    return Pump(fd, [](const Received&) { return false; });
  }
  // Sends a MiB of filler on `fd` while turning the loop, for at most a few seconds: a client
  // that keeps sending while the server answers. Returns the bytes sent.
  std::size_t KeepSending(int fd) {
    const std::string chunk(16 * 1024, 'x');
    std::size_t sent = 0;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (sent < kMiB && std::chrono::steady_clock::now() < deadline) {
      ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (errno != EAGAIN) {
        ADD_FAILURE() << "send: " << std::strerror(errno);
        break;
      }
      loop_.RunOnce(1ms);
    }
    return sent;
  }
  // A client that keeps sending on `fd` reads the answer to `path`, closing, and the close.
  void ExpectClosingAnswerWhileSending(int fd, const std::string& path) {
    ASSERT_GE(KeepSending(fd), kMiB);
    Received received = PumpUntilClosed(fd);
    EXPECT_EQ(received.bytes, Ok(path, /*keep_alive=*/false));
    EXPECT_TRUE(received.closed);
  }
  // Runs loop turns until `done()` holds, for at most a few seconds.
  bool TurnUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) loop_.RunOnce(5ms);
    return done();
  }
  // Turns the loop a few times (for server-side bookkeeping that needs no client bytes).
  void Turn(int turns = 5) {
    for (int i = 0; i < turns; ++i) loop_.RunOnce(5ms);
  }

  SystemClock clock_;
  EventLoop loop_{clock_};
  TestHandler handler_{loop_};
  std::unique_ptr<HttpServer> server_;
  std::vector<int> fds_;
};

TEST_F(HttpServerTest, AnswersASimpleRequest) {
  Start();
  int fd = Connect();
  Send(fd, "GET /now/a?x=1 HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string expected = Ok("/now/a");
  Received received = PumpBytes(fd, expected.size());
  EXPECT_EQ(received.bytes, expected);
  EXPECT_FALSE(received.closed);
  ASSERT_EQ(handler_.clients.size(), 1u);
  EXPECT_EQ(handler_.clients[0].ToString(), "127.0.0.1");
  EXPECT_EQ(server_->requests_in_flight(), 0u);
}

TEST_F(HttpServerTest, PipelinedResponsesComeBackInRequestOrder) {
  Start();
  int fd = Connect();
  Send(fd,
       "GET /later/1 HTTP/1.1\r\nHost: h\r\n\r\n"
       "GET /now/2 HTTP/1.1\r\nHost: h\r\n\r\n"
       "GET /later/3 HTTP/1.1\r\nHost: h\r\n\r\n"
       "GET /now/4 HTTP/1.1\r\nHost: h\r\n\r\n"
       "GET /later/5 HTTP/1.1\r\nHost: h\r\n\r\n");
  std::string expected =
      Ok("/later/1") + Ok("/now/2") + Ok("/later/3") + Ok("/now/4") + Ok("/later/5");
  Received received = PumpBytes(fd, expected.size());
  EXPECT_EQ(received.bytes, expected);
  EXPECT_FALSE(received.closed);
  // The handler really answered out of order: the server did the reordering.
  EXPECT_EQ(handler_.answered,
            (std::vector<std::string>{"/now/2", "/now/4", "/later/5", "/later/3", "/later/1"}));
  EXPECT_EQ(server_->requests_in_flight(), 0u);
}

TEST_F(HttpServerTest, PipelinedRequestsSplitAcrossWritesStillParse) {
  Start();
  int fd = Connect();
  std::string requests =
      "GET /later/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /now/2 HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string expected = Ok("/later/1") + Ok("/now/2");
  Send(fd, requests.substr(0, 10));
  Turn();
  Send(fd, requests.substr(10, 20));
  Turn();
  Send(fd, requests.substr(30));
  Received received = PumpBytes(fd, expected.size());
  EXPECT_EQ(received.bytes, expected);
}

TEST_F(HttpServerTest, BoundsRequestsInFlightPerConnection) {
  int fd = ConnectToTwoInFlight();
  std::string requests;
  std::string expected;
  for (int i = 1; i <= 7; ++i) {
    std::string path = "/later/" + std::to_string(i);
    requests += "GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n";
    expected += Ok(path);
  }
  Send(fd, requests);
  Received received = PumpBytes(fd, expected.size());
  EXPECT_EQ(received.bytes, expected);
  EXPECT_EQ(handler_.paths.size(), 7u);
  EXPECT_EQ(handler_.max_waiting, 2u);
}

// Answers given at once but waiting behind an unanswered request are held for the client too:
// reading pauses once they hold --max-output-bytes, instead of at --max-pipelined of them.
TEST_F(HttpServerTest, AnswersWaitingBehindAnEarlierOneHoldAtMostTheOutputLimit) {
  int fd = ConnectWithOutputLimit(64 * 1024);
  std::string requests = "GET /held/1 HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string expected = Ok("/held/1");
  for (int i = 0; i < 10; ++i) {
    requests += "GET /big/30000 HTTP/1.1\r\nHost: h\r\n\r\n";
    expected += Ok(std::string(30000, 'x'));
  }
  Send(fd, requests);
  Turn();
  EXPECT_EQ(handler_.paths.size(), 4u) << "the held request, then 90,000 bytes of answers";
  handler_.AnswerHeld();
  Received received = PumpBytes(fd, expected.size());
  EXPECT_EQ(received.bytes, expected);
  EXPECT_FALSE(received.closed);
  EXPECT_EQ(handler_.paths.size(), 11u);
}

// Answers that come late (from a shard) cannot be refused like requests: once those held behind
// an unanswered one reach the limit, the next closes the connection, as a slow reader's would.
TEST_F(HttpServerTest, ALateAnswerPastTheOutputLimitClosesTheConnection) {
  int fd = ConnectWithOutputLimit(64 * 1024);
  std::string requests = "GET /later/1 HTTP/1.1\r\nHost: h\r\n\r\n";
  for (int i = 0; i < 5; ++i) requests += "GET /later/big/30000 HTTP/1.1\r\nHost: h\r\n\r\n";
  Send(fd, requests);
  Received received = PumpUntilClosed(fd);  // answered in reverse: /later/1 comes last
  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.bytes, "");
  EXPECT_EQ(server_->closed_slow_readers(), 1u);
  EXPECT_EQ(server_->requests_in_flight(), 0u);
}

// A connection reset before its answers could go lets go of what it held at once, not when a
// later connection reuses its place.
TEST_F(HttpServerTest, AClosedConnectionLetsGoOfTheAnswersItHeld) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's allocator is not malloc's: mallinfo2 sees none of it";
#endif
  Start();
  int fd = Connect();
  std::string requests = "GET /held/1 HTTP/1.1\r\nHost: h\r\n\r\n";
  for (int i = 0; i < 3; ++i) requests += "GET /big/1048576 HTTP/1.1\r\nHost: h\r\n\r\n";
  Send(fd, requests);
  ASSERT_TRUE(TurnUntil([&] { return handler_.paths.size() == 4; }));
  const std::size_t holding = HeapInUse();
  const linger reset{1, 0};
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
  ::close(fd);
  fds_.clear();
  ASSERT_TRUE(TurnUntil([&] { return server_->connection_count() == 0; }));
  EXPECT_GT(holding, HeapInUse() + 2 * kMiB) << "three answers of a MiB";
}

// A large answer (a full scrape), once sent, leaves no buffer of its size behind: the spare that
// the next answer is written into keeps at most 64 KiB.
TEST_F(HttpServerTest, ALargeAnswerLeavesNoBufferOfItsSizeOnceSent) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's allocator is not malloc's: mallinfo2 sees none of it";
#endif
  Start();
  int fd = Connect();
  const std::size_t before = HeapInUse();
  Send(fd, "GET /big/1048576 HTTP/1.1\r\nHost: h\r\n\r\n");
  {
    const std::size_t size = Ok(std::string(kMiB, 'x')).size();
    ASSERT_EQ(PumpBytes(fd, size).bytes.size(), size);
  }
  ASSERT_TRUE(TurnUntil([&] { return server_->requests_in_flight() == 0; }));
  EXPECT_LT(HeapInUse(), before + kMiB / 2);
}

TEST_F(HttpServerTest, HeadGetsHeadersWithContentLengthButNoBody) {
  Start();
  int fd = Connect();
  // A GET follows the HEAD: its response must start right after the HEAD's headers.
  Send(fd, "HEAD /now/head HTTP/1.1\r\nHost: h\r\n\r\nGET /now/get HTTP/1.1\r\nHost: h\r\n\r\n");
  std::string expected = Ok("/now/head", true, /*head=*/true) + Ok("/now/get");
  EXPECT_NE(expected.find("Content-Length: 9\r\n"), std::string::npos);
  Received received = PumpBytes(fd, expected.size());
  EXPECT_EQ(received.bytes, expected);
}

TEST_F(HttpServerTest, RefusesPostWith405AndCloses) {
  Start();
  int fd = Connect();
  Send(fd,
       "GET /later/1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /now/2 HTTP/1.1\r\nHost: h\r\n\r\nGET /now/3 "
       "HTTP/1.1\r\nHost: h\r\n\r\n");
  Received received = PumpUntilClosed(fd);
  EXPECT_TRUE(received.closed);
  // The earlier request is answered first; nothing after the bad one reaches the handler.
  ASSERT_TRUE(received.bytes.starts_with(Ok("/later/1"))) << received.bytes;
  std::string rejection = received.bytes.substr(Ok("/later/1").size());
  EXPECT_TRUE(rejection.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")) << rejection;
  EXPECT_NE(rejection.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos) << rejection;
  EXPECT_NE(rejection.find("\r\nConnection: close\r\n"), std::string::npos) << rejection;
  EXPECT_EQ(handler_.paths, std::vector<std::string>{"/later/1"});
  Turn();
  EXPECT_EQ(server_->connection_count(), 0u);
  EXPECT_EQ(server_->requests_in_flight(), 0u);
}

TEST_F(HttpServerTest, ClientStillSendingWhenRefusedReadsTheRefusal) {
  Start();
  int fd = Connect();
  Send(fd, "POST /announce HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n");
  // Keep sending the body while the server refuses: closing with unread input would make the
  // kernel reset the connection and destroy the 405 before the client read it.
  ASSERT_GE(KeepSending(fd), kMiB);
  Received received = PumpUntilClosed(fd);
  EXPECT_TRUE(received.bytes.starts_with("HTTP/1.1 405 ")) << received.bytes;
  EXPECT_TRUE(received.closed);
}

TEST_F(HttpServerTest, HalfClosedClientStillGetsItsLateAnswer) {
  Start();
  int fd = Connect();
  Send(fd, "GET /later/a HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(::shutdown(fd, SHUT_WR), 0);
  Received received = PumpUntilClosed(fd);
  EXPECT_EQ(received.bytes, Ok("/later/a", /*keep_alive=*/false));
  EXPECT_TRUE(received.closed);
}

// The answer was written before the client's EOF was read, and more of it than the socket
// buffers hold: what they could not take yet still goes out before the close.
TEST_F(HttpServerTest, AHalfClosedClientGetsALargeAnswerWhole) {
  HttpServerOptions options;
  options.tcp.max_output_bytes = 32 << 20;
  Start(options);
  int fd = Connect();
  constexpr std::size_t kBody = 16 << 20;
  Send(fd, "GET /big/" + std::to_string(kBody) + " HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(::shutdown(fd, SHUT_WR), 0);
  Turn();  // the request, the answer and the EOF, read by nobody yet
  Received received = PumpUntilClosed(fd);
  const std::size_t head_end = received.bytes.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_EQ(received.bytes.size() - head_end - 4, kBody);
  EXPECT_TRUE(received.closed);
}

// Requests that fill the pipeline and the EOF, read in one go (the data ends on the server's
// 16 KiB read boundary): every request is answered before the close.
TEST_F(HttpServerTest, AHalfClosedClientsQueuedRequestsAreAllAnswered) {
  int fd = ConnectToTwoInFlight();
  std::string requests;
  std::string expected;
  for (int i = 1; i <= 5; ++i) {
    const std::string path = "/later/" + std::to_string(i);
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: h\r\n";
    const std::size_t pad = i < 5 ? 3000 : 16 * 1024 - requests.size() - request.size() - 11;
    request += "X-Pad: " + std::string(pad, 'p') + "\r\n";  // under the 8 KiB header limit
    requests += request + "\r\n";
    expected += Ok(path, /*keep_alive=*/i != 5);
  }
  ASSERT_EQ(requests.size(), 16u * 1024);
  Send(fd, requests);
  ASSERT_EQ(::shutdown(fd, SHUT_WR), 0);
  Received received = PumpUntilClosed(fd);
  EXPECT_EQ(received.bytes, expected);
  EXPECT_TRUE(received.closed);
}

TEST_F(HttpServerTest, Http10ClosesAfterTheResponse) {
  Start();
  int fd = Connect();
  Send(fd, "GET /later/a HTTP/1.0\r\n\r\nGET /now/ignored HTTP/1.0\r\n\r\n");
  Received received = PumpUntilClosed(fd);
  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.bytes, Ok("/later/a", /*keep_alive=*/false));
  EXPECT_EQ(handler_.paths, std::vector<std::string>{"/later/a"});
}

TEST_F(HttpServerTest, Http10KeepAliveStaysOpen) {
  Start();
  int fd = Connect();
  Send(fd, "GET /now/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  std::string expected = Ok("/now/a");
  Received received = PumpBytes(fd, expected.size());
  EXPECT_EQ(received.bytes, expected);
  EXPECT_FALSE(received.closed);
}

TEST_F(HttpServerTest, ConnectionCloseRequestClosesAfterItsResponse) {
  Start();
  int fd = Connect();
  Send(fd,
       "GET /later/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /now/2 HTTP/1.1\r\nHost: h\r\nConnection: "
       "close\r\n\r\n"
       "GET /now/3 HTTP/1.1\r\nHost: h\r\n\r\n");
  Received received = PumpUntilClosed(fd);
  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.bytes, Ok("/later/1") + Ok("/now/2", false));
}

TEST_F(HttpServerTest, HandlerCanAskToClose) {
  Start();
  int fd = Connect();
  Send(fd, "GET /close/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /now/2 HTTP/1.1\r\nHost: h\r\n\r\n");
  Received received = PumpUntilClosed(fd);
  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.bytes, Ok("/close/1", false));
  Turn();
  EXPECT_EQ(server_->requests_in_flight(), 0u);
}

// A draining frontend asks to close on its first answer: the requests read before it was answered
// went on to the shards, so they are answered too, and the close follows the last. (That one was
// answered first, before the close was asked: it says keep-alive, and RFC 9112 section 9.6 lets
// a server close after any response.)
TEST_F(HttpServerTest, RequestsReadBeforeAnAnswerAskedToCloseAreStillAnswered) {
  Start();
  int fd = Connect();
  Send(fd,
       "GET /later/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /later/close HTTP/1.1\r\nHost: h\r\n\r\n"
       "GET /later/3 HTTP/1.1\r\nHost: h\r\n\r\n");
  Received received = PumpUntilClosed(fd);
  EXPECT_TRUE(received.closed);
  EXPECT_EQ(received.bytes, Ok("/later/1") + Ok("/later/close") + Ok("/later/3"));
  Turn();
  EXPECT_EQ(server_->requests_in_flight(), 0u);
}

// A client that sends more after its Connection: close (against RFC 9112 section 9.6) still
// reads the answer: the server drains its input instead of closing on it with a reset.
TEST_F(HttpServerTest, ClientStillSendingAfterConnectionCloseReadsTheAnswer) {
  Start();
  int fd = Connect();
  Send(fd, "GET /later/a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  ExpectClosingAnswerWhileSending(fd, "/later/a");
}

// The same for an answer given at once, to a request read together with bytes that follow it.
TEST_F(HttpServerTest, ClientStillSendingAfterConnectionCloseReadsAnAnswerGivenAtOnce) {
  Start();
  int fd = Connect();
  Send(fd, "GET /now/a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n" + std::string(1000, 'x'));
  ExpectClosingAnswerWhileSending(fd, "/now/a");
}

// A keep-alive client whose connection a draining server closes may be sending its next request
// already: the close drains it, so no reset destroys the answer the client has not read yet.
TEST_F(HttpServerTest, AClientStillSendingWhenTheServerClosesItsConnectionReadsTheAnswer) {
  Start();
  int fd = Connect();
  Send(fd, "GET /close/1 HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(TurnUntil([&] { return handler_.answered.size() == 1; }));
  ExpectClosingAnswerWhileSending(fd, "/close/1");
}

// Closed connections are reused for new ones: a new one must not inherit the close, the paused
// reading or the half-parsed request of the last.
TEST_F(HttpServerTest, ANewConnectionInheritsNothingFromAClosedOne) {
  Start();
  int first = Connect();
  Send(first, "GET /now/1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /half");
  EXPECT_TRUE(PumpUntilClosed(first).closed);
  int second = Connect();
  Send(second, "GET /now/2 HTTP/1.1\r\nHost: h\r\n\r\nGET /now/3 HTTP/1.1\r\nHost: h\r\n\r\n");
  Received received = PumpBytes(second, Ok("/now/2").size() + Ok("/now/3").size());
  EXPECT_EQ(received.bytes, Ok("/now/2") + Ok("/now/3"));
  EXPECT_FALSE(received.closed);
}

TEST_F(HttpServerTest, RequestLineOverTheLimitGets414) {
  HttpServerOptions options;
  options.limits.max_request_line = 64;
  Start(options);
  int fd = Connect();
  Send(fd, "GET /now/" + std::string(100, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n");
  Received received = PumpUntilClosed(fd);
  EXPECT_TRUE(received.closed);
  EXPECT_TRUE(received.bytes.starts_with("HTTP/1.1 414 URI Too Long\r\n")) << received.bytes;
  EXPECT_NE(received.bytes.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_TRUE(handler_.paths.empty());
}

TEST_F(HttpServerTest, RefusedHeadRequestGetsNoBody) {
  Start();
  int fd = Connect();
  // A HEAD whose headers are refused (413: it announces a body) is still a HEAD: RFC 9110
  // section 9.3.2 forbids content in the response.
  Send(fd, "HEAD /now/a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  Received received = PumpUntilClosed(fd);
  EXPECT_TRUE(received.closed);
  ASSERT_TRUE(received.bytes.starts_with("HTTP/1.1 413 Content Too Large\r\n")) << received.bytes;
  EXPECT_TRUE(received.bytes.ends_with("\r\nConnection: close\r\n\r\n")) << received.bytes;

  const std::pair<std::string, std::string> refused_lines[] = {
      {"HEAD /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP/1.1 414 "},
      {"HEAD / HTTP/2.0\r\n\r\n", "HTTP/1.1 505 "}};
  for (const auto& [line, status] : refused_lines) {
    int other = Connect();
    Send(other, line);
    Received refused = PumpUntilClosed(other);
    EXPECT_TRUE(refused.bytes.starts_with(status)) << refused.bytes;
    EXPECT_TRUE(refused.bytes.ends_with("\r\nConnection: close\r\n\r\n")) << refused.bytes;
  }
}

TEST_F(HttpServerTest, MalformedRequestGets400) {
  Start();
  int fd = Connect();
  Send(fd, "GET /now/a HTTP/1.1\r\nHost: h\r\nno colon here\r\n\r\n");
  Received received = PumpUntilClosed(fd);
  EXPECT_TRUE(received.closed);
  EXPECT_TRUE(received.bytes.starts_with("HTTP/1.1 400 Bad Request\r\n")) << received.bytes;
}

TEST_F(HttpServerTest, ARequestTrickledByteByByteGets408AtItsTimeout) {
  HttpServerOptions options;
  options.request_timeout = 300ms;  // the idle timeout (15 s) never fires: a byte every 20 ms
  Start(options);
  int fd = Connect();
  const std::string trickle = "GET /now/a HTTP/1.1\r\nHost: h\r\nX-Slow: " + std::string(500, 'a');
  Received received;
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < trickle.size() && !received.closed; ++i) {
    ::send(fd, &trickle[i], 1, MSG_NOSIGNAL);
    const auto until = std::chrono::steady_clock::now() + 20ms;
    Received more =
        Pump(fd, [until](const Received&) { return std::chrono::steady_clock::now() >= until; });
    received.bytes += more.bytes;
    received.closed = more.closed;
  }
  EXPECT_TRUE(received.closed);
  EXPECT_TRUE(received.bytes.starts_with("HTTP/1.1 408 Request Timeout\r\n")) << received.bytes;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // not the trickle's own end (10 s)
  EXPECT_TRUE(handler_.paths.empty());
  EXPECT_EQ(server_->malformed_requests(), 1u);
}

// Empty lines before a request line are ignored (RFC 9112), but they begin a request: a client
// sending only those cannot hold its connection past the request timeout.
TEST_F(HttpServerTest, EmptyLinesAloneMeetTheRequestTimeout) {
  HttpServerOptions options;
  options.request_timeout = 300ms;
  Start(options);
  int fd = Connect();
  Received received;
  const auto started = std::chrono::steady_clock::now();
  while (!received.closed && std::chrono::steady_clock::now() - started < 3s) {
    ::send(fd, "\r\n", 2, MSG_NOSIGNAL);
    const auto until = std::chrono::steady_clock::now() + 20ms;
    Received more =
        Pump(fd, [until](const Received&) { return std::chrono::steady_clock::now() >= until; });
    received.bytes += more.bytes;
    received.closed = more.closed;
  }
  EXPECT_TRUE(received.closed);
  EXPECT_TRUE(received.bytes.starts_with("HTTP/1.1 408 Request Timeout\r\n")) << received.bytes;
}

TEST_F(HttpServerTest, ARequestTimeoutOfZeroIsNoLimit) {
  HttpServerOptions options;
  options.request_timeout = Duration::zero();
  Start(options);
  int fd = Connect();
  Send(fd, "GET /now/a HTTP/1.1\r\nHost: h\r\n");
  const auto until = std::chrono::steady_clock::now() + 300ms;
  Received waited =
      Pump(fd, [until](const Received&) { return std::chrono::steady_clock::now() >= until; });
  EXPECT_FALSE(waited.closed);
  EXPECT_EQ(waited.bytes, "");
  Send(fd, "\r\n");
  EXPECT_EQ(PumpBytes(fd, Ok("/now/a").size()).bytes, Ok("/now/a"));
}

TEST_F(HttpServerTest, EachRequestHasItsOwnTimeoutAndAnIdleConnectionNone) {
  HttpServerOptions options;
  options.request_timeout = 1s;
  Start(options);
  int fd = Connect();
  const auto wait = [&](std::chrono::milliseconds how_long) {
    const auto until = std::chrono::steady_clock::now() + how_long;
    return Pump(fd, [until](const Received&) { return std::chrono::steady_clock::now() >= until; });
  };
  // 600 ms into request 1, one read ends it and begins request 2, 600 ms more end that: 1.2 s
  // since request 1 began, 0.6 s since request 2 did.
  Send(fd, "GET /now/1 HTTP/1.1\r\nHost: h\r\n");
  std::string replies = wait(600ms).bytes;
  Send(fd, "\r\nGET /now/2 HTTP/1.1\r\nHost: h\r\n");
  replies += wait(600ms).bytes;
  Send(fd, "\r\n");
  replies += PumpBytes(fd, Ok("/now/1").size() + Ok("/now/2").size() - replies.size()).bytes;
  Received idle = wait(1200ms);  // no request begun: only the idle timeout applies
  EXPECT_EQ(replies, Ok("/now/1") + Ok("/now/2"));
  EXPECT_FALSE(idle.closed);
  EXPECT_EQ(idle.bytes, "");
  EXPECT_EQ(server_->malformed_requests(), 0u);
}

TEST_F(HttpServerTest, LateAnswerForAClosedConnectionIsDropped) {
  Start();
  int fd = Connect();
  Send(fd, "GET /later/1 HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(TurnUntil([&] { return handler_.paths.size() == 1; }));
  ::close(fd);
  fds_.clear();
  // The close is seen and the timer answers a connection that is gone (in either order).
  EXPECT_TRUE(
      TurnUntil([&] { return handler_.answered.size() == 1 && server_->connection_count() == 0; }));
  EXPECT_EQ(server_->requests_in_flight(), 0u);
}

TEST_F(HttpServerTest, ServesSeveralConnections) {
  Start();
  int first = Connect();
  int second = Connect();
  Send(first, "GET /later/first HTTP/1.1\r\nHost: h\r\n\r\n");
  Send(second, "GET /now/second HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(PumpBytes(second, Ok("/now/second").size()).bytes, Ok("/now/second"));
  EXPECT_EQ(PumpBytes(first, Ok("/later/first").size()).bytes, Ok("/later/first"));
  EXPECT_EQ(server_->connection_count(), 2u);
}

}  // namespace
}  // namespace shardtrack
