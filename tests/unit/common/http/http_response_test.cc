#include "common/http/http_response.h"

#include <gtest/gtest.h>

#include <string>

namespace shardtrack {
namespace {

TEST(HttpResponseTest, WritesStatusHeadersAndBody) {
  std::string out = "earlier bytes|";
  HttpResponseHead head;
  head.status = 404;
  AppendHttpResponse(head, "not found\n", out);
  EXPECT_EQ(out,
            "earlier bytes|HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
            "Content-Length: 10\r\nConnection: keep-alive\r\n\r\nnot found\n");
}

TEST(HttpResponseTest, WritesExtraHeadersAndClose) {
  const HttpHeaderField allow[] = {{"Allow", "GET, HEAD"}, {"X-Other", "1"}};
  HttpResponseHead head;
  head.status = 405;
  head.content_type = "text/html";
  head.keep_alive = false;
  head.extra_headers = allow;
  std::string out;
  AppendHttpResponse(head, "", out);
  EXPECT_EQ(out,
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/html\r\nContent-Length: 0\r\n"
            "Connection: close\r\nAllow: GET, HEAD\r\nX-Other: 1\r\n\r\n");
}

TEST(HttpResponseTest, HeadKeepsContentLengthButDropsBody) {
  HttpResponseHead head;
  head.head_request = true;
  std::string out;
  AppendHttpResponse(head, "12345", out);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
            "Connection: keep-alive\r\n\r\n");
}

TEST(HttpResponseTest, ARefusalClosesSaysWhyAndAllowsWhatA405Needs) {
  std::string out;
  AppendHttpRefusal(400, "bad request line", false, out);
  EXPECT_EQ(out,
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 17\r\n"
            "Connection: close\r\n\r\nbad request line\n");
  out.clear();
  AppendHttpRefusal(405, "method not allowed", true, out);  // a HEAD: no body
  EXPECT_EQ(out,
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\n"
            "Content-Length: 19\r\nConnection: close\r\nAllow: GET, HEAD\r\n\r\n");
}

TEST(HttpResponseTest, ReasonPhrasesForEveryStatusTheParserProduces) {
  EXPECT_EQ(HttpReasonPhrase(200), "OK");
  EXPECT_EQ(HttpReasonPhrase(400), "Bad Request");
  EXPECT_EQ(HttpReasonPhrase(405), "Method Not Allowed");
  EXPECT_EQ(HttpReasonPhrase(413), "Content Too Large");
  EXPECT_EQ(HttpReasonPhrase(414), "URI Too Long");
  EXPECT_EQ(HttpReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(HttpReasonPhrase(503), "Service Unavailable");
  EXPECT_EQ(HttpReasonPhrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(HttpReasonPhrase(299), "Unknown");
}

}  // namespace
}  // namespace shardtrack
