#include "frontend/announce_request.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace shardtrack {
namespace {

using namespace std::string_literals;

// Every byte percent-escaped, as clients send binary infohashes.
std::string Escape(std::string_view raw) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : raw) {
    auto byte = static_cast<unsigned char>(c);
    out += '%';
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

const std::string kInfoHash =
    "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xff"s;
const std::string kPeerId = "-LT2000-abcdefghijkl";

// A valid announce's parameters, in order; tests change, drop or add some.
using Params = std::vector<std::pair<std::string, std::string>>;

Params ValidParams() {
  return {{"info_hash", Escape(kInfoHash)},
          {"peer_id", kPeerId},
          {"port", "6881"},
          {"uploaded", "100"},
          {"downloaded", "200"},
          {"left", "300"}};
}

std::string Join(const Params& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += key + "=" + value;
  }
  return out;
}

// `params` with `key` set to `value` (replaced where present, else appended).
Params Set(Params params, std::string_view key, std::string value) {
  for (auto& [k, v] : params) {
    if (k == key) {
      v = std::move(value);
      return params;
    }
  }
  params.emplace_back(key, std::move(value));
  return params;
}

Params With(std::string_view key, std::string value) {
  return Set(ValidParams(), key, std::move(value));
}

Params Without(std::string_view key) {
  Params params = ValidParams();
  std::erase_if(params, [key](const auto& param) { return param.first == key; });
  return params;
}

const IpAddress kPublicClient = *IpAddress::Parse("203.0.113.9");
const IpAddress kLoopbackClient = *IpAddress::Parse("127.0.0.1");

Result<ParsedAnnounce> Parse(const Params& params, const IpAddress& client = kPublicClient,
                             AnnounceOptions options = {}) {
  ParsedAnnounce parsed;
  if (Status status = ParseAnnounce(Join(params), client, options, parsed); !status) {
    return Error{status.error()};
  }
  return parsed;
}

// The error for `params`, which must be refused.
std::string ErrorFor(const Params& params) {
  auto parsed = Parse(params);
  EXPECT_FALSE(parsed.ok()) << Join(params);
  return parsed.ok() ? std::string() : parsed.error();
}

TEST(AnnounceRequestTest, ParsesValidAnnounce) {
  auto parsed = Parse(With("event", "started"));
  ASSERT_TRUE(parsed) << parsed.error();
  const proto::AnnounceRequest& request = parsed->request;
  EXPECT_EQ(request.info_hash(), kInfoHash);
  EXPECT_EQ(request.peer_id(), kPeerId);
  EXPECT_EQ(request.port(), 6881u);
  EXPECT_EQ(request.uploaded(), 100u);
  EXPECT_EQ(request.downloaded(), 200u);
  EXPECT_EQ(request.left(), 300u);
  EXPECT_EQ(request.event(), proto::EVENT_STARTED);
  EXPECT_EQ(request.ip(), kPublicClient.raw());
  EXPECT_EQ(request.numwant(), 50u);  // response_size
  EXPECT_TRUE(parsed->compact);
  EXPECT_FALSE(parsed->no_peer_id);
  EXPECT_FALSE(request.want_peer_ids());
}

TEST(AnnounceRequestTest, ReusedOutputKeepsNothingFromTheLastRequest) {
  Params first = Set(Set(Set(ValidParams(), "event", "completed"), "compact", "0"), "numwant", "7");
  first = Set(Set(first, "no_peer_id", "1"), "ip", "10.0.0.1");
  ParsedAnnounce parsed;
  ASSERT_TRUE(ParseAnnounce(Join(first), kLoopbackClient, {}, parsed));
  ASSERT_EQ(parsed.request.event(), proto::EVENT_COMPLETED);

  ASSERT_TRUE(ParseAnnounce(Join(ValidParams()), kPublicClient, {}, parsed));
  EXPECT_EQ(parsed.request.event(), proto::EVENT_NONE);
  EXPECT_EQ(parsed.request.numwant(), 50u);
  EXPECT_EQ(parsed.request.ip(), kPublicClient.raw());
  EXPECT_TRUE(parsed.compact);
  EXPECT_FALSE(parsed.no_peer_id);
}

