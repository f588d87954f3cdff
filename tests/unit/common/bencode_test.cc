#include "common/bencode.h"

#include <gtest/gtest.h>

namespace shardtrack {
namespace {

TEST(BencodeTest, WritesEveryKind) {
  std::string out;
  BencodeWriter(out)
      .BeginDict()
      .Key("a")
      .Int(-3)
      .Key("b")
      .BeginList()
      .String("xy")
      .Int(0)
      .End()
      .End();
  EXPECT_EQ(out, "d1:ai-3e1:bl2:xyi0eee");
}

TEST(BencodeTest, RoundTripsBinaryStrings) {
  std::string binary("\0\xff:e", 4);
  std::string out;
  BencodeWriter(out).String(binary);
  auto parsed = ParseBencode(out);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->as_string(), binary);
}

TEST(BencodeTest, ParsesNestedValues) {
  auto parsed = ParseBencode("d5:filesd3:abcd8:completei5eee8:intervali1800ee");
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->Find("interval")->as_int(), 1800);
  EXPECT_EQ(parsed->Find("files")->Find("abc")->Find("complete")->as_int(), 5);
  EXPECT_EQ(parsed->Find("missing"), nullptr);
  std::string again;
  WriteBencode(*parsed, again);
  EXPECT_EQ(again, "d5:filesd3:abcd8:completei5eee8:intervali1800ee");
}

TEST(BencodeTest, RejectsUnsortedDictKeys) {
  EXPECT_FALSE(ParseBencode("d1:bi1e1:ai2ee"));
  EXPECT_FALSE(ParseBencode("d1:ai1e1:ai2ee"));
}

TEST(BencodeTest, RejectsNonCanonicalIntegers) {
  EXPECT_FALSE(ParseBencode("i03e"));
  EXPECT_FALSE(ParseBencode("i-0e"));
  EXPECT_FALSE(ParseBencode("ie"));
  EXPECT_FALSE(ParseBencode("i1x2e"));
  EXPECT_FALSE(ParseBencode("i99999999999999999999e"));
  EXPECT_TRUE(ParseBencode("i0e"));
}

TEST(BencodeTest, RejectsTruncatedAndTrailingInput) {
  for (const char* bad :
       {"", "i1", "l", "d", "4:abc", "d1:a", "li1e", "3:abcX", "x", "-1:a", "di1ei2ee"}) {
    auto parsed = ParseBencode(bad);
    EXPECT_FALSE(parsed) << bad;
    if (!parsed) {
      EXPECT_NE(parsed.error().find("offset"), std::string::npos);
    }
  }
}

TEST(BencodeTest, BoundsNesting) {
  std::string deep(1000, 'l');
  deep += std::string(1000, 'e');
  EXPECT_FALSE(ParseBencode(deep));
}

}  // namespace
}  // namespace shardtrack
