// ParsePasskeyList: the passkey file's lines, what is ignored on them, and the errors that name
// a bad line; PasskeyList looks up exact passkeys only.
#include "frontend/access/passkey_list.h"

#include <gtest/gtest.h>

#include <string>

namespace shardtrack {
namespace {

TEST(PasskeyListTest, ReadsTheFirstWordOfEachLineSkippingCommentsAndBlankLines) {
  auto list = ParsePasskeyList(
      "# members\n"
      "  0123456789abcdef0123456789abcdef  alice 1001\n"
      "\n"
      "Key-with.all_the~characters\r\n"
      "0123456789abcdef0123456789abcdef\tlisted twice\n"
      "last-line-without-newline");
  ASSERT_TRUE(list.ok()) << list.error();
  EXPECT_EQ(list->size(), 3u);
  EXPECT_TRUE(list->Contains("0123456789abcdef0123456789abcdef"));
  EXPECT_TRUE(list->Contains("Key-with.all_the~characters"));
  EXPECT_TRUE(list->Contains("last-line-without-newline"));
  EXPECT_FALSE(list->Contains("alice"));
  EXPECT_FALSE(list->Contains(""));
}

TEST(PasskeyListTest, LooksUpExactPasskeysOnly) {
  auto list = ParsePasskeyList("abcdef\n");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->Contains("abcdef"));
  EXPECT_FALSE(list->Contains("abcde"));
  EXPECT_FALSE(list->Contains("abcdefg"));
  EXPECT_FALSE(list->Contains("ABCDEF"));
}

TEST(PasskeyListTest, AManyThousandPasskeyListFindsEachOnceAndNothingElse) {
  std::string text;
  for (int n = 0; n < 20000; ++n) text += "member" + std::to_string(n % 15000) + "\n";
  auto list = ParsePasskeyList(text);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 15000u);  // repeats kept once
  for (int n = 0; n < 15000; ++n) ASSERT_TRUE(list->Contains("member" + std::to_string(n))) << n;
  for (int n = 15000; n < 30000; ++n) ASSERT_FALSE(list->Contains("member" + std::to_string(n)));
  EXPECT_FALSE(list->Contains("member"));
  EXPECT_FALSE(PasskeyList().Contains("member1"));
}

TEST(PasskeyListTest, AFileListingNoPasskeyIsAnError) {
  for (std::string_view text : {"", "# nobody yet\n\n"}) {
    auto list = ParsePasskeyList(text);
    ASSERT_FALSE(list.ok());
    EXPECT_EQ(list.error(), "lists no passkey, which would refuse every member (a failed export?)");
  }
}

TEST(PasskeyListTest, ACharacterAUrlPathWouldEscapeMakesTheWholeFileAnError) {
  auto list = ParsePasskeyList("good\nbad/key\n");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error(), "line 2: character 4, '/', cannot be in a passkey (A-Z a-z 0-9 - . _ ~)");
  // The line is a member's secret: never shown.
  auto csv = ParsePasskeyList("d1d2d3d4e5,4\n");
  ASSERT_FALSE(csv.ok());
  EXPECT_EQ(csv.error().find("d1d2"), std::string::npos) << csv.error();
  EXPECT_FALSE(ParsePasskeyList("caf\xc3\xa9\n").ok());
  EXPECT_FALSE(ParsePasskeyList("a%20b\n").ok());
}

TEST(PasskeyListTest, APasskeyOver64CharactersIsAnError) {
  EXPECT_TRUE(ParsePasskeyList(std::string(kMaxPasskeyLength, 'k')).ok());
  auto list = ParsePasskeyList(std::string(kMaxPasskeyLength + 1, 'k'));
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.error().find("line 1: "), std::string::npos) << list.error();
  EXPECT_NE(list.error().find("at most 64 characters, this one 65"), std::string::npos)
      << list.error();
}

}  // namespace
}  // namespace shardtrack
