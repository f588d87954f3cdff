// HttpServer with max_connections_per_client: which connections are counted, and what an extra
// one gets. Real sockets on loopback, from chosen 127.0.0.x source addresses.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/reactor/event_loop.h"
#include "frontend/client_address.h"
#include "frontend/http_server.h"
#include "tests/unit/frontend/loopback_connect.h"

namespace shardtrack {
namespace {

using namespace std::chrono_literals;

class OkHandler final : public RequestHandler {
 public:
  void OnRequest(ResponseSlot slot, const HttpRequest&, const IpAddress&) override {
    HttpResponse response;
    response.body = "ok\n";
    server->Respond(slot, response);
  }
  HttpServer* server = nullptr;
};

const std::string kRequest = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
const std::string kRequestFromA = "PROXY TCP4 10.1.2.3 127.0.0.1 5555 6969\r\n" + kRequest;
const std::string kRequestFromB = "PROXY TCP4 10.9.9.9 127.0.0.1 5555 6969\r\n" + kRequest;

class HttpServerClientLimitTest : public ::testing::Test {
 protected:
  HttpServerClientLimitTest() : loop_(clock_) {}
  ~HttpServerClientLimitTest() override {
    for (int fd : fds_) ::close(fd);
  }

  void Start(std::uint32_t limit, std::vector<std::string> trusted = {},
             std::size_t max_connections = 100) {
    auto policy = ClientAddressPolicy::Make(trusted, false, false);
    ASSERT_TRUE(policy.ok());
    HttpServerOptions options;
    options.client_address = *policy;
    options.max_connections_per_client = limit;
    options.tcp.max_connections = max_connections;
    server_ = std::make_unique<HttpServer>(loop_, options, handler_);
    handler_.server = server_.get();
    ASSERT_TRUE(server_->Listen().ok());
  }

  // A keep-alive connection from `source` that sent `bytes`; returns its descriptor (kept open).
  int Open(const char* source, const std::string& bytes) {
    int fd = ConnectFrom(source, server_->port());
    fds_.push_back(fd);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    return fd;
  }

  // What the server wrote on `fd` until it went quiet, and whether it closed the connection.
  struct Heard {
    std::string bytes;
    bool closed = false;
  };
  Heard Listen(int fd) {
    Heard heard;
    for (int turn = 0, quiet = 0; turn < 400 && quiet < 10; ++turn) {
      loop_.RunOnce(5ms);
      char buffer[4096];
      ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        heard.closed = true;
        break;
      }
      if (got > 0) {
        heard.bytes.append(buffer, got);
        quiet = 0;
      } else if (!heard.bytes.empty()) {
        ++quiet;
      }
    }
    return heard;
  }

  bool Served(int fd) {
    Heard heard = Listen(fd);
    return heard.bytes.starts_with("HTTP/1.1 200") && !heard.closed;
  }
  bool Refused(int fd) {
    Heard heard = Listen(fd);
    return heard.bytes.starts_with("HTTP/1.1 429 ") && heard.closed;
  }

  void CloseAndSettle(int fd) {
    ::close(fd);
    std::erase(fds_, fd);
    for (int turn = 0; turn < 5; ++turn) loop_.RunOnce(5ms);
  }

  SystemClock clock_;
  EventLoop loop_;
  OkHandler handler_;
  std::unique_ptr<HttpServer> server_;
  std::vector<int> fds_;
};

TEST_F(HttpServerClientLimitTest, AClientOverItsLimitGets429AndOthersAreServed) {
  Start(2);
  int first = Open("127.0.0.2", kRequest);
  ASSERT_TRUE(Served(first));
  ASSERT_TRUE(Served(Open("127.0.0.2", kRequest)));
  EXPECT_TRUE(Refused(Open("127.0.0.2", kRequest)));
  EXPECT_TRUE(Served(Open("127.0.0.3", kRequest)));
  EXPECT_EQ(server_->connections_over_client_limit(), 1u);
  EXPECT_EQ(server_->connection_count(), 3u);

  CloseAndSettle(first);  // a client that closes one may open another
  EXPECT_TRUE(Served(Open("127.0.0.2", kRequest)));
}

// Refused at once, with nothing left to drain: refused connections that their client keeps open
// take no places of max_connections, so a flood of them cannot lock others out.
TEST_F(HttpServerClientLimitTest, RefusedConnectionsKeptOpenByTheirClientTakeNoPlaces) {
  Start(1, {}, /*max_connections=*/3);
  ASSERT_TRUE(Served(Open("127.0.0.2", kRequest)));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Refused(Open("127.0.0.2", kRequest))) << i;
  EXPECT_TRUE(Served(Open("127.0.0.3", kRequest)));
  EXPECT_TRUE(Served(Open("127.0.0.4", kRequest)));
}

TEST_F(HttpServerClientLimitTest, ASilentConnectionHoldsItsPlace) {
  Start(1);
  int silent = Open("127.0.0.2", "");
  for (int turn = 0; turn < 5; ++turn) loop_.RunOnce(5ms);
  EXPECT_TRUE(Refused(Open("127.0.0.2", kRequest)));
  CloseAndSettle(silent);
  EXPECT_TRUE(Served(Open("127.0.0.2", kRequest)));
}

TEST_F(HttpServerClientLimitTest, BehindATrustedProxyTheNamedClientIsCountedNotTheProxy) {
  Start(1, {"127.0.0.1/32"});
  ASSERT_TRUE(Served(Open("127.0.0.1", kRequestFromA)));
  EXPECT_TRUE(Refused(Open("127.0.0.1", kRequestFromA)));
  EXPECT_TRUE(Served(Open("127.0.0.1", kRequestFromB)));
  // The proxy's own connections (health checks: no PROXY header) are never counted.
  EXPECT_TRUE(Served(Open("127.0.0.1", kRequest)));
  EXPECT_TRUE(Served(Open("127.0.0.1", kRequest)));
  EXPECT_EQ(server_->connections_over_client_limit(), 1u);
}

TEST_F(HttpServerClientLimitTest, ZeroIsNoLimit) {
  Start(0);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Served(Open("127.0.0.2", kRequest))) << i;
  EXPECT_EQ(server_->connections_over_client_limit(), 0u);
}

}  // namespace
}  // namespace shardtrack
