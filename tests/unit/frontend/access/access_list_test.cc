// ParseAccessList: one infohash a line in hex (either case), a v2 infohash or a magnet URI;
// comments, blank lines and surrounding whitespace skipped; a bad line is an error naming its
// number and what is wrong. AccessList: lookups, repeats and torrent names.
#include "frontend/access/access_list.h"

#include <gtest/gtest.h>

#include <string>

namespace shardtrack {
namespace {

constexpr std::string_view kHexA = "0123456789abcdef0123456789abcdef01234567";
constexpr std::string_view kHexB = "FEDCBA9876543210FEDCBA9876543210FEDCBA98";

// The test's own decoding of the first 40 hex digits of `hex`.
InfoHash FromHex(std::string_view hex) {
  InfoHash out;
  for (std::size_t i = 0; i < InfoHash::kSize; ++i) {
    out.bytes[i] =
        static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  }
  return out;
}

InfoHash Filled(std::uint8_t byte) {
  InfoHash out;
  out.bytes.fill(byte);
  return out;
}

void ExpectError(std::string_view text, const std::vector<std::string>& mentions) {
  auto list = ParseAccessList(text);
  ASSERT_FALSE(list) << "accepted";
  for (const std::string& mention : mentions) {
    EXPECT_NE(list.error().find(mention), std::string::npos) << list.error();
  }
}

TEST(AccessListTest, ReadsOneInfohashALineInEitherCase) {
  auto list = ParseAccessList(std::string(kHexA) + "\n" + std::string(kHexB) + "\n");
  ASSERT_TRUE(list) << list.error();
  EXPECT_EQ(list->size(), 2u);
  EXPECT_TRUE(list->Contains(FromHex(kHexA)));
  EXPECT_TRUE(list->Contains(FromHex(kHexB)));
  EXPECT_FALSE(list->Contains(Filled(0)));
}

TEST(AccessListTest, SkipsCommentsBlankLinesAndWhitespaceAroundALine) {
  const std::string text =
      "# our torrents\n\n   \n\t" + std::string(kHexA) + "  \r\n  # " + std::string(kHexB) + "\r\n";
  auto list = ParseAccessList(text);
  ASSERT_TRUE(list) << list.error();
  EXPECT_EQ(list->size(), 1u);
  EXPECT_TRUE(list->Contains(FromHex(kHexA)));
  EXPECT_FALSE(list->Contains(FromHex(kHexB)));
}

TEST(AccessListTest, ReadsALastLineWithoutANewline) {
  auto list = ParseAccessList("# x\n" + std::string(kHexB));
  ASSERT_TRUE(list) << list.error();
  EXPECT_TRUE(list->Contains(FromHex(kHexB)));
}

TEST(AccessListTest, AnEmptyTextListsNothing) {
  auto list = ParseAccessList("");
  ASSERT_TRUE(list) << list.error();
  EXPECT_TRUE(list->empty());
}

TEST(AccessListTest, KeepsATorrentListedTwiceOnce) {
  const std::string upper = "0123456789ABCDEF0123456789ABCDEF01234567";
  auto list = ParseAccessList(std::string(kHexA) + "\n" + upper + "\n" + std::string(kHexA));
  ASSERT_TRUE(list) << list.error();
  EXPECT_EQ(list->size(), 1u);
}

TEST(AccessListTest, RefusesANonHexDigitNamingTheLineAndTheCharacter) {
  std::string bad(kHexA);
  bad[5] = 'g';
  ExpectError(std::string(kHexB) + "\n# fine\n" + bad + "\n",
              {"line 3", "character 6", "'g'", "not a hex digit"});
}

TEST(AccessListTest, RefusesAWrongLengthNamingTheLineAndTheLength) {
  ExpectError("\n" + std::string(kHexA.substr(0, 38)) + "\n", {"line 2", "40 hex digits", "38"});
  ExpectError(std::string(kHexA) + "0\n", {"line 1", "41"});
  ExpectError(std::string(kHexA) + " " + std::string(kHexB), {"line 1", "81"});
}

TEST(AccessListTest, ShowsAnUnprintableCharacterEscaped) {
  std::string bad(kHexA);
  bad[0] = '\x01';
  ExpectError(bad, {"'\\x01'"});
}

TEST(AccessListTest, KeepsTheFirst20BytesOfAV2Infohash) {
  const std::string v2 = std::string(kHexA) + "000000000000000000000000";
  auto list = ParseAccessList(v2);
  ASSERT_TRUE(list) << list.error();
  EXPECT_TRUE(list->Contains(FromHex(kHexA)));
}

TEST(AccessListTest, ReadsTheInfohashOfAMagnetUri) {
  auto list = ParseAccessList("magnet:?dn=some+name&xt=urn:btih:" + std::string(kHexB) +
                              "&tr=udp%3A%2F%2Fx\nMAGNET:?xt=URN:BTIH:" + std::string(kHexA));
  ASSERT_TRUE(list) << list.error();
  EXPECT_EQ(list->size(), 2u);
  EXPECT_TRUE(list->Contains(FromHex(kHexA)));
  EXPECT_TRUE(list->Contains(FromHex(kHexB)));
}

TEST(AccessListTest, RefusesAMagnetUriWithoutABtihInfohash) {
  ExpectError("magnet:?dn=name&tr=x", {"line 1", "xt=urn:btih:", "xt=urn:btmh:1220"});
  ExpectError("magnet:?xt=urn:btih:" + std::string(kHexA.substr(0, 30)), {"line 1", "30"});
  ExpectError("magnet:?xt=urn:btih:" + std::string(kHexA.substr(0, 32)),
              {"line 1", "character 1 of the base32 infohash, '0'"});
  ExpectError("magnet:?xt=urn:btmh:1114" + std::string(kHexA) + std::string(24, '0'),
              {"line 1", "expected 1220 and 64 hex digits after xt=urn:btmh:"});
}

// BEP 9 allows a btih in base32 (32 characters); a hybrid torrent's magnet names its v1 and its
// v2 infohash (btmh: 1220 and the SHA-256), and clients announce under both; a v2 torrent's
// names the second only.
TEST(AccessListTest, ReadsBase32AndEveryInfohashOfAHybridOrV2Magnet) {
  // "CHJNFO3GCVSSGTMYFU5LFMG3YI3ANGMT" is these 20 bytes in RFC 4648 base32.
  constexpr std::string_view kHexOfBase32 = "11d2d2bb661565234d982d3ab2b0dbc236069993";
  const std::string v2 = std::string(kHexB) + std::string(24, 'c');
  auto list = ParseAccessList(
      "magnet:?xt=urn:btih:CHJNFO3GCVSSGTMYFU5LFMG3YI3ANGMT&dn=x\n"
      "magnet:?xt=urn:btih:" +
      std::string(kHexA) + "&xt=urn:btmh:1220" + v2 +
      "\n"
      "magnet:?xt=urn:btmh:1220" +
      std::string(24, 'd') + std::string(kHexA.substr(0, 40)));
  ASSERT_TRUE(list) << list.error();
  EXPECT_EQ(list->size(), 4u);
  EXPECT_TRUE(list->Contains(FromHex(kHexOfBase32)));
  EXPECT_TRUE(list->Contains(FromHex(kHexA)));
  EXPECT_TRUE(list->Contains(FromHex(kHexB)));
  EXPECT_TRUE(list->Contains(FromHex(std::string(24, 'd') + std::string(kHexA.substr(0, 16)))));
}

TEST(AccessListTest, FindsEveryEntryOfALargeList) {
  std::vector<InfoHash> hashes;
  for (int i = 0; i < 1000; ++i) {
    InfoHash hash = Filled(static_cast<std::uint8_t>(i * 7));
    hash.bytes[0] = static_cast<std::uint8_t>(i >> 8);
    hash.bytes[19] = static_cast<std::uint8_t>(i);
    hashes.push_back(hash);
  }
  AccessList list(hashes);
  EXPECT_EQ(list.size(), 1000u);
  for (const InfoHash& hash : hashes) EXPECT_TRUE(list.Contains(hash));
  InfoHash absent = hashes[500];
  absent.bytes[10] ^= 1;
  EXPECT_FALSE(list.Contains(absent));
}

TEST(AccessListTest, FindsEntriesWhateverTheirFirstTwoBytes) {
  // The lookup starts from the first two bytes: the smallest and largest, neighbours, and a
  // prefix shared by several entries.
  auto with_prefix = [](std::uint8_t first, std::uint8_t second, std::uint8_t last) {
    InfoHash hash = Filled(0x5a);
    hash.bytes[0] = first;
    hash.bytes[1] = second;
    hash.bytes[19] = last;
    return hash;
  };
  const std::vector<InfoHash> listed = {with_prefix(0x00, 0x00, 1), with_prefix(0x00, 0xff, 1),
                                        with_prefix(0x01, 0x00, 1), with_prefix(0x01, 0x00, 3),
                                        with_prefix(0xff, 0xff, 1)};
  AccessList list(listed);
  for (const InfoHash& hash : listed) EXPECT_TRUE(list.Contains(hash));
  EXPECT_FALSE(list.Contains(with_prefix(0x00, 0x00, 2)));  // a listed prefix, another torrent
  EXPECT_FALSE(list.Contains(with_prefix(0x01, 0x00, 2)));
  EXPECT_FALSE(list.Contains(with_prefix(0xff, 0xff, 0)));
  EXPECT_FALSE(list.Contains(with_prefix(0x00, 0x01, 1)));  // a prefix nobody has
  EXPECT_FALSE(AccessList().Contains(with_prefix(0x00, 0x00, 1)));
}

TEST(AccessListTest, NamesFollowTheirTorrentsThroughSortingAndRepeats) {
  AccessList list({Filled(9), Filled(1), Filled(5), Filled(1)}, {"nine", "one", "", "one again"});
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(list.NameOf(Filled(9)), "nine");
  EXPECT_EQ(list.NameOf(Filled(1)), "one");                  // the first of a repeat
  EXPECT_EQ(list.NameOf(Filled(5)), "");                     // listed without a name
  EXPECT_EQ(list.NameOf(Filled(2)), "");                     // not listed
  EXPECT_EQ(AccessList({Filled(9)}).NameOf(Filled(9)), "");  // a list file names nothing
  EXPECT_TRUE(list.named());
  EXPECT_FALSE(AccessList({Filled(9)}).named());
  EXPECT_EQ(list.longest_name(), 4u);  // "nine": the repeat's longer name was dropped
  EXPECT_EQ(AccessList({Filled(9)}).longest_name(), 0u);
}

}  // namespace
}  // namespace shardtrack
