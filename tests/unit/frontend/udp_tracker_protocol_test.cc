#include "frontend/udp/udp_tracker_protocol.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "common/clock.h"
#include "frontend/udp/udp_connection_ids.h"

namespace shardtrack {
namespace {

using namespace std::string_literals;

const std::string kInfoHash(20, '\xab');
const std::string kPeerId = "-LT2000-abcdefghijkl";

void Put(std::uint64_t value, std::size_t bytes, std::string& out) {
  for (std::size_t i = bytes; i-- > 0;) out.push_back(static_cast<char>(value >> (8 * i)));
}

std::uint64_t Get(std::string_view data, std::size_t at, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) {
    value = value << 8 | static_cast<unsigned char>(data[at + i]);
  }
  return value;
}

std::string Header(std::uint64_t connection_id, std::uint32_t action, std::uint32_t tid) {
  std::string out;
  Put(connection_id, 8, out);
  Put(action, 4, out);
  Put(tid, 4, out);
  return out;
}

struct AnnounceFields {
  std::int64_t downloaded = 200;
  std::int64_t left = 300;
  std::int64_t uploaded = 100;
  std::uint32_t event = 2;
  std::string ip = "\0\0\0\0"s;
  std::int32_t num_want = -1;
  std::uint16_t port = 6881;
};

std::string Announce(const AnnounceFields& f) {
  std::string out = Header(77, 1, 0x01020304);
  out += kInfoHash;
  out += kPeerId;
  Put(static_cast<std::uint64_t>(f.downloaded), 8, out);
  Put(static_cast<std::uint64_t>(f.left), 8, out);
  Put(static_cast<std::uint64_t>(f.uploaded), 8, out);
  Put(f.event, 4, out);
  out += f.ip;
  Put(0xdeadbeef, 4, out);  // key
  Put(static_cast<std::uint32_t>(f.num_want), 4, out);
  Put(f.port, 2, out);
  return out;
}

const IpAddress kPublic = *IpAddress::Parse("203.0.113.5");
const IpAddress kLocal = *IpAddress::Parse("192.168.1.2");

UdpParseOptions Options() {
  UdpParseOptions options;
  options.announce = {50, 200, IpOverride::kLocal};
  return options;
}

std::optional<UdpRequest> Parse(std::string_view datagram, const IpAddress& client,
                                const UdpParseOptions& options) {
  UdpRequest request;
  if (!ParseUdpRequest(datagram, client, options, request)) return std::nullopt;
  return request;
}

TEST(UdpTrackerProtocolTest, ParsesConnectWithTheProtocolId) {
  auto request = Parse(Header(kUdpProtocolId, 0, 42), kPublic, Options());
  ASSERT_TRUE(request);
  EXPECT_EQ(request->action, UdpAction::kConnect);
  EXPECT_EQ(request->transaction_id, 42u);
  EXPECT_TRUE(request->error.empty());
}

TEST(UdpTrackerProtocolTest, RefusesConnectWithABadProtocolId) {
  auto request = Parse(Header(0x41727101981, 0, 42), kPublic, Options());
  ASSERT_TRUE(request);
  EXPECT_EQ(request->transaction_id, 42u);
  EXPECT_EQ(request->error, "bad protocol id");
}

TEST(UdpTrackerProtocolTest, DropsDatagramsShorterThanAHeader) {
  std::string header = Header(kUdpProtocolId, 0, 42);
  for (std::size_t n = 0; n < header.size(); ++n) {
    EXPECT_FALSE(Parse(header.substr(0, n), kPublic, Options())) << n;
  }
}

TEST(UdpTrackerProtocolTest, RefusesAnnouncesShorterThan98Bytes) {
  std::string full = Announce({});
  for (std::size_t n = 16; n < full.size(); ++n) {
    auto request = Parse(full.substr(0, n), kPublic, Options());
    ASSERT_TRUE(request) << n;
    EXPECT_EQ(request->error, "announce too short") << n;
  }
}

TEST(UdpTrackerProtocolTest, RefusesAnUnknownAction) {
  auto request = Parse(Header(1, 9, 5), kPublic, Options());
  ASSERT_TRUE(request);
  EXPECT_EQ(request->transaction_id, 5u);
  EXPECT_EQ(request->error, "unknown action");
}

TEST(UdpTrackerProtocolTest, ParsesEveryAnnounceField) {
  auto request = Parse(Announce({}), kPublic, Options());
  ASSERT_TRUE(request);
  ASSERT_TRUE(request->error.empty()) << request->error;
  EXPECT_EQ(request->action, UdpAction::kAnnounce);
  EXPECT_EQ(request->connection_id, 77u);
  EXPECT_EQ(request->transaction_id, 0x01020304u);
  const proto::AnnounceRequest& a = request->announce;
  EXPECT_EQ(a.info_hash(), kInfoHash);
  EXPECT_EQ(a.peer_id(), kPeerId);
  EXPECT_EQ(a.downloaded(), 200u);
  EXPECT_EQ(a.left(), 300u);
  EXPECT_EQ(a.uploaded(), 100u);
  EXPECT_EQ(a.event(), proto::EVENT_STARTED);
  EXPECT_EQ(a.ip(), kPublic.raw());
  EXPECT_EQ(a.port(), 6881u);
  EXPECT_FALSE(a.want_peer_ids());
}

TEST(UdpTrackerProtocolTest, MapsTheUdpEventCodes) {
  const std::pair<std::uint32_t, proto::Event> codes[] = {{0, proto::EVENT_NONE},
                                                          {1, proto::EVENT_COMPLETED},
                                                          {2, proto::EVENT_STARTED},
                                                          {3, proto::EVENT_STOPPED},
                                                          {4, proto::EVENT_NONE}};
  for (auto [code, event] : codes) {
    AnnounceFields fields;
    fields.event = code;
    auto request = Parse(Announce(fields), kPublic, Options());
    ASSERT_TRUE(request);
    EXPECT_EQ(request->announce.event(), event) << code;
    EXPECT_EQ(request->announce.partial_seed(), code == 4) << code;  // libtorrent's paused
  }
  AnnounceFields bad;
  bad.event = 5;
  EXPECT_EQ(Parse(Announce(bad), kPublic, Options())->error, "invalid event");
}

// BEP 15's counts are signed: a negative one is refused as over HTTP, not read as 2^64 - 1.
TEST(UdpTrackerProtocolTest, RefusesNegativeCountsAndTakesTheLargestPositive) {
  const std::pair<std::int64_t AnnounceFields::*, std::string> counts[] = {
      {&AnnounceFields::downloaded, "downloaded"},
      {&AnnounceFields::left, "left"},
      {&AnnounceFields::uploaded, "uploaded"}};
  for (const auto& [count, name] : counts) {
    AnnounceFields fields;
    fields.*count = -1;
    EXPECT_EQ(Parse(Announce(fields), kPublic, Options())->error,
              "invalid " + name + ": must be a non-negative integer");
  }
  AnnounceFields negative;
  negative.uploaded = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(Parse(Announce(negative), kPublic, Options())->error,
            "invalid uploaded: must be a non-negative integer");
  AnnounceFields largest;
  largest.uploaded = std::numeric_limits<std::int64_t>::max();
  auto request = Parse(Announce(largest), kPublic, Options());
  ASSERT_TRUE(request->error.empty()) << request->error;
  EXPECT_EQ(request->announce.uploaded(), 9223372036854775807u);
}

TEST(UdpTrackerProtocolTest, NumWantMinusOneMeansResponseSizeAndIsCappedAtMaxGive) {
  const std::pair<std::int32_t, std::uint32_t> cases[] = {{-1, 50},   {0, 0},     {10, 10},
                                                          {200, 200}, {201, 200}, {1000000, 200}};
  for (auto [num_want, expected] : cases) {
    AnnounceFields fields;
    fields.num_want = num_want;
    auto request = Parse(Announce(fields), kPublic, Options());
    ASSERT_TRUE(request);
    EXPECT_EQ(request->announce.numwant(), expected) << num_want;
  }
}

// By default a reply fits IPv6's minimum MTU, so it is never fragmented: libtorrent's default
// num_want of 200 would be 3,620 bytes for an IPv6 client.
TEST(UdpTrackerProtocolTest, NumWantIsCappedAtThePeersAnUnfragmentedReplyCarries) {
  const IpAddress v6 = *IpAddress::Parse("2001:db8::5");
  AnnounceFields fields;
  fields.num_want = 200;
  EXPECT_EQ(Parse(Announce(fields), v6, Options())->announce.numwant(), 67u);        // 1,226 bytes
  EXPECT_EQ(Parse(Announce(fields), kPublic, Options())->announce.numwant(), 200u);  // 1,220
  fields.num_want = 300;
  UdpParseOptions options = Options();
  options.announce.max_give = 300;
  EXPECT_EQ(Parse(Announce(fields), kPublic, options)->announce.numwant(), 202u);
}

TEST(UdpTrackerProtocolTest, NumWantIsCappedAtThePeersOneDatagramCarries) {
  UdpParseOptions options = Options();
  options.announce.max_give = 10000;
  options.max_reply_bytes = kUdpLargestReplyBytes;
  AnnounceFields fields;
  fields.num_want = 10000;
  EXPECT_EQ(Parse(Announce(fields), kPublic, options)->announce.numwant(), 10000u);  // 60 KB
  const IpAddress v6 = *IpAddress::Parse("2001:db8::5");
  EXPECT_EQ(UdpPeersThatFit(v6, kUdpLargestReplyBytes), 3638u);  // 20 + 3,638 x 18 = 65,504
  EXPECT_EQ(Parse(Announce(fields), v6, options)->announce.numwant(), 3638u);
}

TEST(UdpTrackerProtocolTest, RefusesPortZero) {
  AnnounceFields fields;
  fields.port = 0;
  EXPECT_EQ(Parse(Announce(fields), kPublic, Options())->error, "invalid port");
}

TEST(UdpTrackerProtocolTest, HonoursTheIpFieldPerIpOverride) {
  AnnounceFields fields;
  fields.ip = "\x0a\x00\x00\x07"s;  // 10.0.0.7
  const std::string given = "\x0a\x00\x00\x07"s;
  EXPECT_EQ(Parse(Announce(fields), kLocal, Options())->announce.ip(), given);
  EXPECT_EQ(Parse(Announce(fields), kPublic, Options())->announce.ip(), kPublic.raw());
  UdpParseOptions always = Options();
  always.announce.ip_override = IpOverride::kAlways;
  EXPECT_EQ(Parse(Announce(fields), kPublic, always)->announce.ip(), given);
  UdpParseOptions never = Options();
  never.announce.ip_override = IpOverride::kNever;
  EXPECT_EQ(Parse(Announce(fields), kLocal, never)->announce.ip(), kLocal.raw());
  fields.ip = "\xff\xff\xff\xff"s;  // no peer's address: the source's stands
  EXPECT_EQ(Parse(Announce(fields), kPublic, always)->announce.ip(), kPublic.raw());
}

TEST(UdpTrackerProtocolTest, AnIpv6ClientsIpFieldIsIgnored) {
  // Its reply carries IPv6 peers only: it must stay an IPv6 peer (BEP 15: the field is 0).
  AnnounceFields fields;
  fields.ip = "\x0a\x00\x00\x07"s;
  UdpParseOptions always = Options();
  always.announce.ip_override = IpOverride::kAlways;
  for (const char* address : {"::1", "2001:db8::5"}) {
    const IpAddress client = *IpAddress::Parse(address);
    EXPECT_EQ(Parse(Announce(fields), client, always)->announce.ip(), client.raw()) << address;
  }
}

TEST(UdpTrackerProtocolTest, ParsesScrapeHashesInOrder) {
  std::string datagram = Header(9, 2, 3);
  for (char c : {'a', 'b', 'c'}) datagram += std::string(20, c);
  auto request = Parse(datagram, kPublic, Options());
  ASSERT_TRUE(request);
  ASSERT_TRUE(request->error.empty()) << request->error;
  EXPECT_EQ(request->action, UdpAction::kScrape);
  ASSERT_EQ(request->scrape.size(), 3u);
  EXPECT_EQ(request->scrape[0].ToRaw(), std::string(20, 'a'));
  EXPECT_EQ(request->scrape[2].ToRaw(), std::string(20, 'c'));
}

TEST(UdpTrackerProtocolTest, AReusedRequestKeepsNothingFromTheLastDatagram) {
  UdpRequest request;
  std::string scrape = Header(9, 2, 3) + std::string(20, 'a');
  ASSERT_TRUE(ParseUdpRequest(scrape, kPublic, Options(), request));
  AnnounceFields bad_port;
  bad_port.port = 0;
  ASSERT_TRUE(ParseUdpRequest(Announce(bad_port), kPublic, Options(), request));
  ASSERT_EQ(request.error, "invalid port");

  ASSERT_TRUE(ParseUdpRequest(Announce({}), kPublic, Options(), request));
  EXPECT_TRUE(request.error.empty()) << request.error;
  EXPECT_TRUE(request.scrape.empty());
  EXPECT_EQ(request.announce.port(), 6881u);
  ASSERT_TRUE(ParseUdpRequest(Header(kUdpProtocolId, 0, 42), kPublic, Options(), request));
  EXPECT_EQ(request.action, UdpAction::kConnect);
  EXPECT_TRUE(request.announce.info_hash().empty());
  ASSERT_TRUE(ParseUdpRequest(Announce({}) + "\x02\x02/k", kPublic, Options(), request));
  ASSERT_TRUE(ParseUdpRequest(Announce({}), kPublic, Options(), request));
  EXPECT_TRUE(request.url_data.empty());
}

TEST(UdpTrackerProtocolTest, JoinsTheUrlDataOfBep41OptionsAfterAnAnnounce) {
  auto parse_options = [](const std::string& options) {
    UdpRequest request;
    EXPECT_TRUE(ParseUdpRequest(Announce({}) + options, kPublic, Options(), request));
    EXPECT_TRUE(request.error.empty()) << request.error;
    return request.url_data;
  };
  EXPECT_EQ(parse_options(""), "");
  EXPECT_EQ(parse_options("\x02\x0d/key/announce"), "/key/announce");
  // A long URL split in two, NOP padding between, EndOfOptions before trailing bytes.
  EXPECT_EQ(parse_options("\x02\x05/key/\x01\x01\x02\x0c"
                          "announce?a=1\x00\x02\x03xyz"),
            "/key/announce?a=1");
  // An unknown type is skipped by its length; an option cut short adds nothing.
  EXPECT_EQ(parse_options("\x02\x04/key\x05\x02zz\x02\x09/announce"), "/key/announce");
  EXPECT_EQ(parse_options("\x02\x04/key\x05\x09zz\x02\x03/an"), "/key");
  EXPECT_EQ(parse_options("\x02\x04/key\x02\x0a/announce"), "/key");
  EXPECT_EQ(parse_options("\x02"), "");
}

TEST(UdpTrackerProtocolTest, RefusesScrapesWithoutWholeHashesOrOverTheCap) {
  EXPECT_FALSE(Parse(Header(9, 2, 3), kPublic, Options())->error.empty());
  EXPECT_FALSE(Parse(Header(9, 2, 3) + std::string(19, 'a'), kPublic, Options())->error.empty());
  UdpParseOptions options = Options();
  options.max_scrape_hashes = 2;
  std::string three = Header(9, 2, 3) + std::string(60, 'a');
  EXPECT_EQ(Parse(three, kPublic, options)->error, "too many info hashes (at most 2)");
  options.max_scrape_hashes = 1000;  // never beyond BEP 15's 74
  std::string many = Header(9, 2, 3) + std::string(75 * 20, 'a');
  EXPECT_FALSE(Parse(many, kPublic, options)->error.empty());
  std::string most = Header(9, 2, 3) + std::string(74 * 20, 'a');
  EXPECT_TRUE(Parse(most, kPublic, options)->error.empty());
}

TEST(UdpTrackerProtocolTest, WritesTheConnectReply) {
  std::string out;
  WriteUdpConnectReply(42, 0x1122334455667788, out);
  ASSERT_EQ(out.size(), 16u);
  EXPECT_EQ(Get(out, 0, 4), 0u);
  EXPECT_EQ(Get(out, 4, 4), 42u);
  EXPECT_EQ(Get(out, 8, 8), 0x1122334455667788u);
}

TEST(UdpTrackerProtocolTest, WritesTheAnnounceReplyWithPeersOfTheRequestFamily) {
  proto::AnnounceReply reply;
  reply.set_complete(3);
  reply.set_incomplete(5);
  reply.set_peers4("\x7f\x00\x00\x02\x1b\x59"s);
  reply.set_peers6(std::string(16, '\x01') + "\x1b\x5a"s);
  std::string v4;
  WriteUdpAnnounceReply(7, 1800, reply, false, v4);
  ASSERT_EQ(v4.size(), 20u + 6u);
  EXPECT_EQ(Get(v4, 0, 4), 1u);
  EXPECT_EQ(Get(v4, 4, 4), 7u);
  EXPECT_EQ(Get(v4, 8, 4), 1800u);
  EXPECT_EQ(Get(v4, 12, 4), 5u);  // leechers
  EXPECT_EQ(Get(v4, 16, 4), 3u);  // seeders
  EXPECT_EQ(v4.substr(20), reply.peers4());
  std::string v6;
  WriteUdpAnnounceReply(7, 1800, reply, true, v6);
  EXPECT_EQ(v6.substr(20), reply.peers6());
}

TEST(UdpTrackerProtocolTest, WritesScrapeEntriesAsSeedersCompletedLeechers) {
  proto::ScrapeEntry entry;
  entry.set_complete(1);
  entry.set_downloaded(2);
  entry.set_incomplete(3);
  std::string out;
  WriteUdpScrapeHeader(9, out);
  WriteUdpScrapeEntry(entry, out);
  WriteUdpScrapeEntry(proto::ScrapeEntry(), out);
  ASSERT_EQ(out.size(), 8u + 24u);
  EXPECT_EQ(Get(out, 0, 4), 2u);
  EXPECT_EQ(Get(out, 4, 4), 9u);
  EXPECT_EQ(Get(out, 8, 4), 1u);
  EXPECT_EQ(Get(out, 12, 4), 2u);
  EXPECT_EQ(Get(out, 16, 4), 3u);
  EXPECT_EQ(Get(out, 20, 12), 0u);
}

TEST(UdpTrackerProtocolTest, WritesTheErrorReply) {
  std::string out;
  WriteUdpError(11, "invalid connection id", out);
  EXPECT_EQ(Get(out, 0, 4), 3u);
  EXPECT_EQ(Get(out, 4, 4), 11u);
  EXPECT_EQ(out.substr(8), "invalid connection id");
}

TEST(UdpConnectionIdsTest, AcceptsAnIdForAtLeastTwoMinutesAndAtMostFour) {
  const UnixSeconds slot_start = 1'700'000'040;  // a multiple of 120
  UdpConnectionIds ids({1, 2});
  const IpAddress client = kPublic;
  const std::uint64_t id = ids.Issue(client, slot_start);
  EXPECT_TRUE(ids.Valid(id, client, slot_start));
  EXPECT_TRUE(ids.Valid(id, client, slot_start + 119));
  EXPECT_TRUE(ids.Valid(id, client, slot_start + 121));  // two minutes and a second
  EXPECT_TRUE(ids.Valid(id, client, slot_start + 239));
  EXPECT_FALSE(ids.Valid(id, client, slot_start + 240));
}

TEST(UdpConnectionIdsTest, AcceptsAnIdFromAClockUpToOneSlotAhead) {
  // Frontends sharing a secret whose clocks differ, or a clock stepped back: the issuer's slot
  // may be the validator's next one.
  const UnixSeconds slot_start = 1'700'000'040;  // a multiple of 120
  UdpConnectionIds ids({1, 2});
  const IpAddress client = kPublic;
  const std::uint64_t id = ids.Issue(client, slot_start);
  EXPECT_TRUE(ids.Valid(id, client, slot_start - 1));
  EXPECT_TRUE(ids.Valid(id, client, slot_start - 120));
  EXPECT_FALSE(ids.Valid(id, client, slot_start - 121));  // two slots behind
}

TEST(UdpConnectionIdsTest, BindsTheIdToAddressAndSecret) {
  const UnixSeconds now = 1'700'000'000;
  UdpConnectionIds ids({1, 2});
  const IpAddress client = kPublic;
  const std::uint64_t id = ids.Issue(client, now);
  EXPECT_FALSE(ids.Valid(id, kLocal, now));
  EXPECT_FALSE(UdpConnectionIds({1, 3}).Valid(id, client, now));
  EXPECT_FALSE(ids.Valid(id + 1, client, now));
  EXPECT_NE(id, kUdpProtocolId);
}

TEST(UdpConnectionIdsTest, FrontendsGivenOneSecretAcceptEachOthersIds) {
  const UnixSeconds now = 1'700'000'000;
  const IpAddress client = kPublic;
  auto first = UdpConnectionIds::FromSharedSecret("correct horse battery staple");
  auto second = UdpConnectionIds::FromSharedSecret("correct horse battery staple");
  auto other = UdpConnectionIds::FromSharedSecret("correct horse battery staplf");
  ASSERT_TRUE(first.ok() && second.ok() && other.ok());
  const std::uint64_t id = first->Issue(client, now);
  EXPECT_TRUE(second->Valid(id, client, now + 60));
  EXPECT_FALSE(other->Valid(id, client, now + 60));
  EXPECT_FALSE(UdpConnectionIds::WithRandomSecret().Valid(id, client, now));
}

TEST(UdpConnectionIdsTest, RefusesASharedSecretShorterThan16Bytes) {
  EXPECT_TRUE(UdpConnectionIds::FromSharedSecret(std::string(16, 'k')).ok());
  auto ids = UdpConnectionIds::FromSharedSecret(std::string(15, 'k'));
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.error(), "the secret has 15 bytes, fewer than 16");
}

}  // namespace
}  // namespace shardtrack