TEST(AnnounceRequestTest, AcceptsParametersInAnyOrderAndIgnoresUnknownOnes) {
  Params params = ValidParams();
  std::reverse(params.begin(), params.end());
  params.emplace_back("key", "abcd");
  params.emplace_back("trackerid", "");
  params.emplace_back("supportcrypto", "1");
  params.emplace_back("key", "twice is fine for unknown keys");
  params.emplace_back("azver", "%zz");  // malformed escapes where nothing is read: no error
  params.emplace_back("%4", "1");
  auto parsed = Parse(params);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->request.info_hash(), kInfoHash);
  EXPECT_EQ(parsed->request.port(), 6881u);
}

TEST(AnnounceRequestTest, AcceptsLargestCountersAndExtremePorts) {
  Params params = With("uploaded", "9223372036854775807");  // 2^63 - 1, as UDP's signed field
  params = Set(params, "port", "65535");
  params = Set(params, "left", "0");
  auto parsed = Parse(params);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->request.uploaded(), 9223372036854775807u);
  EXPECT_EQ(parsed->request.left(), 0u);
  EXPECT_EQ(parsed->request.port(), 65535u);
  ASSERT_TRUE(Parse(With("port", "1")));
}

TEST(AnnounceRequestTest, MapsEveryEvent) {
  const std::vector<std::pair<std::string, proto::Event>> cases = {
      {"started", proto::EVENT_STARTED}, {"completed", proto::EVENT_COMPLETED},
      {"stopped", proto::EVENT_STOPPED}, {"", proto::EVENT_NONE},
      {"paused", proto::EVENT_NONE},     {"empty", proto::EVENT_NONE},  // BEP 3's word for none
  };
  for (const auto& [text, event] : cases) {
    auto parsed = Parse(With("event", text));
    ASSERT_TRUE(parsed) << text << ": " << parsed.error();
    EXPECT_EQ(parsed->request.event(), event) << text;
    EXPECT_EQ(parsed->request.partial_seed(), text == "paused") << text;  // BEP 21
  }
  EXPECT_EQ(Parse(ValidParams())->request.event(), proto::EVENT_NONE);
}

TEST(AnnounceRequestTest, NumwantDefaultsToResponseSizeAndIsCappedAtMaxGive) {
  AnnounceOptions options;
  options.response_size = 30;
  options.max_give = 80;
  EXPECT_EQ(Parse(ValidParams(), kPublicClient, options)->request.numwant(), 30u);
  EXPECT_EQ(Parse(With("numwant", "0"), kPublicClient, options)->request.numwant(), 0u);
  EXPECT_EQ(Parse(With("numwant", "79"), kPublicClient, options)->request.numwant(), 79u);
  EXPECT_EQ(Parse(With("numwant", "81"), kPublicClient, options)->request.numwant(), 80u);
  EXPECT_EQ(Parse(With("numwant", "4294967296"), kPublicClient, options)->request.numwant(),
            80u);  // not truncated to 32 bits first
  EXPECT_EQ(
      Parse(With("numwant", "99999999999999999999999"), kPublicClient, options)->request.numwant(),
      80u);
  options.response_size = 500;  // a default above the cap is capped too
  EXPECT_EQ(Parse(ValidParams(), kPublicClient, options)->request.numwant(), 80u);
}

TEST(AnnounceRequestTest, ANegativeNumwantAsksForTheDefault) {
  AnnounceOptions options;
  options.response_size = 30;
  for (const char* numwant : {"-1", "-200", "-99999999999999999999999"}) {
    auto parsed = Parse(With("numwant", numwant), kPublicClient, options);
    ASSERT_TRUE(parsed) << numwant << ": " << parsed.error();
    EXPECT_EQ(parsed->request.numwant(), 30u) << numwant;
  }
}

TEST(AnnounceRequestTest, RejectsBadNumwant) {
  for (const char* numwant : {"ten", "", "-", "--1", "+5", "-1x", "1.5"}) {
    EXPECT_EQ(ErrorFor(With("numwant", numwant)), "invalid numwant: must be an integer") << numwant;
  }
}

