#include "frontend/scrape_request.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shardtrack {
namespace {

// A 20-byte hash whose every byte is `fill`.
InfoHash Hash(unsigned char fill) {
  InfoHash hash;
  hash.bytes.fill(fill);
  return hash;
}

std::string Param(const InfoHash& hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "info_hash=";
  for (std::uint8_t byte : hash.bytes) {
    out += '%';
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

Result<std::vector<InfoHash>> Parse(std::string_view query, std::uint32_t max_hashes) {
  std::vector<InfoHash> hashes;
  if (Status status = ParseScrape(query, max_hashes, hashes); !status) return Error{status.error()};
  return hashes;
}

TEST(ScrapeRequestTest, NoHashesAsksForFullScrape) {
  auto hashes = Parse("", 10);
  ASSERT_TRUE(hashes) << hashes.error();
  EXPECT_TRUE(hashes->empty());
  auto others = Parse("key=abc&foo&passkey=%zz&%q=1", 10);
  ASSERT_TRUE(others) << others.error();
  EXPECT_TRUE(others->empty());
}

TEST(ScrapeRequestTest, ReturnsEveryHashSorted) {
  std::string query = Param(Hash(0xff)) + "&" + Param(Hash(0x10)) + "&other=1&" + Param(Hash(0x80));
  auto hashes = Parse(query, 10);
  ASSERT_TRUE(hashes) << hashes.error();
  // Byte order: 0x80 and 0xff sort after 0x10 (bytes compare unsigned).
  EXPECT_EQ(*hashes, (std::vector<InfoHash>{Hash(0x10), Hash(0x80), Hash(0xff)}));
}

TEST(ScrapeRequestTest, AcceptsUnescapedHashBytes) {
  auto hashes = Parse("info_hash=aaaaaaaaaaaaaaaaaaaa", 10);
  ASSERT_TRUE(hashes) << hashes.error();
  EXPECT_EQ(*hashes, std::vector<InfoHash>{Hash('a')});
}

TEST(ScrapeRequestTest, CollapsesDuplicates) {
  std::string query = Param(Hash(2)) + "&" + Param(Hash(1)) + "&" + Param(Hash(2)) + "&" +
                      Param(Hash(1)) + "&info_hash=%02%02%02%02%02%02%02%02%02%02" +
                      "%02%02%02%02%02%02%02%02%02%02";
  auto hashes = Parse(query, 2);  // five given, two distinct: within the limit
  ASSERT_TRUE(hashes) << hashes.error();
  EXPECT_EQ(*hashes, (std::vector<InfoHash>{Hash(1), Hash(2)}));
}

TEST(ScrapeRequestTest, RejectsHashesOfTheWrongLength) {
  for (const std::string& value : {std::string(19, 'a'), std::string(21, 'a'), std::string()}) {
    auto hashes = Parse(Param(Hash(1)) + "&info_hash=" + value, 10);
    ASSERT_FALSE(hashes) << value;
    EXPECT_EQ(hashes.error(), "invalid info_hash: must be 20 bytes");
  }
  EXPECT_EQ(Parse("info_hash=0123456789abcdef0123456789ABCDEF01234567", 10).error(),
            "invalid info_hash: must be 20 bytes, not 40 hex digits: percent-encode each byte "
            "(%12%34...)");
}

TEST(ScrapeRequestTest, RejectsMalformedEscape) {
  auto hashes = Parse("info_hash=%zz", 10);
  ASSERT_FALSE(hashes);
  EXPECT_EQ(hashes.error(), "invalid info_hash: malformed percent-escape");
}

TEST(ScrapeRequestTest, RejectsMoreThanMaxHashes) {
  std::string three = Param(Hash(1)) + "&" + Param(Hash(2)) + "&" + Param(Hash(3));
  ASSERT_TRUE(Parse(three, 3));
  auto hashes = Parse(three, 2);
  ASSERT_FALSE(hashes);
  EXPECT_EQ(hashes.error(), "too many info_hash: at most 2 per scrape");
}

TEST(ScrapeRequestTest, AReusedListKeepsNoHashOfTheLastScrape) {
  std::vector<InfoHash> hashes;
  ASSERT_TRUE(ParseScrape(Param(Hash(1)) + "&" + Param(Hash(2)), 10, hashes));
  ASSERT_EQ(hashes.size(), 2u);
  ASSERT_TRUE(ParseScrape("", 10, hashes));
  EXPECT_TRUE(hashes.empty());
}

}  // namespace
}  // namespace shardtrack
