// Saved accounting baselines: a round trip (address family included), the cutoff, the file kept
// once loaded, a damaged file loading what came before the damage, and older builds' files.
#include "shard/accounting/baseline_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "shard/persistence/faulty_file_ops.h"
#include "tests/unit/common/scratch_dir.h"

namespace shardtrack {
namespace {

using Baseline = TransferLedger::PeerBaseline;

Baseline Make(std::uint8_t torrent, std::uint64_t client, UnixSeconds seen) {
  Baseline baseline;
  baseline.info_hash.bytes.fill(torrent);
  baseline.client = client;
  baseline.uploaded = 1000ULL * torrent + client;
  baseline.downloaded = 7ULL << 40;
  baseline.last_seen = seen;
  baseline.seeder = torrent % 2 == 1;
  baseline.completed = client % 2 == 0;
  baseline.member = client * 7;
  baseline.ipv6 = torrent == 2;
  return baseline;
}

std::string Contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<Baseline> Sorted(std::vector<Baseline> baselines) {
  std::sort(baselines.begin(), baselines.end(),
            [](const Baseline& a, const Baseline& b) { return a.uploaded < b.uploaded; });
  return baselines;
}

class BaselineFileTest : public ::testing::Test {
 protected:
  testing::ScratchDir scratch_;
  const std::string dir_ = scratch_.File("accounting");
  PosixFileOps files_;
  TransferLedger saved_{{1, 2}, 2700};
  TransferLedger loaded_{{3, 4}, 2700};
};

TEST_F(BaselineFileTest, WhatIsSavedLoadsWithinTheCutoffUntilReplaced) {
  const std::vector<Baseline> baselines = {Make(1, 6881, 2000), Make(2, 51413, 2000),
                                           Make(3, 6882, 1000)};
  for (const Baseline& baseline : baselines) saved_.AddBaseline(baseline);
  ASSERT_TRUE(SaveBaselines(files_, dir_, 4, 5, saved_).ok());
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/shard4-of-5.baselines"));

  auto loaded = LoadBaselines(files_, dir_, 4, 5, /*cutoff=*/1000, loaded_);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(*loaded, 2u);
  EXPECT_EQ(Sorted(loaded_.Baselines()), Sorted({baselines[0], baselines[1]}));
  EXPECT_EQ(loaded_.client_key(), saved_.client_key());  // the same clients, the same values
  // Kept: it still matches the newest accounting file, which a crash leaves as it is.
  TransferLedger again{{7, 8}, 2700};
  EXPECT_EQ(*LoadBaselines(files_, dir_, 4, 5, 1000, again), 2u);
  ASSERT_TRUE(SaveBaselines(files_, dir_, 4, 5, TransferLedger{{9, 9}, 2700}).ok());
  EXPECT_EQ(*LoadBaselines(files_, dir_, 4, 5, 1000, again), 0u);  // replaced by none
}

TEST_F(BaselineFileTest, ADamagedFileLoadsTheRecordsBeforeTheDamageAndIsRemoved) {
  for (std::uint8_t n = 1; n <= 3; ++n) saved_.AddBaseline(Make(n, 6881, 2000));
  ASSERT_TRUE(SaveBaselines(files_, dir_, 0, 1, saved_).ok());
  const std::string path = dir_ + "/shard0-of-1.baselines";
  std::string bytes = Contents(path);
  bytes[bytes.size() - 3] ^= 0x40;  // inside the last record
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;

  auto loaded = LoadBaselines(files_, dir_, 0, 1, 0, loaded_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().find(path), std::string::npos) << loaded.error();
  EXPECT_EQ(loaded_.baselines(), 2u);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(BaselineFileTest, ADamagedFileThatCannotBeRemovedIsNotUsed) {
  for (std::uint8_t n = 1; n <= 3; ++n) saved_.AddBaseline(Make(n, 6881, 2000));
  ASSERT_TRUE(SaveBaselines(files_, dir_, 0, 1, saved_).ok());
  const std::string path = dir_ + "/shard0-of-1.baselines";
  std::string bytes = Contents(path);
  bytes[bytes.size() - 3] ^= 0x40;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  FaultyFileOps faulty(files_);
  faulty.FailNth(FaultyFileOps::Op::kRemove, 1);
  auto loaded = LoadBaselines(faulty, dir_, 0, 1, 0, loaded_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().find("not used: delete"), std::string::npos) << loaded.error();
  EXPECT_EQ(loaded_.baselines(), 0u);
}

TEST_F(BaselineFileTest, AnotherLayoutsFilesAreRemovedUnread) {
  saved_.AddBaseline(Make(1, 6881, 2000));
  ASSERT_TRUE(SaveBaselines(files_, dir_, 0, 2, saved_).ok());  // a 2-shard layout stopped
  ASSERT_TRUE(SaveBaselines(files_, dir_, 1, 2, saved_).ok());
  std::ofstream(dir_ + "/shard0.baselines") << "named by an older build";
  ASSERT_TRUE(SaveBaselines(files_, dir_, 1, 3, saved_).ok());  // the 3-shard layout's own

  auto loaded = LoadBaselines(files_, dir_, 0, 3, 0, loaded_);  // shard 0 of 3 starts
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(*loaded, 0u);  // its torrents' peers were counted where they were: not twice
  EXPECT_EQ(loaded_.baselines(), 0u);
  EXPECT_EQ(*files_.ListDir(dir_), std::vector<std::string>{"shard1-of-3.baselines"});
}

TEST_F(BaselineFileTest, AFileWithoutAddressFamiliesLoadsEveryBaselineAsIpv4) {
  const std::vector<Baseline> baselines = {Make(1, 6881, 2000), Make(3, 6882, 2000)};
  for (const Baseline& baseline : baselines) saved_.AddBaseline(baseline);
  ASSERT_TRUE(SaveBaselines(files_, dir_, 0, 1, saved_).ok());
  const std::string path = dir_ + "/shard0-of-1.baselines";
  std::string bytes = Contents(path);
  ASSERT_EQ(bytes.substr(0, 8), std::string("STBASE\x04\0", 8));
  bytes[6] = 3;  // as a build before the family was saved wrote it: the same records
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;

  auto loaded = LoadBaselines(files_, dir_, 0, 1, 0, loaded_);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(Sorted(loaded_.Baselines()), Sorted(baselines));
}

TEST_F(BaselineFileTest, AnOlderBuildsFileIsRemovedUnread) {
  const std::string path = dir_ + "/shard0-of-1.baselines";
  std::filesystem::create_directories(dir_);
  std::ofstream(path, std::ios::binary) << std::string("STBASE\x02\0", 8) << "records";
  auto loaded = LoadBaselines(files_, dir_, 0, 1, 0, loaded_);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(*loaded, 0u);
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace shardtrack
