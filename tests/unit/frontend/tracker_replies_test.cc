#include "frontend/tracker_replies.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bencode.h"
#include "frontend/frontend_settings.h"

namespace shardtrack {
namespace {

using namespace std::string_literals;

// One compact entry: the address's raw bytes, then the port in network order.
std::string Entry(std::string_view address, std::uint16_t port) {
  std::string out(IpAddress::Parse(address)->raw());
  out += static_cast<char>(port >> 8);
  out += static_cast<char>(port & 0xff);
  return out;
}

proto::AnnounceReply SampleReply() {
  proto::AnnounceReply reply;
  reply.set_complete(3);
  reply.set_incomplete(4);
  reply.set_downloaded(5);
  reply.set_peers4(Entry("198.51.100.1", 6881) + Entry("10.0.0.2", 65535));
  reply.set_peer_ids4(std::string(20, 'a') + std::string(20, 'b'));
  return reply;
}

// Parses with the strict parser, which also rejects unsorted or repeated dict keys.
BencodeValue Decode(const std::string& body) {
  auto parsed = ParseBencode(body);
  EXPECT_TRUE(parsed) << parsed.error() << " in " << body;
  return parsed ? *parsed : BencodeValue{};
}

std::vector<std::string> Keys(const BencodeValue& dict) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : dict.as_dict()) keys.push_back(key);
  return keys;
}

TEST(TrackerRepliesTest, CompactReplyCarriesCountsIntervalsAndPeers4) {
  AnnounceReplyOptions options;
  options.interval = 1700;
  options.min_interval = 60;
  std::string body;
  WriteAnnounceReply(SampleReply(), options, body);
  BencodeValue reply = Decode(body);
  ASSERT_TRUE(reply.is_dict());
  EXPECT_EQ(Keys(reply), (std::vector<std::string>{"complete", "downloaded", "incomplete",
                                                   "interval", "min interval", "peers"}));
  EXPECT_EQ(reply.Find("complete")->as_int(), 3);
  EXPECT_EQ(reply.Find("incomplete")->as_int(), 4);
  EXPECT_EQ(reply.Find("downloaded")->as_int(), 5);
  EXPECT_EQ(reply.Find("interval")->as_int(), 1700);
  EXPECT_EQ(reply.Find("min interval")->as_int(), 60);
  const std::string& peers = reply.Find("peers")->as_string();
  ASSERT_EQ(peers.size(), 12u);  // two 6-byte entries
  EXPECT_EQ(peers.substr(0, 6), "\xc6\x33\x64\x01\x1a\xe1"s);
  EXPECT_EQ(peers.substr(6, 6), "\x0a\x00\x00\x02\xff\xff"s);
  EXPECT_EQ(reply.Find("peers6"), nullptr);
}

TEST(TrackerRepliesTest, CompactReplyAddsPeers6OnlyWhenPresent) {
  proto::AnnounceReply reply = SampleReply();
  reply.set_peers6(Entry("2001:db8::1", 6882) + Entry("::2", 1));
  std::string body;
  WriteAnnounceReply(reply, {}, body);
  BencodeValue decoded = Decode(body);
  ASSERT_NE(decoded.Find("peers6"), nullptr);
  const std::string& peers6 = decoded.Find("peers6")->as_string();
  ASSERT_EQ(peers6.size(), 36u);  // two 18-byte entries
  EXPECT_EQ(peers6, reply.peers6());
  EXPECT_EQ(peers6.substr(16, 2), "\x1a\xe2"s);
  EXPECT_EQ(decoded.Find("peers")->as_string().size(), 12u);

  proto::AnnounceReply empty;
  body.clear();
  WriteAnnounceReply(empty, {}, body);
  decoded = Decode(body);
  EXPECT_EQ(decoded.Find("peers")->as_string(), "");
  EXPECT_EQ(decoded.Find("peers6"), nullptr);
}

