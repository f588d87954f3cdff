#include "common/http/http_request_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace shardtrack {
namespace {

using namespace std::string_literals;
using State = HttpRequestParser::State;

// What one Feed sequence produced, in a form two sequences can be compared by.
struct Outcome {
  State state = State::kIncomplete;
  std::size_t consumed = 0;
  int error_status = 0;
  HttpRequest request;
};

Outcome Summarize(const HttpRequestParser& parser, std::size_t consumed) {
  Outcome out;
  out.state = parser.state();
  out.consumed = consumed;
  if (out.state == State::kError) out.error_status = parser.error().status;
  if (out.state == State::kComplete) out.request = parser.request();
  return out;
}

Outcome FeedWhole(std::string_view bytes, HttpLimits limits = {}) {
  HttpRequestParser parser(limits);
  auto result = parser.Feed(bytes);
  EXPECT_EQ(result.state, parser.state());
  return Summarize(parser, result.consumed);
}

Outcome FeedByteByByte(std::string_view bytes, HttpLimits limits = {}) {
  HttpRequestParser parser(limits);
  std::size_t consumed = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto result = parser.Feed(bytes.substr(i, 1));
    consumed += result.consumed;
    if (result.state == State::kIncomplete) {
      EXPECT_EQ(result.consumed, 1u) << "an incomplete feed consumes every byte";
    } else {
      break;
    }
  }
  return Summarize(parser, consumed);
}

HttpRequest ParseOk(std::string_view bytes) {
  HttpRequestParser parser;
  auto result = parser.Feed(bytes);
  EXPECT_EQ(result.state, State::kComplete) << bytes << " -> " << parser.error().reason;
  EXPECT_EQ(result.consumed, bytes.size());
  return parser.request();
}

int ParseError(std::string_view bytes, HttpLimits limits = {}) {
  HttpRequestParser parser(limits);
  auto result = parser.Feed(bytes);
  EXPECT_EQ(result.state, State::kError) << bytes;
  EXPECT_FALSE(parser.error().reason.empty());
  return parser.error().status;
}

TEST(HttpRequestParserTest, ParsesGet) {
  HttpRequest request = ParseOk("GET /announce?a=1&b=2 HTTP/1.1\r\nHost: tracker\r\n\r\n");
  EXPECT_EQ(request.method, HttpMethod::kGet);
  EXPECT_EQ(request.target, "/announce?a=1&b=2");
  EXPECT_EQ(request.path(), "/announce");
  EXPECT_EQ(request.query(), "a=1&b=2");
  EXPECT_EQ(request.version_minor, 1);
  EXPECT_TRUE(request.forwarded_for.empty());
  EXPECT_FALSE(request.accepts_gzip);
}

