// ServerSettingNames against the servers' real settings, both ways; UnknownVariableWarnings on
// environments as `environ` holds them.
#include "common/server_setting_names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/flags.h"
#include "frontend/frontend_settings.h"
#include "shard/shard_settings.h"

namespace shardtrack {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Every name the three servers put on their FlagSets. A node registers parts of a frontend's and
// a shard's settings, and one of its own, "shards": its NodeSettings is in node/main.cc, which no
// library holds, so that one is named here.
std::set<std::string> RegisteredNames() {
  FlagSet frontend_flags("shardtrack-frontend", "");
  FrontendSettings frontend;
  frontend.Register(frontend_flags);
  FlagSet shard_flags("shardtrack-shard", "");
  ShardSettings shard;
  shard.Register(shard_flags);
  std::set<std::string> names = {"shards"};
  for (const FlagSet* flags : {&frontend_flags, &shard_flags}) {
    for (std::string& name : flags->Names()) names.insert(std::move(name));
  }
  return names;
}

std::set<std::string> ListedNames() {
  return {ServerSettingNames().begin(), ServerSettingNames().end()};
}

TEST(ServerSettingNamesTest, ListsEverySettingTheServersRegister) {
  const std::set<std::string> listed = ListedNames();
  for (const std::string& name : RegisteredNames()) {
    EXPECT_TRUE(listed.contains(name)) << name << " is a setting but not in ServerSettingNames";
  }
}

TEST(ServerSettingNamesTest, ListsNothingTheServersDoNotRegister) {
  const std::set<std::string> registered = RegisteredNames();
  for (const std::string& name : ListedNames()) {
    EXPECT_TRUE(registered.contains(name)) << name << " is in ServerSettingNames but no setting";
  }
  EXPECT_EQ(ListedNames().size(), ServerSettingNames().size()) << "a name listed twice";
}

TEST(ServerSettingNamesTest, NoToolingVariableIsASettingsVariable) {
  const std::set<std::string> registered = RegisteredNames();
  for (std::string_view variable : ToolingVariables()) {
    EXPECT_TRUE(variable.starts_with("SHARDTRACK_")) << variable;
    for (const std::string& name : registered) {
      EXPECT_NE(EnvironmentVariableOf(name), variable) << "list " << name << " as a setting";
    }
  }
}

// UnknownVariableWarnings over `entries`, given as environ holds them.
std::vector<std::string> WarningsFor(std::vector<const char*> entries) {
  entries.push_back(nullptr);
  return UnknownVariableWarnings(entries.data());
}

TEST(UnknownVariableWarningsTest, WarnsOfAMisspeltNameWithTheNearestOne) {
  EXPECT_THAT(WarningsFor({"SHARDTRACK_ACCES_LIST=/etc/shardtrack/allowed"}),
              ElementsAre("SHARDTRACK_ACCES_LIST names no setting of any shardtrack program "
                          "(did you mean SHARDTRACK_ACCESS_LIST? each program's --help lists its "
                          "settings and their variables); ignored"));
  EXPECT_THAT(WarningsFor({"SHARDTRACK_FLAVOUR=vanilla"}),
              ElementsAre("SHARDTRACK_FLAVOUR names no setting of any shardtrack program "
                          "(misspelt? each program's --help lists its settings and their "
                          "variables); ignored"));
}

TEST(UnknownVariableWarningsTest, IsSilentOnEveryServersSettings) {
  // SHARDTRACK_COUNT is only a shard's, SHARDTRACK_SHARD only a frontend's, SHARDTRACK_SHARDS
  // only a node's: one environment file serves them all.
  EXPECT_THAT(WarningsFor({"SHARDTRACK_COUNT=2", "SHARDTRACK_SHARD=tcp://127.0.0.1:7000",
                           "SHARDTRACK_SHARDS=2", "SHARDTRACK_ACCESS_LIST=/etc/allowed"}),
              IsEmpty());
}

TEST(UnknownVariableWarningsTest, IsSilentOnOurToolingsVariables) {
  EXPECT_THAT(WarningsFor({"SHARDTRACK_BIN_DIR=build/bin", "SHARDTRACK_CHAOS_SEED=7"}), IsEmpty());
}

TEST(UnknownVariableWarningsTest, IgnoresOtherVariables) {
  EXPECT_THAT(WarningsFor({"PATH=/usr/bin", "HOME=/root", "ACCES_LIST=x", "shardtrack_port=1"}),
              IsEmpty());
}

TEST(UnknownVariableWarningsTest, ReadsOnlyTheNameAndWarnsOfEachInOrder) {
  // A value may hold '=' and look like a setting; a name in lower case is not read by FlagSet.
  EXPECT_THAT(
      WarningsFor({"SHARDTRACK_PORTS=SHARDTRACK_PORT=1", "SHARDTRACK_PORT", "SHARDTRACK_port=1"}),
      ElementsAre(::testing::StartsWith("SHARDTRACK_PORTS names no setting"),
                  ::testing::StartsWith("SHARDTRACK_port names no setting")));
}

TEST(UnknownVariableWarningsTest, NoEnvironmentWarnsOfNothing) {
  EXPECT_THAT(UnknownVariableWarnings(nullptr), IsEmpty());
  EXPECT_THAT(WarningsFor({}), IsEmpty());
}

}  // namespace
}  // namespace shardtrack