TEST(TrackerRepliesTest, ExternalIpIsRawAddressBytes) {
  AnnounceReplyOptions options;
  options.external_ip = IpAddress::Parse("203.0.113.9");
  std::string body;
  WriteAnnounceReply(SampleReply(), options, body);
  BencodeValue reply = Decode(body);
  ASSERT_NE(reply.Find("external ip"), nullptr);
  EXPECT_EQ(reply.Find("external ip")->as_string(), "\xcb\x00\x71\x09"s);

  options.external_ip = IpAddress::Parse("2001:db8::9");
  body.clear();
  WriteAnnounceReply(SampleReply(), options, body);
  EXPECT_EQ(Decode(body).Find("external ip")->as_string().size(), 16u);
}

TEST(TrackerRepliesTest, AllKeysTogetherAreSorted) {
  proto::AnnounceReply reply = SampleReply();
  reply.set_peers6(Entry("2001:db8::1", 1));
  AnnounceReplyOptions options;
  options.external_ip = IpAddress::Parse("203.0.113.9");
  std::string body;
  WriteAnnounceReply(reply, options, body);
  // The strict parser refuses unsorted keys, so parsing at all checks the order.
  EXPECT_EQ(Keys(Decode(body)),
            (std::vector<std::string>{"complete", "downloaded", "external ip", "incomplete",
                                      "interval", "min interval", "peers", "peers6"}));
}

TEST(TrackerRepliesTest, NonCompactReplyListsDictsWithPeerIds) {
  proto::AnnounceReply reply = SampleReply();
  reply.set_peers6(Entry("2001:db8::1", 6882));
  reply.set_peer_ids6(std::string(20, 'c'));
  AnnounceReplyOptions options;
  options.compact = false;
  options.want_peer_ids = true;
  std::string body;
  WriteAnnounceReply(reply, options, body);
  BencodeValue decoded = Decode(body);
  EXPECT_EQ(decoded.Find("peers6"), nullptr);
  const auto& peers = decoded.Find("peers")->as_list();
  ASSERT_EQ(peers.size(), 3u);
  EXPECT_EQ(Keys(peers[0]), (std::vector<std::string>{"ip", "peer id", "port"}));
  EXPECT_EQ(peers[0].Find("ip")->as_string(), "198.51.100.1");
  EXPECT_EQ(peers[0].Find("peer id")->as_string(), std::string(20, 'a'));
  EXPECT_EQ(peers[0].Find("port")->as_int(), 6881);
  EXPECT_EQ(peers[1].Find("ip")->as_string(), "10.0.0.2");
  EXPECT_EQ(peers[1].Find("peer id")->as_string(), std::string(20, 'b'));
  EXPECT_EQ(peers[1].Find("port")->as_int(), 65535);
  EXPECT_EQ(peers[2].Find("ip")->as_string(), "2001:db8::1");
  EXPECT_EQ(peers[2].Find("peer id")->as_string(), std::string(20, 'c'));
  EXPECT_EQ(peers[2].Find("port")->as_int(), 6882);
}

TEST(TrackerRepliesTest, AnAllZeroPeerIdIsNotKnownAndLeftOut) {
  proto::AnnounceReply reply = SampleReply();
  reply.set_peer_ids4(std::string(20, '\0') + std::string(19, '\0') + "b");
  AnnounceReplyOptions options;
  options.compact = false;
  options.want_peer_ids = true;
  std::string body;
  WriteAnnounceReply(reply, options, body);
  const BencodeValue decoded = Decode(body);
  const auto& peers = decoded.Find("peers")->as_list();
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(Keys(peers[0]), (std::vector<std::string>{"ip", "port"}));
  EXPECT_EQ(peers[1].Find("peer id")->as_string(), std::string(19, '\0') + "b");
}

TEST(TrackerRepliesTest, NonCompactReplyWithoutPeerIds) {
  AnnounceReplyOptions options;
  options.compact = false;
  options.want_peer_ids = false;
  std::string body;
  WriteAnnounceReply(SampleReply(), options, body);
  BencodeValue decoded = Decode(body);
  const auto& peers = decoded.Find("peers")->as_list();
  ASSERT_EQ(peers.size(), 2u);
  for (const BencodeValue& peer : peers) {
    EXPECT_EQ(Keys(peer), (std::vector<std::string>{"ip", "port"}));
  }
}