TEST(HttpRequestParserTest, ParsesHead) {
  HttpRequest request = ParseOk("HEAD /scrape HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(request.method, HttpMethod::kHead);
  EXPECT_EQ(request.path(), "/scrape");
  EXPECT_EQ(request.query(), "");
}

TEST(HttpRequestParserTest, QueryStopsAtFragment) {
  HttpRequest request = ParseOk("GET /scrape?x=1#frag HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(request.path(), "/scrape");
  EXPECT_EQ(request.query(), "x=1");
}

TEST(HttpRequestParserTest, AcceptsAbsoluteFormTarget) {
  HttpRequest request =
      ParseOk("GET http://tracker.example:6969/announce?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(request.target, "http://tracker.example:6969/announce?x=1");
  EXPECT_EQ(request.path(), "/announce");
  EXPECT_EQ(request.query(), "x=1");

  HttpRequest no_path = ParseOk("GET HTTP://tracker.example?y=2 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(no_path.path(), "/");
  EXPECT_EQ(no_path.query(), "y=2");
}

TEST(HttpRequestParserTest, Http10ClosesByDefaultAndKeepsAliveOnRequest) {
  EXPECT_FALSE(ParseOk("GET / HTTP/1.0\r\n\r\n").keep_alive);
  HttpRequest kept = ParseOk("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  EXPECT_EQ(kept.version_minor, 0);
  EXPECT_TRUE(kept.keep_alive);
}

TEST(HttpRequestParserTest, Http11KeepsAliveByDefaultAndClosesOnRequest) {
  EXPECT_TRUE(ParseOk("GET / HTTP/1.1\r\nHost: h\r\n\r\n").keep_alive);
  EXPECT_FALSE(ParseOk("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").keep_alive);
  EXPECT_FALSE(ParseOk("GET / HTTP/1.1\r\nHost: h\r\nconnection: TE, Close\r\n\r\n").keep_alive);
  // close wins over keep-alive.
  EXPECT_FALSE(
      ParseOk("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
}

TEST(HttpRequestParserTest, MatchesHeaderNamesInAnyCaseAndTrimsValues) {
  HttpRequest request = ParseOk(
      "GET / HTTP/1.1\r\nHost: h\r\nUser-AGENT: \t  libtorrent/2.0 \t\r\nX-Empty:\r\n"
      "x-FORWARDED-for: \t 203.0.113.7 \t\r\nCONNECTION:  Close \r\n\r\n");
  EXPECT_EQ(request.forwarded_for, "203.0.113.7");
  EXPECT_FALSE(request.keep_alive);
}

TEST(HttpRequestParserTest, JoinsRepeatedForwardedFor) {
  HttpRequest request = ParseOk(
      "GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.1, 10.0.0.1\r\nHost: h\r\n"
      "x-forwarded-for:  198.51.100.2 \r\n\r\n");
  EXPECT_EQ(request.forwarded_for, "203.0.113.1, 10.0.0.1, 198.51.100.2");
}

bool AcceptsGzip(const std::string& accept_encoding_lines) {
  return ParseOk("GET /scrape HTTP/1.1\r\nHost: h\r\n" + accept_encoding_lines + "\r\n")
      .accepts_gzip;
}

TEST(HttpRequestParserTest, AcceptEncodingTakesGzipUnlessItsWeightIsZero) {
  EXPECT_TRUE(AcceptsGzip("Accept-Encoding: gzip\r\n"));
  EXPECT_TRUE(AcceptsGzip("accept-encoding: deflate, GZIP;q=0.5, br\r\n"));
  EXPECT_TRUE(AcceptsGzip("Accept-Encoding: x-gzip ; Q=1.000\r\n"));
  EXPECT_TRUE(AcceptsGzip("Accept-Encoding: *\r\n"));
  EXPECT_TRUE(AcceptsGzip("Accept-Encoding: br\r\nAccept-Encoding: gzip;q=0.001\r\n"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("Accept-Encoding: identity, deflate, br\r\n"));
  EXPECT_FALSE(AcceptsGzip("Accept-Encoding: gzip;q=0\r\n"));
  EXPECT_FALSE(AcceptsGzip("Accept-Encoding: gzip; q=0.000, deflate\r\n"));
  EXPECT_FALSE(AcceptsGzip("Accept-Encoding: *, gzip;q=0\r\n")) << "gzip's own weight decides";
  EXPECT_FALSE(AcceptsGzip("Accept-Encoding: *;q=0\r\n"));
  EXPECT_FALSE(AcceptsGzip("Accept-Encoding: gzipped, xgzip\r\n"));
  for (const char* malformed : {"gzip;q=", "gzip;q=2", "gzip;q=1.5", "gzip;q=0.0001", "gzip;q=x",
                                "gzip;q=.5", "gzip;q=0.5.5"}) {
    EXPECT_FALSE(AcceptsGzip("Accept-Encoding: " + std::string(malformed) + "\r\n")) << malformed;
  }
  EXPECT_TRUE(AcceptsGzip("Accept-Encoding: gzip;level=9;q=0.1\r\n"));
}

TEST(HttpRequestParserTest, EmptyLinesBeforeARequestBeginIt) {
  HttpRequestParser parser;
  EXPECT_FALSE(parser.midway());
  EXPECT_EQ(parser.Feed("\r\n\n").state, State::kIncomplete);
  EXPECT_TRUE(parser.midway()) << "else a client sending only empty lines meets no timeout";
  parser.Reset();
  EXPECT_FALSE(parser.midway());
}

TEST(HttpRequestParserTest, AcceptsBareLineFeedLineEnds) {
  // Documented behaviour: a line ends at LF; a CR before it is dropped when present.
  HttpRequest request = ParseOk("GET /a HTTP/1.1\nHost: h\nX-Forwarded-For: h\n\n");
  EXPECT_EQ(request.path(), "/a");
  EXPECT_EQ(request.forwarded_for, "h");
  HttpRequest mixed = ParseOk("GET /b HTTP/1.1\r\nHost: h\n\r\n");
  EXPECT_EQ(mixed.path(), "/b");
}

TEST(HttpRequestParserTest, IgnoresEmptyLinesBeforeRequestLine) {
  HttpRequest request = ParseOk("\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(request.path(), "/c");
}

TEST(HttpRequestParserTest, IncompleteUntilBlankLine) {
  HttpRequestParser parser;
  auto result = parser.Feed("GET / HTTP/1.1\r\nHost: h\r\n");
  EXPECT_EQ(result.state, State::kIncomplete);
  EXPECT_EQ(result.consumed, 25u);
  result = parser.Feed("\r\n");
  EXPECT_EQ(result.state, State::kComplete);
  EXPECT_EQ(result.consumed, 2u);
}

TEST(HttpRequestParserTest, ParsesPipelinedRequestsFromOneBuffer) {
  std::string buffer =
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
      "HEAD /2 HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\nAccept-Encoding: gzip\r\n\r\n"
      "GET /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
      "GET /4 HTT";  // the start of a fourth
  HttpRequestParser parser;
  std::vector<std::string> paths;
  while (true) {
    auto result = parser.Feed(buffer);
    buffer.erase(0, result.consumed);
    if (result.state != State::kComplete) {
      EXPECT_EQ(result.state, State::kIncomplete);
      break;
    }
    const HttpRequest& request = parser.request();
    paths.emplace_back(request.path());
    if (paths.size() == 2) {
      EXPECT_EQ(request.method, HttpMethod::kHead);
      EXPECT_FALSE(request.forwarded_for.empty());
      EXPECT_TRUE(request.accepts_gzip);
    } else {
      EXPECT_EQ(request.method, HttpMethod::kGet);
      EXPECT_TRUE(request.forwarded_for.empty()) << "state leaked across Reset()";
      EXPECT_FALSE(request.accepts_gzip) << "state leaked across Reset()";
      EXPECT_EQ(request.keep_alive, paths.size() != 3);
    }
    parser.Reset();
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/1", "/2", "/3"}));
  EXPECT_TRUE(buffer.empty());
  auto rest = parser.Feed("P/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(rest.state, State::kComplete);
  EXPECT_EQ(parser.request().path(), "/4");
}

TEST(HttpRequestParserTest, FeedAfterCompleteConsumesNothingUntilReset) {
  HttpRequestParser parser;
  ASSERT_EQ(parser.Feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n").state, State::kComplete);
  auto again = parser.Feed("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(again.state, State::kComplete);
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_EQ(parser.request().path(), "/");
}

TEST(HttpRequestParserTest, RefusesOtherMethodsWith405) {
  EXPECT_EQ(ParseError("POST /announce HTTP/1.1\r\nHost: h\r\n\r\n"), 405);
  EXPECT_EQ(ParseError("PUT / HTTP/1.1\r\nHost: h\r\n\r\n"), 405);
  EXPECT_EQ(ParseError("get / HTTP/1.1\r\nHost: h\r\n\r\n"), 405);  // methods are case-sensitive
  EXPECT_EQ(ParseError("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"), 405);
  EXPECT_EQ(ParseError("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n"), 405);
}

TEST(HttpRequestParserTest, RefusesLongRequestLineWith414) {
  HttpLimits limits;
  limits.max_request_line = 32;
  std::string at_limit = "GET /" + std::string(32 - 14, 'a') + " HTTP/1.1";
  ASSERT_EQ(at_limit.size(), 32u);
  HttpRequestParser parser(limits);
  EXPECT_EQ(parser.Feed(at_limit + "\r\nHost: h\r\n\r\n").state, State::kComplete);
  std::string over = "GET /" + std::string(32 - 13, 'a') + " HTTP/1.1";
  EXPECT_EQ(ParseError(over + "\r\n\r\n", limits), 414);
  // Without its line end yet: refused as soon as it cannot fit.
  EXPECT_EQ(ParseError(over, limits), 414);
}

TEST(HttpRequestParserTest, RefusesLargeHeadersWith431) {
  HttpLimits limits;
  limits.max_header_bytes = 20;
  std::string ten = "A: 1234567";  // 10 bytes without the line end
  HttpRequestParser parser(limits);
  EXPECT_EQ(parser.Feed("GET / HTTP/1.0\r\n" + ten + "\r\n" + ten + "\r\n\r\n").state,
            State::kComplete);
  EXPECT_EQ(ParseError("GET / HTTP/1.0\r\n" + ten + "\r\n" + ten + "8\r\n\r\n", limits), 431);
  EXPECT_EQ(ParseError("GET / HTTP/1.0\r\n" + std::string(21, 'x'), limits), 431);
}

TEST(HttpRequestParserTest, RefusesBodiesWith413) {
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"), 413);
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), 413);
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"),
            413);
  // A body whose last coding is not chunked has no knowable length (RFC 9112 section 6.3).
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            400);
  EXPECT_EQ(ParseError("GET / HTTP/1.0\r\nTransfer-Encoding: identity\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost: h\r\ncontent-length: 0001\r\n\r\n"), 413);
  // An empty body is no body.
  EXPECT_EQ(ParseOk("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").path(), "/");
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"), 400);
}

TEST(HttpRequestParserTest, RefusesMalformedLinesWith400) {
  EXPECT_EQ(ParseError("GET\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET /\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET announce HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET ftp://host/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost: h\r\nno colon\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost: h\r\n: empty name\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost: h\r\nA: b\0c\r\n\r\n"s), 400);
}

TEST(HttpRequestParserTest, RefusesUnsupportedVersionWith505AndGarbageWith400) {
  // A well-formed HTTP-version this server does not speak: 505.
  EXPECT_EQ(ParseError("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(ParseError("GET / HTTP/0.9\r\n\r\n"), 505);
  // Not an HTTP-version at all: the request line is malformed, 400 (RFC 9112 section 3).
  EXPECT_EQ(ParseError("GET / HTTP/1.10\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET / garbage!\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET / http/1.1\r\n\r\n"), 400);
}

TEST(HttpRequestParserTest, TakesALaterMinorVersionAsHttp11) {
  HttpRequest request = ParseOk("GET /announce HTTP/1.2\r\nHost: h\r\n\r\n");
  EXPECT_EQ(request.version_minor, 1);
  EXPECT_TRUE(request.keep_alive);
  EXPECT_EQ(ParseOk("GET / HTTP/1.9\r\nHost: h\r\n\r\n").version_minor, 1);
}

TEST(HttpRequestParserTest, AnHttp11RequestNeedsOneWellFormedHost) {
  EXPECT_EQ(ParseError("GET /announce HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nHost: tracker/x\r\n\r\n"), 400);
  // HTTP/1.0 needs none; an empty one, a port and an IPv6 literal are well formed.
  EXPECT_EQ(ParseOk("GET / HTTP/1.0\r\n\r\n").path(), "/");
  EXPECT_EQ(ParseOk("GET / HTTP/1.1\r\nHost:\r\n\r\n").path(), "/");
  EXPECT_EQ(ParseOk("GET / HTTP/1.1\r\nHOST: tracker.example:6969\r\n\r\n").path(), "/");
  EXPECT_EQ(ParseOk("GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n").path(), "/");
}

TEST(HttpRequestParserTest, ErrorStopsConsuming) {
  HttpRequestParser parser;
  auto result = parser.Feed("POST / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(result.state, State::kError);
  EXPECT_EQ(parser.Feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n").consumed, 0u);
  parser.Reset();
  EXPECT_EQ(parser.Feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n").state, State::kComplete);
}

// Every request, fed one byte at a time, parses exactly as when fed whole.
TEST(HttpRequestParserTest, ByteByByteFeedingMatchesWholeFeeding) {
  HttpLimits small;
  small.max_request_line = 40;
  small.max_header_bytes = 30;
  struct Case {
    std::string bytes;
    HttpLimits limits;
  };
  const std::vector<Case> cases = {
      {"GET /announce?info_hash=%01 HTTP/1.1\r\nHost: t\r\n\r\n", {}},
      {"HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", {}},
      {"GET / HTTP/1.1\nHost: h\nA:  b \nX-Forwarded-For: 1.1.1.1\nx-forwarded-for: 2.2.2.2\n\n",
       {}},
      {"\r\n\r\nGET http://h/p?q HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
       {}},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", {}},
      {"POST / HTTP/1.1\r\nHost: h\r\n\r\n", {}},
      {"GET / HTTP/2.0\r\n\r\n", {}},
      {"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", {}},
      {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", {}},
      {"GET / HTTP/1.1\r\nHost: h\r\nbad header\r\n\r\n", {}},
      {"GET /" + std::string(40, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", small},
      {"GET /" + std::string(26, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", small},  // exactly 40
      {"GET /" + std::string(27, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", small},  // 41
      {"GET / HTTP/1.0\r\nA: " + std::string(27, 'b') + "\r\n\r\n", small},      // exactly 30
      {"GET / HTTP/1.0\r\nA: " + std::string(28, 'b') + "\r\n\r\n", small},      // 31
      {"GET / HTTP/1.0\r\nA: 1234567\r\nB: 1234567\r\nC: 1234567\r\n\r\n", small},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bytes);
    Outcome whole = FeedWhole(c.bytes, c.limits);
    Outcome pieces = FeedByteByByte(c.bytes, c.limits);
    EXPECT_EQ(pieces.state, whole.state);
    EXPECT_EQ(pieces.error_status, whole.error_status);
    if (whole.state == State::kComplete) {
      EXPECT_EQ(pieces.consumed, whole.consumed);
      EXPECT_EQ(pieces.request.method, whole.request.method);
      EXPECT_EQ(pieces.request.target, whole.request.target);
      EXPECT_EQ(pieces.request.path(), whole.request.path());
      EXPECT_EQ(pieces.request.query(), whole.request.query());
      EXPECT_EQ(pieces.request.version_minor, whole.request.version_minor);
      EXPECT_EQ(pieces.request.keep_alive, whole.request.keep_alive);
      EXPECT_EQ(pieces.request.forwarded_for, whole.request.forwarded_for);
    }
  }
}

// Every request a connection's bytes make, parsed the way HttpServer feeds them: the unconsumed
// bytes kept and fed again with the next chunk, Reset() after each complete request. `chunks`
// (sizes, used in turn) splits the arrival; empty: everything at once.
std::vector<std::string> ParseConnection(std::string_view bytes,
                                         const std::vector<std::size_t>& chunks) {
  HttpRequestParser parser(HttpLimits{48, 40});  // small: mutated lines often cross them
  std::vector<std::string> seen;
  std::string pending;
  std::size_t arrived = 0;
  for (std::size_t turn = 0; arrived < bytes.size(); ++turn) {
    const std::size_t size = chunks.empty() ? bytes.size() : chunks[turn % chunks.size()];
    pending.append(bytes.substr(arrived, size));
    arrived += std::min(size, bytes.size() - arrived);
    while (!pending.empty()) {
      const auto [state, consumed] = parser.Feed(pending);
      pending.erase(0, consumed);
      if (state == State::kIncomplete) break;
      if (state == State::kError) {
        seen.push_back("error " + std::to_string(parser.error().status));
        return seen;
      }
      const HttpRequest& request = parser.request();
      seen.push_back((request.method == HttpMethod::kHead ? "HEAD " : "GET ") + request.target +
                     " 1." + std::to_string(request.version_minor) +
                     (request.keep_alive ? " keep-alive " : " close ") +
                     (request.forwarded_for.empty() ? "-" : request.forwarded_for));
      parser.Reset();
    }
  }
  seen.push_back(parser.midway() ? "midway" : "idle");
  return seen;
}

// The same bytes in random pieces parse as they do whole, for requests that are mutated into
// every kind of malformed (seeded: a failure names the seed and the case, and repeats).
TEST(HttpRequestParserTest, RandomPiecesOfMutatedRequestsParseAsTheWhole) {
  const std::vector<std::string> seeds = {
      "GET /announce?info_hash=%01&port=1 HTTP/1.1\r\nHost: t\r\n\r\n",
      "HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET / HTTP/1.1\nHost: h\nX-Forwarded-For: 1.1.1.1\nx-forwarded-for: 2.2.2.2\n\n",
      "\r\nGET http://h/p?q HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /n "
      "HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nA: b\r\n\r\n",
  };
  constexpr unsigned kSeed = 20261204;
  std::mt19937 random(kSeed);
  const auto below = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  const std::string alphabet = "GETHEAD /?%:\r\n\0HTTP/1.01xX-aZ\t ,";
  for (int trial = 0; trial < 20000; ++trial) {
    std::string bytes = seeds[below(seeds.size())];
    for (std::size_t edits = below(5); edits > 0; --edits) {
      const std::size_t at = below(bytes.size() + 1);
      switch (below(4)) {
        case 0:  // replace a byte
          if (at < bytes.size()) bytes[at] = alphabet[below(alphabet.size())];
          break;
        case 1:  // drop some
          bytes.erase(at, below(8));
          break;
        case 2:  // repeat a piece (long lines, many headers)
          bytes.insert(at, bytes.substr(at, below(30)) + bytes.substr(at, below(30)));
          break;
        default:  // insert a byte
          bytes.insert(at, 1, alphabet[below(alphabet.size())]);
      }
    }
    std::vector<std::size_t> pieces;
    for (std::size_t n = 1 + below(6); n > 0; --n) pieces.push_back(1 + below(12));
    SCOPED_TRACE("seed " + std::to_string(kSeed) + ", trial " + std::to_string(trial));
    EXPECT_EQ(ParseConnection(bytes, pieces), ParseConnection(bytes, {})) << bytes;
  }
}

}  // namespace
}  // namespace shardtrack
