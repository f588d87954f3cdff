#include "common/http/query_string.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace shardtrack {
namespace {

using namespace std::string_literals;
using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs ReadAll(std::string_view query) {
  Pairs out;
  QueryStringReader reader(query);
  while (reader.Next()) out.emplace_back(reader.key(), reader.value().value_or("<malformed>"));
  return out;
}

TEST(QueryStringTest, PercentDecodeDecodesEscapesInEitherCase) {
  EXPECT_EQ(PercentDecode("%41"), "A");
  EXPECT_EQ(PercentDecode("a%2fb%2Fc"), "a/b/c");
  EXPECT_EQ(PercentDecode("plain-text_.~"), "plain-text_.~");
  EXPECT_EQ(PercentDecode(""), "");
}

TEST(QueryStringTest, PercentDecodeTurnsPlusIntoSpace) {
  EXPECT_EQ(PercentDecode("a+b++"), "a b  ");
  EXPECT_EQ(PercentDecode("%2B"), "+");  // an escaped plus stays a plus
}

TEST(QueryStringTest, PercentDecodeKeepsBinaryBytes) {
  EXPECT_EQ(PercentDecode("%00%ff%FF%80x"), "\x00\xff\xff\x80x"s);
}

TEST(QueryStringTest, PercentDecodeRejectsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("%"), std::nullopt);
  EXPECT_EQ(PercentDecode("abc%"), std::nullopt);
  EXPECT_EQ(PercentDecode("%4"), std::nullopt);
  EXPECT_EQ(PercentDecode("a%4"), std::nullopt);
  EXPECT_EQ(PercentDecode("%zz"), std::nullopt);
  EXPECT_EQ(PercentDecode("%4g"), std::nullopt);
  EXPECT_EQ(PercentDecode("%g4"), std::nullopt);
  EXPECT_EQ(PercentDecode("%%41"), std::nullopt);
}

TEST(QueryStringTest, PercentDecodeIntoWritesNoMoreThanItsInput) {
  std::string buffer(8, '#');
  auto size = PercentDecodeInto("%41%42c", buffer.data());
  ASSERT_EQ(size, 3u);
  EXPECT_EQ(buffer, "ABc#####");
}

TEST(QueryStringTest, ReaderSkipsEmptyPartsAndGivesFlagsEmptyValues) {
  EXPECT_EQ(ReadAll("a=b&&c&d="), (Pairs{{"a", "b"}, {"c", ""}, {"d", ""}}));
  EXPECT_EQ(ReadAll(""), Pairs{});
  EXPECT_EQ(ReadAll("&&&"), Pairs{});
  EXPECT_EQ(ReadAll("a=b=c"), (Pairs{{"a", "b=c"}}));  // the first '=' splits
}

TEST(QueryStringTest, ReaderDecodesKeysAndValues) {
  EXPECT_EQ(ReadAll("info%5Fhash=%00%ff&x+y=a+b"),
            (Pairs{{"info_hash", "\x00\xff"s}, {"x y", "a b"}}));
  // An escaped '&' or '=' is data, not a separator.
  EXPECT_EQ(ReadAll("k%3D=v%26w"), (Pairs{{"k=", "v&w"}}));
}

TEST(QueryStringTest, ReaderViewsStayValidUntilNextCall) {
  std::string long_value(300, 'x');
  std::string query = "k%41=v%42&long=" + long_value + "%21&plain=p";
  QueryStringReader reader(query);
  ASSERT_TRUE(reader.Next());
  std::string_view key = reader.key();
  std::string_view value = *reader.value();
  EXPECT_EQ(key, "kA");
  EXPECT_EQ(value, "vB");  // key and value both escaped: neither overwrote the other
  ASSERT_TRUE(reader.Next());
  EXPECT_EQ(reader.key(), "long");
  EXPECT_EQ(reader.value(), long_value + "!");  // over the inline buffer
  ASSERT_TRUE(reader.Next());
  EXPECT_EQ(reader.key(), "plain");
  EXPECT_EQ(reader.value(), "p");
  EXPECT_FALSE(reader.Next());
  EXPECT_FALSE(reader.Next());
}

TEST(QueryStringTest, ReaderGivesNoValueForAMalformedEscape) {
  EXPECT_EQ(ReadAll("ok=1&port=%zz&later=2"),
            (Pairs{{"ok", "1"}, {"port", "<malformed>"}, {"later", "2"}}));
}

TEST(QueryStringTest, ReaderSkipsKeysWithMalformedEscapes) {
  // Such a key names nothing a tracker reads; its value is not looked at.
  EXPECT_EQ(ReadAll("po%rt=1&%4=%zz&x=2"), (Pairs{{"x", "2"}}));
}

TEST(QueryStringTest, ForEachQueryParamVisitsKnownKeysAndStopsAtFirstError) {
  Pairs seen;
  auto known = [](std::string_view key) {  // the field is the key, as read
    return key != "unknown" ? std::optional(std::string(key)) : std::nullopt;
  };
  auto visit = [&seen](const std::string& key, std::string_view value) -> Status {
    seen.emplace_back(key, value);
    if (key == "stop") return Error{"stopped at " + std::string(value)};
    return OkStatus();
  };
  Status status = ForEachQueryParam("a=1&unknown=2&stop=here&b=2", known, visit);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), "stopped at here");
  EXPECT_EQ(seen, (Pairs{{"a", "1"}, {"stop", "here"}}));

  seen.clear();
  status = ForEachQueryParam("a=1&info_hash=%4&b=2", known, visit);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), "invalid info_hash: malformed percent-escape");
  EXPECT_EQ(seen, (Pairs{{"a", "1"}}));

  seen.clear();
  EXPECT_TRUE(ForEachQueryParam("x=1&unknown=%zz&y", known, visit));
  EXPECT_EQ(seen, (Pairs{{"x", "1"}, {"y", ""}}));
}

}  // namespace
}  // namespace shardtrack
