#include "common/flags.h"

#include <gtest/gtest.h>

#include <map>
#include <tuple>
#include <utility>

#include "tests/unit/common/flag_test_util.h"

namespace shardtrack {
namespace {

struct Settings {
  std::string name = "default";
  std::uint16_t port = 6969;
  bool verbose = false;
  std::vector<std::string> shards;
  std::uint32_t give = 50;
  std::int64_t timeout = 15;
  std::uint32_t buffer = 8192;
  enum class Mode { kAllow, kDeny } mode = Mode::kDeny;
};

class FlagsTest : public ::testing::Test {
 protected:
  FlagsTest() : flags_("prog", "a test program") {
    flags_.Add("name", &settings_.name, "a name");
    flags_.Add("port", &settings_.port, "a port");
    flags_.Add("verbose", &settings_.verbose, "talk more");
    flags_.Add("shard", &settings_.shards, "a shard");
    flags_.Add("give", &settings_.give, "peers given", Between(1, 200, "what a reply holds"));
    flags_.Add("timeout", &settings_.timeout, "seconds", UpToTenYears(0));
    flags_.Add("buffer", &settings_.buffer, "bytes", AtLeast(4096));
    flags_.Add("mode", &settings_.mode, "what the list does",
               {{"allow", Settings::Mode::kAllow},
                {"deny", Settings::Mode::kDeny},
                {"block", Settings::Mode::kDeny}});
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
  auto maybe = Parse({"--verbose=maybe"});
  ASSERT_FALSE(maybe);
  EXPECT_EQ(maybe.error(), "--verbose must be true or false (or 1 or 0, yes or no), not 'maybe'");
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
  EXPECT_NE(flags_.MarkdownTable().find("| `--port` | `6969` |  | a port |"), std::string::npos);
}

TEST_F(FlagsTest, ARangeTakesBothOfItsEnds) {
  const std::tuple<const char*, const char*, const char*> ends[] = {
      {"1", "0", "4096"}, {"200", "315360000", "4294967295"}};
  for (const auto& [give, timeout, buffer] : ends) {
    auto outcome = Parse({"--give", give, "--timeout", timeout, "--buffer", buffer});
    ASSERT_TRUE(outcome) << outcome.error();
    EXPECT_EQ(std::to_string(settings_.give), give);
    EXPECT_EQ(std::to_string(settings_.timeout), timeout);
    EXPECT_EQ(std::to_string(settings_.buffer), buffer);
  }
}

TEST_F(FlagsTest, AValueOutsideItsRangeIsRefusedNamingTheRangeAndWhy) {
  const std::pair<std::vector<const char*>, std::string> cases[] = {
      {{"--give", "0"}, "--give must be 1 to 200 (what a reply holds), not 0"},
      {{"--give=201"}, "--give must be 1 to 200 (what a reply holds), not 201"},
      {{"--timeout", "-1"}, "--timeout must be 0 to 315360000 (ten years), not -1"},
      {{"--timeout", "315360001"}, "--timeout must be 0 to 315360000 (ten years), not 315360001"},
      {{"--buffer", "4095"}, "--buffer must be at least 4096, not 4095"},
      // Beyond what the type holds, or not a number at all: the same range.
      {{"--give", "4294967296"},
       "--give must be an integer, 1 to 200 (what a reply holds), not '4294967296'"},
      {{"--give", "-1"}, "--give must be an integer, 1 to 200 (what a reply holds), not '-1'"},
      {{"--give", "ten"}, "--give must be an integer, 1 to 200 (what a reply holds), not 'ten'"},
      {{"--port", "70000"}, "--port must be an integer, 0 to 65535, not '70000'"}};
  for (const auto& [args, error] : cases) {
    auto refused = Parse(args);
    ASSERT_FALSE(refused) << args[0];
    EXPECT_EQ(refused.error(), error);
  }
  EXPECT_EQ(settings_.give, 50u);  // a refused value is not kept
}

TEST(FlagsDeathTest, ADefaultOutsideItsRangeIsAProgrammingError) {
  FlagSet flags("prog", "a test program");
  std::uint32_t give = 0;
  EXPECT_DEATH(flags.Add("give", &give, "peers given", Between(1, 200)),
               "--give's default 0 is outside its range, 1 to 200");
  std::int64_t timeout = 315360001;
  EXPECT_DEATH(flags.Add("timeout", &timeout, "seconds", UpToTenYears(0)), "outside its range");
}

TEST_F(FlagsTest, AValueFromTheEnvironmentIsHeldToItsRangeToo) {
  env_["SHARDTRACK_GIVE"] = "201";
  auto refused = Parse({});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(),
            "SHARDTRACK_GIVE: --give must be 1 to 200 (what a reply holds), not 201");
  env_["SHARDTRACK_GIVE"] = "200";
  ASSERT_TRUE(Parse({}));
  EXPECT_EQ(settings_.give, 200u);
}

// A bad variable does not stop a command line that gives the setting, nor --help.
TEST_F(FlagsTest, ABadVariableIsNotReadWhenTheCommandLineGivesItsSettingOrAsksForHelp) {
  env_["SHARDTRACK_GIVE"] = "abc";
  env_["SHARDTRACK_SHARD"] = "a,b";
  ASSERT_TRUE(Parse({"--give=7", "--shard", "z"}));
  EXPECT_EQ(settings_.give, 7u);
  EXPECT_EQ(settings_.shards, (std::vector<std::string>{"z"}));
  auto help = Parse({"--help"});
  ASSERT_TRUE(help) << help.error();
  EXPECT_EQ(*help, FlagSet::Outcome::kHelpShown);
  EXPECT_FALSE(Parse({}));
}

TEST_F(FlagsTest, HelpAndTheMarkdownTableShowTheRange) {
  const std::string help = flags_.Help();
  EXPECT_NE(help.find("  --give VALUE\n      peers given\n      default: 50; environment: "
                      "SHARDTRACK_GIVE\n      allowed: 1 to 200 (what a reply holds)\n"),
            std::string::npos)
      << help;
  EXPECT_NE(
      help.find("default: 8192; environment: SHARDTRACK_BUFFER\n      allowed: at least 4096\n"),
      std::string::npos)
      << help;
  EXPECT_NE(help.find("default: 6969; environment: SHARDTRACK_PORT\n  --verbose"),
            std::string::npos)
      << help;  // no range
  const std::string table = flags_.MarkdownTable();
  EXPECT_EQ(table.substr(0, table.find('\n')), "| option | default | allowed | meaning |");
  EXPECT_NE(table.find("| `--give` | `50` | 1 to 200 (what a reply holds) | peers given |"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("| `--timeout` | `15` | 0 to 315360000 (ten years) | seconds |"),
            std::string::npos)
      << table;
}

TEST_F(FlagsTest, AWordSettingTakesEachOfItsWordsAndTheValueItStandsFor) {
  ASSERT_TRUE(Parse({}));
  EXPECT_EQ(settings_.mode, Settings::Mode::kDeny);
  ASSERT_TRUE(Parse({"--mode", "allow"}));
  EXPECT_EQ(settings_.mode, Settings::Mode::kAllow);
  ASSERT_TRUE(Parse({"--mode=block"}));  // a second word for one value
  EXPECT_EQ(settings_.mode, Settings::Mode::kDeny);
  env_["SHARDTRACK_MODE"] = "allow";
  ASSERT_TRUE(Parse({}));
  EXPECT_EQ(settings_.mode, Settings::Mode::kAllow);
}

TEST_F(FlagsTest, AnyOtherWordIsRefusedNamingTheWordsAllowed) {
  for (const char* word : {"Allow", "", "allowed", "whitelist"}) {
    auto refused = Parse({"--mode", word});
    ASSERT_FALSE(refused) << word;
    EXPECT_EQ(refused.error(),
              "--mode must be allow, deny or block, not '" + std::string(word) + "'");
  }
  env_["SHARDTRACK_MODE"] = "open";
  auto refused = Parse({});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "SHARDTRACK_MODE: --mode must be allow, deny or block, not 'open'");
  EXPECT_EQ(settings_.mode, Settings::Mode::kDeny);  // unchanged
}

TEST_F(FlagsTest, HelpAndTheMarkdownTableShowTheWordsAndTheDefaultsWord) {
  EXPECT_NE(flags_.Help().find("  --mode VALUE\n      what the list does\n      default: deny; "
                               "environment: SHARDTRACK_MODE\n      allowed: allow, deny or "
                               "block\n"),
            std::string::npos)
      << flags_.Help();
  EXPECT_NE(flags_.MarkdownTable().find(
                "| `--mode` | `deny` | allow, deny or block | what the list does |"),
            std::string::npos)
      << flags_.MarkdownTable();
}

TEST_F(FlagsTest, AnOlderSpellingIsTakenButNotListed) {
  enum class Level { kLow, kHigh } level = Level::kLow;
  flags_.Add("level", &level, "a level",
             {{"yes", Level::kHigh, false}, {"low", Level::kLow}, {"high", Level::kHigh}});
  ASSERT_TRUE(Parse({"--level", "yes"}));
  EXPECT_EQ(level, Level::kHigh);
  auto refused = Parse({"--level", "no"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "--level must be low or high, not 'no'");
  EXPECT_NE(flags_.Help().find("default: low; environment: SHARDTRACK_LEVEL\n      allowed: low or "
                               "high\n"),
            std::string::npos)
      << flags_.Help();
}

TEST_F(FlagsTest, WordsOfKeepsASettingAsItsText) {
  std::string shape = "round";
  flags_.Add("shape", &shape, "a shape", WordsOf({"round", "square"}));
  ASSERT_TRUE(Parse({"--shape", "square"}));
  EXPECT_EQ(shape, "square");
  auto refused = Parse({"--shape", "oval"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "--shape must be round or square, not 'oval'");
}

TEST(FlagsDeathTest, ADefaultThatIsNoneOfItsWordsIsAProgrammingError) {
  FlagSet flags("prog", "a test program");
  std::string shape = "oval";
  EXPECT_DEATH(flags.Add("shape", &shape, "a shape", WordsOf({"round", "square"})),
               "--shape's default is none of its words, round or square");
  std::string listed_only = "yes";  // an older spelling is no default: --help would not list it
  EXPECT_DEATH(flags.Add("answer", &listed_only, "an answer",
                         {{"yes", "yes", false}, {"always", "always"}, {"never", "never"}}),
               "--answer's default is none of its words, always or never");
}

TEST_F(FlagsTest, AnOptionOfAnotherProgramIsRefusedSayingWhy) {
  flags_.NotTaken("count", "its shards are its own: give --shards N");
  auto refused = Parse({"--count", "2"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(),
            "--count is not an option here (its shards are its own: give --shards N)");
  refused = Parse({"--count=2"});
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().starts_with("--count is not an option here (")) << refused.error();
  auto unknown = Parse({"--counts", "2"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), "unknown option --counts (see --help)");  // nothing near
  auto near = Parse({"--buffr", "8192"});
  ASSERT_FALSE(near);
  EXPECT_EQ(near.error(), "unknown option --buffr (did you mean --buffer? see --help)");
  env_["SHARDTRACK_COUNT"] = "2";  // one environment file serves every kind of process
  EXPECT_TRUE(Parse({}));
  EXPECT_EQ(flags_.Help().find("--count"), std::string::npos);
}

TEST_F(FlagsTest, NamesItsSettingsInOrderButNotThoseNotTaken) {
  flags_.NotTaken("count", "its shards are its own");
  EXPECT_EQ(flags_.Names(), (std::vector<std::string>{"name", "port", "verbose", "shard", "give",
                                                      "timeout", "buffer", "mode"}));
}

TEST(EnvironmentVariableOfTest, IsUpperCaseWithUnderscoresAfterThePrefix) {
  EXPECT_EQ(EnvironmentVariableOf("access-list"), "SHARDTRACK_ACCESS_LIST");
  EXPECT_EQ(EnvironmentVariableOf("shards"), "SHARDTRACK_SHARDS");
}

}  // namespace
}  // namespace shardtrack
