#include "common/metrics_http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/reactor/event_loop.h"
#include "common/unique_fd.h"

namespace shardtrack {
namespace {

TEST(ParseHostPortTest, TakesIpv4AndBracketedIpv6) {
  auto v4 = ParseHostPort("0.0.0.0:9100");
  ASSERT_TRUE(v4.ok()) << v4.error();
  EXPECT_EQ(v4->host, "0.0.0.0");
  EXPECT_EQ(v4->port, 9100);
  auto v6 = ParseHostPort("[::1]:0");
  ASSERT_TRUE(v6.ok()) << v6.error();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
}

TEST(ParseHostPortTest, RefusesNamesMissingPortsAndJunk) {
  for (const char* text : {"localhost:9100", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000",
                           "127.0.0.1:9x", ":9100", ""}) {
    EXPECT_FALSE(ParseHostPort(text).ok()) << text;
  }
}

// One port for two listeners of a process is a setting refused, not a start that fails.
TEST(CheckMetricsListenTest, RefusesThePortOfTheOtherListenerOnItsAddressOrAWildcard) {
  const auto at = [](const char* address, std::uint16_t port) {
    return OtherListener{"--port", Endpoint{*IpAddress::Parse(address), port}};
  };
  EXPECT_TRUE(CheckMetricsListen("127.0.0.1:9100", at("127.0.0.1", 6969)));
  EXPECT_TRUE(CheckMetricsListen("127.0.0.1:9100", at("10.0.0.1", 9100)));  // other addresses
  EXPECT_TRUE(CheckMetricsListen("127.0.0.1:0", at("127.0.0.1", 0)));       // both ephemeral
  EXPECT_TRUE(CheckMetricsListen("", at("127.0.0.1", 9100)));               // off
  const Status same = CheckMetricsListen("127.0.0.1:9100", at("127.0.0.1", 9100));
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error(),
            "--metrics-listen 127.0.0.1:9100 takes the port of --port (127.0.0.1:9100): give "
            "each its own port");
  EXPECT_FALSE(CheckMetricsListen("0.0.0.0:9100", at("127.0.0.1", 9100)));
  EXPECT_FALSE(CheckMetricsListen("[::1]:9100", at("::", 9100)));
  EXPECT_FALSE(CheckMetricsListen("127.0.0.1:9100", at("::", 9100)));  // :: takes IPv4 too
  EXPECT_FALSE(CheckMetricsListen("0.0.0.0:9100", at("::", 9100)));
  EXPECT_TRUE(CheckMetricsListen("[::1]:9100", at("0.0.0.0", 9100)));  // 0.0.0.0 is IPv4's only
  EXPECT_TRUE(CheckMetricsListen("0.0.0.0:9100", at("::1", 9100)));
  const Status v6 = CheckMetricsListen("[::]:7000", at("::", 7000));
  ASSERT_FALSE(v6);
  EXPECT_NE(v6.error().find("the port of --port ([::]:7000): "), std::string::npos) << v6.error();
}

// Said before a slow start: nothing asked, any port, a malformed address and a port in use; a
// port held stays taken until the hold is dropped.
TEST(HoldMetricsListenTest, RefusesWhatCouldNotListenNamingTheFlagAndHoldsWhatCould) {
  EXPECT_TRUE(HoldMetricsListen(""));
  EXPECT_TRUE(HoldMetricsListen("127.0.0.1:0"));
  const auto junk = HoldMetricsListen("localhost:9100");
  ASSERT_FALSE(junk);
  EXPECT_TRUE(junk.error().starts_with("--metrics-listen: ")) << junk.error();

  const int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  socklen_t length = sizeof address;
  ::getsockname(taken, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string listen = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  const auto in_use = HoldMetricsListen(listen);
  ::close(taken);
  ASSERT_FALSE(in_use);
  EXPECT_TRUE(in_use.error().starts_with("--metrics-listen: ")) << in_use.error();

  auto held = HoldMetricsListen(listen);
  ASSERT_TRUE(held) << held.error();
  EXPECT_FALSE(HoldMetricsListen(listen)) << "held until dropped";
  held->Reset();
  EXPECT_TRUE(HoldMetricsListen(listen));
}

// A blocking TCP connection to the loopback `port`.
int ConnectTo(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  return fd;
}

// Reads what the server sent on `fd` while running the loop, until the server closes it.
std::string ReplyTo(EventLoop& loop, int fd) {
  std::string reply;
  for (int turn = 0; turn < 500; ++turn) {
    loop.RunOnce(std::chrono::milliseconds(10));
    char buffer[4096];
    ssize_t got = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (got == 0) break;
    if (got > 0) reply.append(buffer, got);
  }
  ::close(fd);
  return reply;
}

// Sends `request` to the server and runs the loop until the server closes the connection.
std::string Exchange(EventLoop& loop, std::uint16_t port, const std::string& request) {
  const int fd = ConnectTo(port);
  EXPECT_EQ(::send(fd, request.data(), request.size(), 0), ssize_t(request.size()));
  return ReplyTo(loop, fd);
}

// The same with the request sent in `parts`, the server reading each before the next is sent;
// nothing may come back before the last.
std::string ExchangeInParts(EventLoop& loop, std::uint16_t port,
                            const std::vector<std::string>& parts) {
  const int fd = ConnectTo(port);
  for (const std::string& part : parts) {
    for (int turn = 0; turn < 5; ++turn) loop.RunOnce(std::chrono::milliseconds(10));
    char byte;
    EXPECT_EQ(::recv(fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK), -1) << "answered before " << part;
    EXPECT_EQ(::send(fd, part.data(), part.size(), 0), ssize_t(part.size()));
  }
  return ReplyTo(loop, fd);
}

class MetricsHttpServerTest : public ::testing::Test {
 protected:
  MetricsHttpServerTest() : loop_(clock_), server_(loop_, {}, registry_) {
    registry_.AddCounter("scrapes_total", "Scrapes.").Increment(3);
    EXPECT_TRUE(server_.Listen().ok());
  }

  SystemClock clock_;
  EventLoop loop_;
  MetricsRegistry registry_;
  MetricsHttpServer server_;
};

TEST_F(MetricsHttpServerTest, AnswersMetricsInTheTextFormatAndCloses) {
  std::string reply = Exchange(loop_, server_.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_NE(reply.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(reply.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(reply.ends_with("\r\n\r\n" + registry_.Render())) << reply;
}

TEST_F(MetricsHttpServerTest, AnswersHealthzAnd404And405) {
  EXPECT_TRUE(Exchange(loop_, server_.port(), "GET /healthz HTTP/1.0\r\n\r\n")
                  .starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(
      Exchange(loop_, server_.port(), "GET /other HTTP/1.0\r\n\r\n").starts_with("HTTP/1.1 404 "));
  const std::string refused = Exchange(loop_, server_.port(), "POST /metrics HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(refused.starts_with("HTTP/1.1 405 "));
  EXPECT_NE(refused.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos) << refused;
}

// The idle timeout (15 s) restarts with every byte; the request's deadline does not, so bytes
// trickled on a few connections cannot hold every one of them.
TEST(MetricsHttpServerDeadlineTest, AConnectionWithNoWholeRequestByTheDeadlineGets408) {
  SystemClock clock;
  EventLoop loop(clock);
  MetricsRegistry registry;
  MetricsHttpServer server(loop, {}, registry, std::chrono::milliseconds(200));
  ASSERT_TRUE(server.Listen().ok());
  const std::string reply = Exchange(loop, server.port(), "GET /metrics HTTP/1.0\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 408 Request Timeout\r\n")) << reply;
  const std::string head = Exchange(loop, server.port(), "HEAD /metrics HTTP/1.0\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 408 ")) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << "a HEAD's 408 has no body: " << head;
  EXPECT_TRUE(Exchange(loop, server.port(), "GET /healthz HTTP/1.0\r\n\r\n")
                  .starts_with("HTTP/1.1 200 OK\r\n"));
}

// A scraper slow to read a large answer keeps its connection past the deadline: it gets that
// answer alone, no 408 after it.
TEST(MetricsHttpServerDeadlineTest, AnAnsweredConnectionGetsNo408AfterItsAnswer) {
  SystemClock clock;
  EventLoop loop(clock);
  MetricsRegistry registry;
  for (int n = 0; n < 80000; ++n) {  // about 2 MB: more than the socket buffers take at once
    registry.AddCounter("padding_total", "Makes the answer large.", {{"n", std::to_string(n)}});
  }
  MetricsHttpServer server(loop, {}, registry, std::chrono::milliseconds(200));
  ASSERT_TRUE(server.Listen().ok());
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int buffer_bytes = 1024;  // a small window while the deadline passes
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const std::string request = "GET /metrics HTTP/1.0\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), 0), ssize_t(request.size()));
  for (int turn = 0; turn < 40; ++turn) loop.RunOnce(std::chrono::milliseconds(10));  // 400 ms
  buffer_bytes = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
  std::string reply;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (bool open = true; open && std::chrono::steady_clock::now() < give_up;) {
    loop.RunOnce(std::chrono::milliseconds(0));
    char buffer[65536];
    for (ssize_t got; (got = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT)) != 0;) {
      if (got < 0) break;
      reply.append(buffer, got);
    }
    open = ::recv(fd, buffer, 1, MSG_DONTWAIT | MSG_PEEK) != 0;
  }
  ::close(fd);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply.substr(0, 200);
  EXPECT_EQ(reply.find(" 408 "), std::string::npos);
  EXPECT_GT(reply.size(), std::size_t{2000000});
}

// ServeMetrics' server holds kMaxConnections: the next is closed unanswered until one goes.
TEST(ServeMetricsTest, HoldsAtMostItsConnectionLimit) {
  SystemClock clock;
  EventLoop loop(clock);
  MetricsRegistry registry;
  auto server = ServeMetrics(loop, "127.0.0.1:0", registry);
  ASSERT_TRUE(server.ok()) << server.error();
  std::vector<UniqueFd> silent;
  for (std::size_t n = 0; n < MetricsHttpServer::kMaxConnections; ++n) {
    silent.emplace_back(ConnectTo((*server)->port()));
  }
  const std::string healthz = "GET /healthz HTTP/1.0\r\n\r\n";
  EXPECT_EQ(Exchange(loop, (*server)->port(), healthz), "");
  silent.pop_back();
  EXPECT_TRUE(Exchange(loop, (*server)->port(), healthz).starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_F(MetricsHttpServerTest, HeadGetsTheLengthOfTheGetAnswerAndNoBody) {
  const std::string body = registry_.Render();
  const std::string reply = Exchange(loop_, server_.port(), "HEAD /metrics HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_NE(reply.find("Content-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos)
      << reply;
  EXPECT_TRUE(reply.ends_with("\r\n\r\n")) << reply;
}

TEST_F(MetricsHttpServerTest, RefusesAnEndlessHead) {
  std::string reply =
      Exchange(loop_, server_.port(), "GET /metrics HTTP/1.0\r\nX: " + std::string(9000, 'a'));
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 431 ")) << reply.substr(0, 100);
}

TEST_F(MetricsHttpServerTest, AnswersARequestSplitAcrossReads) {
  const std::string reply = ExchangeInParts(
      loop_, server_.port(), {"GET /heal", "thz HTTP/1.1\r\nHo", "st: x\r", "\n", "\r\n"});
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_TRUE(reply.ends_with("\r\n\r\nok\n")) << reply;
}

// The parser's status for each kind of malformed request; the old hand parsing answered the
// first three 200 and never looked at a body.
TEST_F(MetricsHttpServerTest, RefusesMalformedRequestsWithTheParsersStatus) {
  const std::pair<std::string, std::string> cases[] = {
      {"GET /metrics\r\n\r\n", "400"},                       // no version
      {"GET /metrics HTTP/1.1\r\n\r\n", "400"},              // HTTP/1.1 without Host
      {"GET /metrics HTTP/2.0\r\n\r\n", "505"},              // a version it does not speak
      {"GET /metrics HTTP/1.0\r\nno colon\r\n\r\n", "400"},  // a malformed header line
      {"GET metrics HTTP/1.0\r\n\r\n", "400"},               // a target of no known form
      {"GET /metrics HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi", "413"},
      {"GET /" + std::string(9000, 'm') + " HTTP/1.0\r\n\r\n", "414"},
  };
  for (const auto& [request, status] : cases) {
    const std::string reply = Exchange(loop_, server_.port(), request);
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 " + status + " ")) << request.substr(0, 40) << reply;
    EXPECT_NE(reply.find("\r\nConnection: close\r\n"), std::string::npos) << reply;
  }
}

TEST_F(MetricsHttpServerTest, AHeadRefusedIsAnsweredWithoutABody) {
  const std::string reply = Exchange(loop_, server_.port(), "HEAD /metrics HTTP/2.0\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 505 ")) << reply;
  EXPECT_TRUE(reply.ends_with("\r\n\r\n")) << reply;
}

// A query, an absolute-form target and bare line feeds are all a scrape.
TEST_F(MetricsHttpServerTest, TakesAQueryAnAbsoluteTargetAndBareLineFeeds) {
  for (const char* request :
       {"GET /metrics?name[]=scrapes_total HTTP/1.0\r\n\r\n",
        "GET http://127.0.0.1/metrics HTTP/1.0\r\n\r\n", "GET /metrics HTTP/1.0\n\n"}) {
    const std::string reply = Exchange(loop_, server_.port(), request);
    EXPECT_TRUE(reply.ends_with("\r\n\r\n" + registry_.Render())) << request << reply;
  }
}

// One response per connection: a second request sent behind the first is not answered.
TEST_F(MetricsHttpServerTest, AnswersOneRequestPerConnection) {
  const std::string reply = Exchange(loop_, server_.port(),
                                     "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                     "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_TRUE(reply.ends_with("\r\n\r\nok\n")) << reply;
  EXPECT_EQ(reply.find("HTTP/1.1", 1), std::string::npos) << reply;
}

}  // namespace
}  // namespace shardtrack
