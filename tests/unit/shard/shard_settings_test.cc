// ShardSettings: --snapshot-cpus takes a CPU list (numbers and ranges, from the command line or
// the environment) and is empty by default (the child stays on the shard's CPUs); a malformed
// list, or a CPU the machine does not have, is refused with a message naming the setting. The
// expiry pace takes its lap bound from --expire-lap or a tenth of --peer-timeout; values that
// would stop expiry or spin the loop are out of their ranges, and refused where they are read, as
// are file intervals and listener limits out of theirs. Shards take their first periodic snapshot
// at staggered times; --count is 1 to 65536. --store-peer-ids takes asked (the default), always or
// never, and the booleans it took before; --on-corrupt refuse (the default) or quarantine.
#include "shard/shard_settings.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/batch_limits.h"
#include "tests/unit/common/flag_test_util.h"

namespace shardtrack {
namespace {

class ShardSettingsTest : public ::testing::Test {
 protected:
  ShardSettingsTest() { settings_.Register(flags_); }

  // Parses `args` (and env_) into settings_.
  Status Parse(std::vector<const char*> args) {
    auto parsed = testing::ParseWithEnvironment(flags_, std::move(args), env_);
    if (!parsed) return Error{parsed.error()};
    return OkStatus();
  }
  // Parses `args`, then derives the snapshot child's CPUs on a machine of `cpus`.
  Result<std::vector<int>> SnapshotCpus(std::vector<const char*> args, int cpus = 8) {
    if (Status parsed = Parse(std::move(args)); !parsed) return Error{parsed.error()};
    return SnapshotCpusFrom(settings_, cpus);
  }
  Result<ExpirySweep::Options> Expiry(std::vector<const char*> args) {
    if (Status parsed = Parse(std::move(args)); !parsed) return Error{parsed.error()};
    return Result<ExpirySweep::Options>(ExpiryOptionsFrom(settings_));
  }

