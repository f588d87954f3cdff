// HttpRequestParser, fed as HttpServer::ParseRequests feeds it (pipelined requests, Reset after
// each complete one), once with the whole input and once in random-sized chunks appended to a
// connection buffer. The header promises both give the same outcome. Also exercises path(),
// query(), TrackerRouteOf and FindPasskey on every complete request.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/http/http_request_parser.h"
#include "frontend/tracker_route.h"
#include "tests/fuzz/fuzz_check.h"

namespace shardtrack {
namespace {

struct Outcome {
  std::vector<std::string> events;  // one per complete request or error
  bool operator==(const Outcome&) const = default;
};

// What the server would see of a complete request, as text to compare runs by.
std::string Describe(const HttpRequest& request) {
  FUZZ_CHECK(request.path_begin <= request.target.size());  // path() lies within target
  FUZZ_CHECK(request.path_size == 0 ||
             request.path_begin + request.path_size <= request.target.size());
  const PasskeyPath split = FindPasskey(request.path(), request.query());
  return "OK method=" + std::to_string(static_cast<int>(request.method)) +
         " target=" + request.target + " minor=" + std::to_string(request.version_minor) +
         " keep-alive=" + std::to_string(request.keep_alive) +
         " gzip=" + std::to_string(request.accepts_gzip) + " xff=[" + request.forwarded_for +
         "] path=" + std::string(request.path()) + " query=" + std::string(request.query()) +
         " route=" + std::string(TrackerRouteOf(request.path()).value_or("-")) +
         " passkey=" + std::string(split.route) + "|" + std::string(split.passkey);
}

// HttpServer::ParseRequests without the pipeline limit: returns false once the connection ends.
bool ParseRequests(HttpRequestParser& parser, std::string& input, Outcome& out) {
  std::size_t parsed = 0;
  while (parsed < input.size()) {
    auto [state, consumed] = parser.Feed(std::string_view(input).substr(parsed));
    FUZZ_CHECK(consumed <= input.size() - parsed);
    parsed += consumed;
    if (state == HttpRequestParser::State::kIncomplete) {
      FUZZ_CHECK(parsed == input.size());  // the header: every byte consumed on kIncomplete
      break;
    }
    if (state == HttpRequestParser::State::kError) {
      const HttpError& error = parser.error();
      out.events.push_back("ERR " + std::to_string(error.status) + " " + error.reason +
                           " head=" + std::to_string(parser.request().method == HttpMethod::kHead));
      input.clear();
      return false;
    }
    out.events.push_back(Describe(parser.request()));
    if (!parser.request().keep_alive) {
      input.clear();
      return false;
    }
    parser.Reset();
  }
  input.erase(0, parsed);
  return true;
}

Outcome Run(std::string_view data, const std::vector<std::size_t>& cuts, HttpLimits limits) {
  HttpRequestParser parser(limits);
  Outcome out;
  std::string input;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    input.append(data.substr(at, cut - at));
    at = cut;
    if (!ParseRequests(parser, input, out)) return out;
  }
  input.append(data.substr(at));
  if (ParseRequests(parser, input, out)) {
    out.events.push_back(parser.midway() ? "MIDWAY" : "IDLE");
  }
  return out;
}

}  // namespace
}  // namespace shardtrack

// Input: a seed byte for the chunk sizes, a byte whose low bit asks for small limits, then the
// bytes a connection sends.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace shardtrack;
  if (size < 2) return 0;
  const std::uint8_t seed = bytes[0];
  const bool small_limits = bytes[1] & 1;
  std::string_view data(reinterpret_cast<const char*>(bytes) + 2, size - 2);
  HttpLimits limits;
  if (small_limits) limits = {64, 128};

  Outcome whole = Run(data, {}, limits);

  // Chunk boundaries from a small PRNG seeded by the first byte; also byte by byte.
  std::vector<std::size_t> cuts;
  std::uint32_t x = seed * 2654435761u + 1;
  for (std::size_t at = 0;;) {
    x = x * 1103515245u + 12345u;
    at += 1 + (x >> 16) % 17;
    if (at >= data.size()) break;
    cuts.push_back(at);
  }
  Outcome chunked = Run(data, cuts, limits);
  std::vector<std::size_t> each;
  for (std::size_t i = 1; i < data.size() && data.size() < 2048; ++i) each.push_back(i);
  Outcome bytewise = Run(data, each, limits);

  if (!(whole == chunked) || !(whole == bytewise)) {
    auto dump = [](const char* name, const Outcome& outcome) {
      std::fprintf(stderr, "%s:\n", name);
      for (const auto& event : outcome.events) std::fprintf(stderr, "  %s\n", event.c_str());
    };
    dump("whole", whole);
    dump("chunked", chunked);
    dump("bytewise", bytewise);
    std::abort();
  }
  return 0;
}