TEST(AnnounceRequestTest, CompactDefaultsToOneAndPeerIdsFollowNoPeerId) {
  auto compact = Parse(ValidParams());
  EXPECT_TRUE(compact->compact);
  EXPECT_FALSE(compact->request.want_peer_ids());

  auto dicts = Parse(With("compact", "0"));
  ASSERT_TRUE(dicts);
  EXPECT_FALSE(dicts->compact);
  EXPECT_FALSE(dicts->no_peer_id);
  EXPECT_TRUE(dicts->request.want_peer_ids());

  Params params = With("compact", "0");
  params.emplace_back("no_peer_id", "1");
  auto anonymous = Parse(params);
  ASSERT_TRUE(anonymous);
  EXPECT_TRUE(anonymous->no_peer_id);
  EXPECT_FALSE(anonymous->request.want_peer_ids());

  EXPECT_TRUE(Parse(With("compact", "1"))->compact);
  EXPECT_FALSE(Parse(With("no_peer_id", "0"))->no_peer_id);
}

TEST(AnnounceRequestTest, RejectsBadCompactAndNoPeerId) {
  EXPECT_EQ(ErrorFor(With("compact", "2")), "invalid compact: must be 0 or 1");
  EXPECT_EQ(ErrorFor(With("compact", "")), "invalid compact: must be 0 or 1");
  EXPECT_EQ(ErrorFor(With("no_peer_id", "yes")), "invalid no_peer_id: must be 0 or 1");
}

TEST(AnnounceRequestTest, RejectsUnknownEvent) {
  EXPECT_EQ(ErrorFor(With("event", "begun")),
            "invalid event: must be started, completed, stopped, paused, empty or absent");
  EXPECT_EQ(ErrorFor(With("event", "Started")),
            "invalid event: must be started, completed, stopped, paused, empty or absent");
}

TEST(AnnounceRequestTest, RejectsMissingRequiredFields) {
  for (const char* field : {"info_hash", "peer_id", "port", "uploaded", "downloaded", "left"}) {
    EXPECT_EQ(ErrorFor(Without(field)), "missing "s + field);
  }
  ParsedAnnounce parsed;
  EXPECT_EQ(ParseAnnounce("", kPublicClient, {}, parsed).error(), "missing info_hash");
}

TEST(AnnounceRequestTest, RejectsIdsThatAreNot20Bytes) {
  for (const char* field : {"info_hash", "peer_id"}) {
    SCOPED_TRACE(field);
    std::string expected = "invalid "s + field + ": must be 20 bytes";
    EXPECT_EQ(ErrorFor(With(field, Escape(kInfoHash.substr(0, 19)))), expected);
    EXPECT_EQ(ErrorFor(With(field, Escape(kInfoHash + "x"))), expected);
    EXPECT_EQ(ErrorFor(With(field, "")), expected);
    // 20 characters of which one is an escape: 18 decoded bytes.
    EXPECT_EQ(ErrorFor(With(field, "%41" + std::string(17, 'a'))), expected);
    // 40 hex digits, as a hand-made announce sends them: told how to send the bytes.
    EXPECT_EQ(ErrorFor(With(field, "0123456789abcdef0123456789ABCDEF01234567")),
              expected + ", not 40 hex digits: percent-encode each byte (%12%34...)");
  }
}

TEST(AnnounceRequestTest, RejectsMalformedEscapesNamingTheField) {
  EXPECT_EQ(ErrorFor(With("info_hash", Escape(kInfoHash.substr(0, 19)) + "%f")),
            "invalid info_hash: malformed percent-escape");
  EXPECT_EQ(ErrorFor(With("peer_id", std::string(19, 'a') + "%zz")),
            "invalid peer_id: malformed percent-escape");
}

TEST(AnnounceRequestTest, RejectsBadPorts) {
  for (const char* port : {"0", "65536", "-1", "abc", "", " 80", "80 ", "+80", "0x50", "1e3",
                           "99999999999999999999999"}) {
    EXPECT_EQ(ErrorFor(With("port", port)), "invalid port: must be 1..65535") << port;
  }
}