  ShardSettings settings_;
  FlagSet flags_{"shardtrack-shard", "test"};
  std::map<std::string, std::string> env_;
};

void ExpectRefused(const Result<std::vector<int>>& cpus, const std::string& text) {
  ASSERT_FALSE(cpus) << "accepted " << text;
  EXPECT_NE(cpus.error().find("--snapshot-cpus"), std::string::npos) << cpus.error();
  EXPECT_NE(cpus.error().find("'" + text + "'"), std::string::npos) << cpus.error();
}

TEST(FirstSaveDelayTest, ShardsOfOneClusterSpreadTheirFirstSnapshotOverAnInterval) {
  ShardSettings settings;
  settings.save_dfile_interval = 300;
  settings.count = 4;
  std::vector<Duration> delays;
  for (std::uint32_t index = 0; index < 4; ++index) {
    settings.index = index;
    delays.push_back(FirstSaveDelay(settings));
  }
  using std::chrono::seconds;
  EXPECT_EQ(delays,
            (std::vector<Duration>{seconds(300), seconds(375), seconds(450), seconds(525)}));
}

TEST_F(ShardSettingsTest, SnapshotCpusAreEmptyByDefault) {
  auto cpus = SnapshotCpus({});
  ASSERT_TRUE(cpus) << cpus.error();
  EXPECT_TRUE(cpus->empty());
}

TEST_F(ShardSettingsTest, SnapshotCpusTakeNumbersAndRanges) {
  auto cpus = SnapshotCpus({"--snapshot-cpus", "2,3"});
  ASSERT_TRUE(cpus) << cpus.error();
  EXPECT_EQ(*cpus, (std::vector<int>{2, 3}));
  cpus = SnapshotCpus({"--snapshot-cpus=5,0-2,7"});
  ASSERT_TRUE(cpus) << cpus.error();
  EXPECT_EQ(*cpus, (std::vector<int>{0, 1, 2, 5, 7}));
  cpus = SnapshotCpus({"--snapshot-cpus", "1-1,1"});
  ASSERT_TRUE(cpus) << cpus.error();
  EXPECT_EQ(*cpus, (std::vector<int>{1}));
}

TEST_F(ShardSettingsTest, SnapshotCpusAreReadFromTheEnvironment) {
  env_["SHARDTRACK_SNAPSHOT_CPUS"] = "2-3";
  auto cpus = SnapshotCpus({});
  ASSERT_TRUE(cpus) << cpus.error();
  EXPECT_EQ(*cpus, (std::vector<int>{2, 3}));
}

TEST_F(ShardSettingsTest, AMalformedCpuListIsRefused) {
  for (const char* text : {"x", "1,", ",1", "1,,2", "3-2", "-1", "1-", "2 3", "1.5", "0x1", " 1"}) {
    settings_.snapshot_cpus = text;
    ExpectRefused(SnapshotCpusFrom(settings_, 8), text);
  }
}

TEST_F(ShardSettingsTest, ACpuTheMachineDoesNotHaveIsRefused) {
  auto cpus = SnapshotCpus({"--snapshot-cpus", "1-2"}, 2);
  ExpectRefused(cpus, "1-2");
  EXPECT_NE(cpus.error().find("this machine has 2 CPUs"), std::string::npos) << cpus.error();
  cpus = SnapshotCpus({"--snapshot-cpus", "1"}, 2);
  ASSERT_TRUE(cpus) << cpus.error();
  EXPECT_EQ(*cpus, (std::vector<int>{1}));
}

TEST_F(ShardSettingsTest, PeerIdsAreKeptWhenAskedByDefaultAndTheOldBooleansStillStart) {
  ASSERT_TRUE(Parse({}));
  EXPECT_EQ(settings_.store_peer_ids, PeerIdPolicy::kWhenAsked);
  const std::map<std::string, PeerIdPolicy> values{
      {"asked", PeerIdPolicy::kWhenAsked}, {"always", PeerIdPolicy::kAlways},
      {"true", PeerIdPolicy::kAlways},     {"yes", PeerIdPolicy::kAlways},
      {"1", PeerIdPolicy::kAlways},        {"no", PeerIdPolicy::kNever},
      {"0", PeerIdPolicy::kNever},         {"never", PeerIdPolicy::kNever},
      {"false", PeerIdPolicy::kNever}};
  for (const auto& [text, policy] : values) {
    env_["SHARDTRACK_STORE_PEER_IDS"] = text;
    ASSERT_TRUE(Parse({}));
    EXPECT_EQ(settings_.store_peer_ids, policy) << text;
  }
  env_.clear();
  for (const char* text : {"", "on", "Asked", "2"}) {
    const Status refused = Parse({"--store-peer-ids", text});
    ASSERT_FALSE(refused) << text;
    EXPECT_EQ(refused.error(),
              "--store-peer-ids must be asked, always or never, not '" + std::string(text) + "'");
  }
}

TEST_F(ShardSettingsTest, ACorruptFileIsRefusedByDefaultOrQuarantined) {
  ASSERT_TRUE(Parse({}));
  EXPECT_EQ(settings_.on_corrupt, OnCorrupt::kRefuse);
  ASSERT_TRUE(Parse({"--on-corrupt=quarantine"}));
  EXPECT_EQ(settings_.on_corrupt, OnCorrupt::kQuarantine);
  ASSERT_TRUE(Parse({"--on-corrupt", "refuse"}));
  EXPECT_EQ(settings_.on_corrupt, OnCorrupt::kRefuse);
  const Status refused = Parse({"--on-corrupt", "ignore"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "--on-corrupt must be refuse or quarantine, not 'ignore'");
}

TEST_F(ShardSettingsTest, ListenMustNameATransport) {
  ASSERT_TRUE(Parse({}));
  EXPECT_TRUE(CheckListen(settings_));  // the default, tcp://127.0.0.1:7000
  settings_.listen = "inproc://shard-0";
  EXPECT_TRUE(CheckListen(settings_));
  settings_.listen = "127.0.0.1:7000";
  auto refused = CheckListen(settings_);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("--listen must be a ZeroMQ endpoint"), std::string::npos)
      << refused.error();
  EXPECT_NE(refused.error().find("not '127.0.0.1:7000'"), std::string::npos) << refused.error();
}

TEST_F(ShardSettingsTest, TheListenersLimitsAreBounded) {
  const auto error = [this](std::vector<const char*> args) -> std::string {
    if (Status parsed = Parse(std::move(args)); !parsed) return parsed.error();
    Status checked = CheckListen(settings_);
    return checked ? "" : checked.error();
  };
  EXPECT_EQ(error({"--handshake-timeout", "1"}), "");
  EXPECT_EQ(error({"--handshake-timeout", "3600"}), "");
  EXPECT_EQ(error({"--handshake-timeout", "0"}),
            "--handshake-timeout must be 1 to 3600 (an hour), not 0");
  EXPECT_EQ(error({"--handshake-timeout", "3601"}),
            "--handshake-timeout must be 1 to 3600 (an hour), not 3601");
  const std::string least = std::to_string(kMinMaxMessageBytes);
  EXPECT_EQ(error({"--handshake-timeout", "5", "--max-message-bytes", least.c_str()}), "");
  const std::string below = std::to_string(kMinMaxMessageBytes - 1);
  EXPECT_EQ(error({"--handshake-timeout", "5", "--max-message-bytes", below.c_str()}),
            "--max-message-bytes must be at least " + least +
                " (1.25 MiB: what a frontend's batch may take), not " + below);
  EXPECT_EQ(error({"--frontend-keys-interval", "0"}),
            "--frontend-keys-interval must be at least 1, not 0");
  EXPECT_EQ(error({"--frontend-keys-interval", "1"}), "");
}

TEST_F(ShardSettingsTest, TheShardCountIsBounded) {
  const auto error = [this](std::vector<const char*> args) -> std::string {
    Status parsed = Parse(std::move(args));
    return parsed ? "" : parsed.error();
  };
  EXPECT_EQ(error({"--count", "65536"}), "");
  EXPECT_EQ(error({"--count", "65537"}),
            "--count must be 1 to 65536 (a frontend holds a socket to each), not 65537");
  EXPECT_EQ(error({"--count", "0"}),
            "--count must be 1 to 65536 (a frontend holds a socket to each), not 0");
}

TEST_F(ShardSettingsTest, AnExpiryLapTakesATenthOfThePeerTimeoutByDefault) {
  auto expiry = Expiry({});
  ASSERT_TRUE(expiry) << expiry.error();
  EXPECT_EQ(expiry->max_lap, std::chrono::seconds(270));
  EXPECT_EQ(expiry->interval, std::chrono::seconds(5));
  EXPECT_EQ(expiry->slice, 20000u);
  EXPECT_EQ(expiry->peer_timeout, 2700);
  EXPECT_EQ(expiry->torrent_retention, 0);  // torrents with completions stay for good
  expiry = Expiry({"--peer-timeout", "600"});
  ASSERT_TRUE(expiry) << expiry.error();
  EXPECT_EQ(expiry->max_lap, std::chrono::seconds(60));
}

TEST_F(ShardSettingsTest, AnExpiryLapCanBeSet) {
  auto expiry = Expiry({"--expire-lap", "30", "--expire-interval", "2", "--expire-slice", "500"});
  ASSERT_TRUE(expiry) << expiry.error();
  EXPECT_EQ(expiry->max_lap, std::chrono::seconds(30));
  EXPECT_EQ(expiry->interval, std::chrono::seconds(2));
  EXPECT_EQ(expiry->slice, 500u);
  expiry = Expiry({"--torrent-retention", "2592000"});
  ASSERT_TRUE(expiry) << expiry.error();
  EXPECT_EQ(expiry->torrent_retention, 2592000);
}

TEST_F(ShardSettingsTest, ExpirySettingsThatWouldStopOrSpinTheSweepAreRefused) {
  const std::vector<std::pair<const char*, const char*>> refused = {
      {"--peer-timeout", "0"},
      {"--peer-timeout", "-5"},
      {"--expire-interval", "0"},
      {"--expire-interval", "-1"},
      {"--expire-slice", "0"},
      {"--expire-lap", "-1"},
      {"--torrent-retention", "-1"},
      {"--peer-timeout", "604801"},
      {"--expire-interval", "9300000000"},
      {"--expire-lap", "9223372036854775807"},
      {"--torrent-retention", "315360001"}};
  for (const auto& [name, value] : refused) {
    ShardSettings fresh;
    settings_ = fresh;
    auto expiry = Expiry({name, value});
    ASSERT_FALSE(expiry) << name << " " << value << " was accepted";
    EXPECT_EQ(expiry.error().find(std::string(name) + " must be "), 0u) << expiry.error();
  }
  EXPECT_EQ(Expiry({"--expire-slice", "0"}).error(), "--expire-slice must be at least 1, not 0");
  EXPECT_EQ(Expiry({"--expire-lap", "-1"}).error(),
            "--expire-lap must be 0 to 315360000 (ten years), not -1");
  EXPECT_EQ(Expiry({"--peer-timeout", "604801"}).error(),
            "--peer-timeout must be 1 to 604800 (a week), not 604801");
  for (const char* name : {"--expire-interval", "--expire-lap", "--torrent-retention"}) {
    ShardSettings fresh;
    settings_ = fresh;
    EXPECT_TRUE(Expiry({name, "315360000"})) << name;
  }
  EXPECT_TRUE(Expiry({"--peer-timeout", "604800"}));
}

TEST_F(ShardSettingsTest, FileIntervalsFromASecondToTenYearsAreTaken) {
  for (const char* flag : {"--save-dfile-interval", "--accounting-interval"}) {
    EXPECT_TRUE(Parse({flag, "1"})) << flag;
    EXPECT_TRUE(Parse({flag, "315360000"})) << flag;
    for (const char* value : {"0", "-1", "315360001", "9300000000"}) {
      const Status refused = Parse({flag, value});
      ASSERT_FALSE(refused) << flag << " " << value;
      EXPECT_EQ(refused.error(),
                std::string(flag) + " must be 1 to 315360000 (ten years), not " + value);
    }
  }
}

}  // namespace
}  // namespace shardtrack