TEST(TrackerRepliesTest, NonCompactReplyWithNoPeersIsAnEmptyList) {
  AnnounceReplyOptions options;
  options.compact = false;
  std::string body;
  WriteAnnounceReply(proto::AnnounceReply(), options, body);
  BencodeValue decoded = Decode(body);
  ASSERT_TRUE(decoded.Find("peers")->is_list());
  EXPECT_TRUE(decoded.Find("peers")->as_list().empty());
}

TEST(TrackerRepliesTest, AppendsToTheCallersBuffer) {
  std::string body = "prefix";
  WriteFailure("x", body);
  EXPECT_EQ(body, "prefixd14:failure reason1:xe");
}

TEST(TrackerRepliesTest, ScrapeReplySortsAndDeduplicatesHashes) {
  std::vector<proto::ScrapeEntry> entries(4);
  const std::string high(20, '\xf0');
  const std::string low(20, '\x01');
  const std::string middle(20, 'm');
  entries[0].set_info_hash(high);
  entries[0].set_complete(1);
  entries[1].set_info_hash(low);
  entries[1].set_complete(2);
  entries[1].set_incomplete(3);
  entries[1].set_downloaded(4);
  entries[2].set_info_hash(middle);
  entries[3].set_info_hash(high);  // a duplicate
  entries[3].set_complete(1);
  std::string body;
  std::vector<const proto::ScrapeEntry*> scratch;
  WriteScrapeReply(entries, scratch, body);
  BencodeValue decoded = Decode(body);
  EXPECT_EQ(Keys(decoded), std::vector<std::string>{"files"});
  const BencodeValue& files = *decoded.Find("files");
  EXPECT_EQ(Keys(files), (std::vector<std::string>{low, middle, high}));
  const BencodeValue& counts = *files.Find(low);
  EXPECT_EQ(Keys(counts), (std::vector<std::string>{"complete", "downloaded", "incomplete"}));
  EXPECT_EQ(counts.Find("complete")->as_int(), 2);
  EXPECT_EQ(counts.Find("incomplete")->as_int(), 3);
  EXPECT_EQ(counts.Find("downloaded")->as_int(), 4);
  EXPECT_EQ(files.Find(high)->Find("complete")->as_int(), 1);
}

TEST(TrackerRepliesTest, ScrapeReplyNamesTheTorrentsThatHaveNames) {
  std::vector<proto::ScrapeEntry> entries(2);
  entries[0].set_info_hash(std::string(20, 'a'));
  entries[0].set_name("Debian 12 netinst");
  entries[1].set_info_hash(std::string(20, 'b'));
  std::string body;
  std::vector<const proto::ScrapeEntry*> scratch;
  WriteScrapeReply(entries, scratch, body);
  const BencodeValue decoded = Decode(body);  // strict: keys sorted, so `name` comes last
  const BencodeValue& named = *decoded.Find("files")->Find(std::string(20, 'a'));
  EXPECT_EQ(Keys(named),
            (std::vector<std::string>{"complete", "downloaded", "incomplete", "name"}));
  EXPECT_EQ(named.Find("name")->as_string(), "Debian 12 netinst");
  EXPECT_EQ(Keys(*decoded.Find("files")->Find(std::string(20, 'b'))),
            (std::vector<std::string>{"complete", "downloaded", "incomplete"}));
}

