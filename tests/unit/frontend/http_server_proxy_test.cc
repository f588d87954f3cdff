// HttpServer with a ClientAddressPolicy: which client the handler sees, and what is refused.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/reactor/event_loop.h"
#include "frontend/client_address.h"
#include "frontend/http_server.h"
#include "tests/unit/frontend/loopback_connect.h"

namespace shardtrack {
namespace {

class RecordingHandler final : public RequestHandler {
 public:
  void OnRequest(ResponseSlot slot, const HttpRequest&, const IpAddress& client) override {
    clients.push_back(client.ToString());
    HttpResponse response;
    response.body = "ok\n";
    server->Respond(slot, response);
  }
  HttpServer* server = nullptr;
  std::vector<std::string> clients;
};

class HttpServerProxyTest : public ::testing::Test {
 protected:
  HttpServerProxyTest() : loop_(clock_) {}

  void Start(std::vector<std::string> trusted, bool trust_xff = false, bool require = false,
             Duration request_timeout = std::chrono::seconds(10)) {
    auto policy = ClientAddressPolicy::Make(trusted, trust_xff, require);
    ASSERT_TRUE(policy.ok());
    HttpServerOptions options;
    options.client_address = *policy;
    options.request_timeout = request_timeout;
    server_ = std::make_unique<HttpServer>(loop_, options, handler_);
    handler_.server = server_.get();
    ASSERT_TRUE(server_->Listen().ok());
  }

  // Connects from `source`, sends `pieces` one loop turn apart, returns all the server wrote
  // until it closed or went quiet.
  std::string Exchange(const char* source, const std::vector<std::string>& pieces) {
    int fd = ConnectFrom(source, server_->port());
    for (const std::string& piece : pieces) {
      ::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL);
      for (int turn = 0; turn < 3; ++turn) loop_.RunOnce(std::chrono::milliseconds(5));
    }
    std::string reply;
    for (int turn = 0, quiet = 0; turn < 400 && quiet < 20; ++turn) {
      loop_.RunOnce(std::chrono::milliseconds(5));
      char buffer[4096];
      ssize_t got = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) break;
      if (got > 0) {
        reply.append(buffer, got);
        quiet = 0;
      } else if (!reply.empty()) {
        ++quiet;
      }
    }
    ::close(fd);
    return reply;
  }

  SystemClock clock_;
  EventLoop loop_;
  RecordingHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

const std::string kRequest = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
const std::string kProxyV1 = "PROXY TCP4 10.1.2.3 127.0.0.1 5555 6969\r\n";
const std::string kProxyV2Local = std::string("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16);

TEST_F(HttpServerProxyTest, ProxyHeaderFromTrustedProxyNamesTheClient) {
  Start({"127.0.0.1/32"});
  EXPECT_TRUE(Exchange("127.0.0.1", {kProxyV1 + kRequest}).starts_with("HTTP/1.1 200"));
  EXPECT_EQ(handler_.clients, std::vector<std::string>{"10.1.2.3"});
}

TEST_F(HttpServerProxyTest, ProxyHeaderSplitAcrossReadsStillNamesTheClient) {
  Start({"127.0.0.1/32"});
  std::string whole = kProxyV1 + kRequest;
  EXPECT_TRUE(Exchange("127.0.0.1", {whole.substr(0, 3), whole.substr(3, 20), whole.substr(23)})
                  .starts_with("HTTP/1.1 200"));
  EXPECT_EQ(handler_.clients, std::vector<std::string>{"10.1.2.3"});
}

TEST_F(HttpServerProxyTest, LocalCommandKeepsTheConnectionAddress) {
  Start({"127.0.0.1/32"});
  EXPECT_TRUE(Exchange("127.0.0.1", {kProxyV2Local + kRequest}).starts_with("HTTP/1.1 200"));
  EXPECT_EQ(handler_.clients, std::vector<std::string>{"127.0.0.1"});
}

TEST_F(HttpServerProxyTest, AProxyHeaderNotFinishedInTimeGets408) {
  Start({"127.0.0.1/32"}, false, false, std::chrono::milliseconds(100));
  EXPECT_TRUE(Exchange("127.0.0.1", {kProxyV1.substr(0, 10)}).starts_with("HTTP/1.1 408"));
  EXPECT_TRUE(handler_.clients.empty());
}

TEST_F(HttpServerProxyTest, ProxyHeaderFromUntrustedSourceIsRefusedNeverBelieved) {
  Start({"127.0.0.1/32"});
  EXPECT_TRUE(Exchange("127.0.0.2", {kProxyV1 + kRequest}).starts_with("HTTP/1.1 400"));
  EXPECT_TRUE(handler_.clients.empty());
  EXPECT_EQ(server_->refused_connections(), 1u);
}

TEST_F(HttpServerProxyTest, PlainRequestsFromAnyoneUseTheSocketPeer) {
  Start({"127.0.0.1/32"});
  EXPECT_TRUE(Exchange("127.0.0.2", {kRequest}).starts_with("HTTP/1.1 200"));
  EXPECT_EQ(handler_.clients, std::vector<std::string>{"127.0.0.2"});
}

TEST_F(HttpServerProxyTest, RequiredHeaderRefusesPlainConnections) {
  Start({"127.0.0.1/32"}, false, /*require=*/true);
  EXPECT_TRUE(Exchange("127.0.0.1", {kRequest}).starts_with("HTTP/1.1 400"));
  EXPECT_EQ(Exchange("127.0.0.2", {kProxyV1 + kRequest}), "");  // closed at accept
  EXPECT_TRUE(handler_.clients.empty());
  EXPECT_EQ(server_->refused_connections(), 2u);
}

TEST_F(HttpServerProxyTest, XForwardedForIsBelievedFromTrustedSourcesOnly) {
  Start({"127.0.0.1/32"}, /*trust_xff=*/true);
  std::string request =
      "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.9.9.9\r\nConnection: close\r\n\r\n";
  Exchange("127.0.0.1", {request});
  Exchange("127.0.0.2", {request});
  EXPECT_EQ(handler_.clients, (std::vector<std::string>{"10.9.9.9", "127.0.0.2"}));
}

}  // namespace
}  // namespace shardtrack