TEST(AnnounceRequestTest, RejectsBadCounters) {
  for (const char* field : {"uploaded", "downloaded", "left"}) {
    std::string expected = "invalid "s + field + ": must be a non-negative integer";
    for (const char* value :
         {"-1", "", "12a", "1.5", "+5", "9223372036854775808", "18446744073709551615",
          "18446744073709551616", "99999999999999999999999"}) {
      EXPECT_EQ(ErrorFor(With(field, value)), expected) << field << "=" << value;
    }
  }
}

TEST(AnnounceRequestTest, RejectsAKnownParameterGivenTwice) {
  for (const auto& [key, value] : ValidParams()) {
    Params params = ValidParams();
    params.emplace_back(key, value);
    EXPECT_EQ(ErrorFor(params), "duplicate " + key);
  }
  Params events = With("event", "started");
  events.emplace_back("event", "started");
  EXPECT_EQ(ErrorFor(events), "duplicate event");
  Params escaped = ValidParams();
  escaped.emplace_back("p%6Frt", "1");  // "port", spelled with an escape
  EXPECT_EQ(ErrorFor(escaped), "duplicate port");
}

TEST(AnnounceRequestTest, LocalOverrideBelievesIpFromLocalSourcesOnly) {
  AnnounceOptions options;
  options.ip_override = IpOverride::kLocal;
  Params params = With("ip", "198.51.100.7");
  std::string claimed = IpAddress::Parse("198.51.100.7")->ToString();
  for (const char* local : {"127.0.0.1", "10.1.2.3", "192.168.0.5", "::1"}) {
    auto parsed = Parse(params, *IpAddress::Parse(local), options);
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(IpAddress::FromRaw(parsed->request.ip())->ToString(), claimed) << local;
  }
  for (const char* remote : {"203.0.113.9", "8.8.8.8", "2001:db8::1"}) {
    auto client = *IpAddress::Parse(remote);
    auto parsed = Parse(params, client, options);
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->request.ip(), client.raw()) << remote;
  }
}

TEST(AnnounceRequestTest, AlwaysAndNeverOverride) {
  AnnounceOptions always;
  always.ip_override = IpOverride::kAlways;
  auto believed = Parse(With("ip", "198.51.100.7"), kPublicClient, always);
  ASSERT_TRUE(believed);
  EXPECT_EQ(believed->request.ip(), IpAddress::Parse("198.51.100.7")->raw());
  auto v6 = Parse(With("ip", "2001:db8::5"), kPublicClient, always);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->request.ip(), IpAddress::Parse("2001:db8::5")->raw());
  EXPECT_EQ(v6->request.ip().size(), 16u);

  AnnounceOptions never;
  never.ip_override = IpOverride::kNever;
  auto ignored = Parse(With("ip", "198.51.100.7"), kLoopbackClient, never);
  ASSERT_TRUE(ignored);
  EXPECT_EQ(ignored->request.ip(), kLoopbackClient.raw());
}

TEST(AnnounceRequestTest, IgnoresIpThatIsNotAPeersAddress) {
  AnnounceOptions always;
  always.ip_override = IpOverride::kAlways;
  for (const char* ip : {"tracker.example.com", "", "1.2.3", "300.1.1.1", "1.2.3.4:80", "0.0.0.0",
                         "255.255.255.255", "224.0.0.1", "::", "ff02::1",
                         // Link-local: reachable on the claimant's own link only, and without
                         // its interface not even there.
                         "169.254.1.1", "fe80::1", "febf::1"}) {
    auto parsed = Parse(With("ip", ip), kPublicClient, always);
    ASSERT_TRUE(parsed) << ip << ": " << parsed.error();
    EXPECT_EQ(parsed->request.ip(), kPublicClient.raw()) << ip;
  }
}

TEST(AnnounceRequestTest, Ipv6ClientGivesSixteenByteIp) {
  auto client = *IpAddress::Parse("2001:db8::42");
  auto parsed = Parse(ValidParams(), client);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->request.ip().size(), 16u);
  EXPECT_EQ(parsed->request.ip(), client.raw());
  EXPECT_EQ(Parse(ValidParams())->request.ip().size(), 4u);
}

}  // namespace
}  // namespace shardtrack