// BEP 21: `downloaders` where the shard counted them, including zero (all partial seeds), and
// left out where it did not (an older shard), not claimed to be zero.
TEST(TrackerRepliesTest, ScrapeReplyGivesDownloadersWhereTheShardCountedThem) {
  std::vector<proto::ScrapeEntry> entries(3);
  entries[0].set_info_hash(std::string(20, 'a'));
  entries[0].set_incomplete(5);
  entries[0].set_downloaders(3);
  entries[1].set_info_hash(std::string(20, 'b'));
  entries[1].set_incomplete(2);
  entries[1].set_downloaders(0);
  entries[2].set_info_hash(std::string(20, 'c'));
  entries[2].set_incomplete(2);
  std::string body;
  std::vector<const proto::ScrapeEntry*> scratch;
  WriteScrapeReply(entries, scratch, body);
  const BencodeValue decoded = Decode(body);  // strict: "downloaded" sorts before "downloaders"
  const BencodeValue& files = *decoded.Find("files");
  const BencodeValue& counted = *files.Find(std::string(20, 'a'));
  EXPECT_EQ(Keys(counted),
            (std::vector<std::string>{"complete", "downloaded", "downloaders", "incomplete"}));
  EXPECT_EQ(counted.Find("downloaders")->as_int(), 3);
  EXPECT_EQ(files.Find(std::string(20, 'b'))->Find("downloaders")->as_int(), 0);
  EXPECT_EQ(files.Find(std::string(20, 'c'))->Find("downloaders"), nullptr);
}

// What FullScrapeLimitPerShard assumes a torrent takes at most, with the largest counts and a
// name, so that a full scrape it bounds fits --max-output-bytes.
TEST(TrackerRepliesTest, AScrapeEntryTakesNoMoreThanTheFullScrapeBoundAssumes) {
  std::vector<proto::ScrapeEntry> entries(1);
  entries[0].set_info_hash(std::string(20, 'a'));
  entries[0].set_complete(UINT32_MAX);
  entries[0].set_incomplete(UINT32_MAX);
  entries[0].set_downloaded(UINT32_MAX);
  entries[0].set_downloaders(UINT32_MAX);
  std::string body;
  std::vector<const proto::ScrapeEntry*> scratch;
  WriteScrapeReply(entries, scratch, body);
  const std::size_t envelope = std::string_view("d5:filesdee").size();
  EXPECT_LE(body.size() - envelope, kFullScrapeBytesPerTorrent);
  const std::string name(300, 'n');
  entries[0].set_name(name);
  WriteScrapeReply(entries, scratch, body = "");
  EXPECT_LE(body.size() - envelope, kFullScrapeBytesPerTorrent + kFullScrapeBytesPerName + 300);
}

TEST(TrackerRepliesTest, ScrapeReplyFromRepeatedField) {
  proto::ScrapeReply reply;
  reply.add_files()->set_info_hash(std::string(20, 'b'));
  reply.add_files()->set_info_hash(std::string(20, 'a'));
  std::string body;
  std::vector<const proto::ScrapeEntry*> scratch = {&reply.files(0)};  // stale: cleared first
  WriteScrapeReply(reply.files(), scratch, body);
  EXPECT_EQ(Keys(*Decode(body).Find("files")),
            (std::vector<std::string>{std::string(20, 'a'), std::string(20, 'b')}));
}

TEST(TrackerRepliesTest, EmptyScrapeReplyHasEmptyFiles) {
  std::vector<proto::ScrapeEntry> none;
  std::string body;
  std::vector<const proto::ScrapeEntry*> scratch;
  WriteScrapeReply(none, scratch, body);
  EXPECT_EQ(body, "d5:filesdee");
}

TEST(TrackerRepliesTest, FailureReason) {
  std::string body;
  WriteFailure("invalid port: must be 1..65535", body);
  BencodeValue decoded = Decode(body);
  EXPECT_EQ(Keys(decoded), std::vector<std::string>{"failure reason"});
  EXPECT_EQ(decoded.Find("failure reason")->as_string(), "invalid port: must be 1..65535");
}

TEST(TrackerRepliesTest, FailureWithRetryIn) {
  std::string body;
  WriteFailure("slow down", 3, body);
  EXPECT_EQ(body, "d14:failure reason9:slow down8:retry ini3ee");  // BEP 31
}

}  // namespace
}  // namespace shardtrack
