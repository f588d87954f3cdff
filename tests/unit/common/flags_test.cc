#include "common/flags.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/unit/common/flag_test_util.h"

namespace shardtrack {
namespace {

struct Settings {
  std::string name = "default";
  std::uint16_t port = 6969;
  bool verbose = false;
  std::vector<std::string> shards;
};

class FlagsTest : public ::testing::Test {
 protected:
  FlagsTest() : flags_("prog", "a test program") {
    flags_.Add("name", &settings_.name, "a name");
    flags_.Add("port", &settings_.port, "a port");
    flags_.Add("verbose", &settings_.verbose, "talk more");
    flags_.Add("shard", &settings_.shards, "a shard");
  }
  Result<FlagSet::Outcome> Parse(std::vector<const char*> args) {
    return testing::ParseWithEnvironment(flags_, std::move(args), env_);
  }
  Settings settings_;
  FlagSet flags_;
  std::map<std::string, std::string> env_;
};

TEST_F(FlagsTest, KeepsDefaultsWhenNothingIsGiven) {
  ASSERT_TRUE(Parse({}));
  EXPECT_EQ(settings_.name, "default");
  EXPECT_EQ(settings_.port, 6969);
}

TEST_F(FlagsTest, ReadsBothSpellingsAndRepeats) {
  auto outcome = Parse({"--name", "x", "--port=7000", "--verbose", "--shard", "a", "--shard=b"});
  ASSERT_TRUE(outcome) << outcome.error();
  EXPECT_EQ(settings_.name, "x");
  EXPECT_EQ(settings_.port, 7000);
  EXPECT_TRUE(settings_.verbose);
  EXPECT_EQ(settings_.shards, (std::vector<std::string>{"a", "b"}));
}

TEST_F(FlagsTest, AToolCanIgnoreTheEnvironmentAndNameNoneInItsHelp) {
  flags_.IgnoreEnvironment();
  env_["SHARDTRACK_NAME"] = "from-env";
  env_["SHARDTRACK_SHARD"] = "a,b";
  ASSERT_TRUE(Parse({"--port", "9000"}));
  EXPECT_EQ(settings_.name, "default");
  EXPECT_EQ(settings_.port, 9000);
  EXPECT_TRUE(settings_.shards.empty());
  EXPECT_EQ(flags_.Help().find("SHARDTRACK_"), std::string::npos) << flags_.Help();
}

TEST_F(FlagsTest, ReadsTheEnvironmentAndLetsTheCommandLineWin) {
  env_["SHARDTRACK_NAME"] = "from-env";
  env_["SHARDTRACK_PORT"] = "8000";
  env_["SHARDTRACK_SHARD"] = "a,b,c";
  ASSERT_TRUE(Parse({"--port", "9000"}));
  EXPECT_EQ(settings_.name, "from-env");
  EXPECT_EQ(settings_.port, 9000);
  EXPECT_EQ(settings_.shards, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_TRUE(Parse({"--shard", "z"}));
  EXPECT_EQ(settings_.shards, (std::vector<std::string>{"z"}));
}

TEST_F(FlagsTest, AnEnvironmentListMayHaveSpacesAfterItsCommas) {
  env_["SHARDTRACK_SHARD"] = "tcp://a:1, tcp://b:2 ,tcp://c:3";
  ASSERT_TRUE(Parse({}));
  EXPECT_EQ(settings_.shards, (std::vector<std::string>{"tcp://a:1", "tcp://b:2", "tcp://c:3"}));
}

TEST_F(FlagsTest, RejectsBadValuesWithTheFlagsName) {
  auto out_of_range = Parse({"--port", "70000"});
  ASSERT_FALSE(out_of_range);
  EXPECT_NE(out_of_range.error().find("--port"), std::string::npos);
  EXPECT_FALSE(Parse({"--port", "12x"}));
  EXPECT_FALSE(Parse({"--verbose=maybe"}));
  auto unknown = Parse({"--nope"});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("--nope"), std::string::npos);
  EXPECT_FALSE(Parse({"--name"}));
  env_["SHARDTRACK_PORT"] = "abc";
  auto bad_env = Parse({});
  ASSERT_FALSE(bad_env);
  EXPECT_NE(bad_env.error().find("SHARDTRACK_PORT"), std::string::npos);
}

TEST_F(FlagsTest, AValueAfterABareYesNoFlagIsRefusedSayingToUseEquals) {
  auto spaced = Parse({"--verbose", "false"});
  ASSERT_FALSE(spaced);
  EXPECT_EQ(spaced.error(),
            "unexpected argument 'false' (a yes/no setting takes its value after '=': "
            "--verbose=false)");
  auto stray = Parse({"--port", "7000", "false"});
  ASSERT_FALSE(stray);
  EXPECT_EQ(stray.error(), "unexpected argument 'false'");
}

TEST_F(FlagsTest, HelpListsEverySettingWithItsDefault) {
  auto outcome = Parse({"--help"});
  ASSERT_TRUE(outcome);
  EXPECT_EQ(*outcome, FlagSet::Outcome::kHelpShown);
  std::string help = flags_.Help();
  EXPECT_NE(help.find("--port VALUE"), std::string::npos);
  EXPECT_NE(help.find("default: 6969"), std::string::npos);
  EXPECT_NE(help.find("SHARDTRACK_PORT"), std::string::npos);
  EXPECT_NE(flags_.MarkdownTable().find("| `--port` | `6969` | a port |"), std::string::npos);
}

}  // namespace
}  // namespace shardtrack
