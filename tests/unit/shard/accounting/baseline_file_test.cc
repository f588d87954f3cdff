// Saved accounting baselines: a round trip (address family included), the cutoff, the file kept
// once loaded, a damaged file loading what came before the damage, older builds' files, and which
// file speaks for a torrent after a change of shard count.
#include "shard/accounting/baseline_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/routing.h"
#include "shard/persistence/byte_codec.h"
#include "shard/persistence/faulty_file_ops.h"
#include "shard/persistence/record_framing.h"
#include "tests/unit/common/scratch_dir.h"
#include "tests/unit/shard/accounting/refusing_file_ops.h"

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

// The `n`th torrent (from 1) that shard `index` of `count` owns.
InfoHash OwnedTorrent(std::uint32_t index, std::uint32_t count, int n) {
  InfoHash hash;
  for (std::uint8_t seed = 1;; ++seed) {
    hash.bytes.fill(seed);
    if (ShardFor(hash, count) == index && --n == 0) return hash;
  }
}

// How many a load that must succeed took up.
std::size_t Loaded(const Result<LoadedBaselines>& loaded) {
  EXPECT_TRUE(loaded.ok()) << loaded.error();
  return loaded ? loaded->loaded : 0;
}

// The state load found only shard `index` of `count`'s own files.
std::vector<FileSet> Own(std::uint32_t index, std::uint32_t count) { return {{index, count, 1}}; }

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

// Over a bound lowered since they were saved, the newest are the ones taken up.
TEST_F(BaselineFileTest, OverALoweredBoundTheNewestAreLoaded) {
  std::vector<Baseline> baselines;
  for (int n = 1; n <= 6; ++n) {
    baselines.push_back(Make(static_cast<std::uint8_t>(n), 6880 + n, n == 4 ? 1000 : 2000));
    baselines.back().info_hash = OwnedTorrent(0, 1, n);
  }
  for (const Baseline& baseline : baselines) saved_.AddBaseline(baseline);
  ASSERT_TRUE(SaveBaselines(files_, dir_, {0, 1, 1}, 0, saved_).ok());
  loaded_.SetMaxClients(5, 0);
  EXPECT_EQ(Loaded(LoadBaselines(files_, dir_, {0, 1, 2}, Own(0, 1), loaded_)), 6u);
  std::erase_if(baselines, [](const Baseline& b) { return b.last_seen == 1000; });
  EXPECT_EQ(Sorted(loaded_.Baselines()), Sorted(baselines));
  EXPECT_EQ(loaded_.refused_clients(), 1u);
}

// All of them, however old: the credit logs replayed next were written on them.
TEST_F(BaselineFileTest, WhatIsSavedLoadsWholeUntilReplaced) {
  std::vector<Baseline> baselines = {Make(1, 6881, 2000), Make(2, 51413, 2000),
                                     Make(3, 6882, 1000)};
  for (int n = 0; n < 3; ++n) baselines[n].info_hash = OwnedTorrent(4, 5, n + 1);
  for (const Baseline& baseline : baselines) saved_.AddBaseline(baseline);
  ASSERT_TRUE(SaveBaselines(files_, dir_, {4, 5, 1}, 0, saved_).ok());
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/shard4-of-5.baselines"));

  auto loaded = LoadBaselines(files_, dir_, {4, 5, 2}, Own(4, 5), loaded_);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->loaded, 3u);
  EXPECT_EQ(Sorted(loaded_.Baselines()), Sorted(baselines));
  EXPECT_EQ(loaded_.client_key(), saved_.client_key());  // the same clients, the same values
  // Kept: it still matches the newest accounting file, which a crash leaves as it is.
  TransferLedger again{{7, 8}, 2700};
  EXPECT_EQ(Loaded(LoadBaselines(files_, dir_, {4, 5, 2}, Own(4, 5), again)), 3u);
  ASSERT_TRUE(SaveBaselines(files_, dir_, {4, 5, 1}, 0, TransferLedger{{9, 9}, 2700}).ok());
  TransferLedger none{{7, 8}, 2700};
  EXPECT_EQ(Loaded(LoadBaselines(files_, dir_, {4, 5, 2}, Own(4, 5), none)), 0u);  // replaced
}

TEST_F(BaselineFileTest, ADamagedFileLoadsTheRecordsBeforeTheDamageAndIsReplacedByThem) {
  for (std::uint8_t n = 1; n <= 3; ++n) saved_.AddBaseline(Make(n, 6881, 2000));
  ASSERT_TRUE(SaveBaselines(files_, dir_, {0, 1, 1}, 0, saved_).ok());
  const std::string path = dir_ + "/shard0-of-1.baselines";
  std::string bytes = Contents(path);
  bytes[bytes.size() - 3] ^= 0x40;  // inside the last record
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  for (const char* log : {"/shard0-of-1-1.credits", "/shard0-of-1-2.credits"}) {
    std::ofstream(dir_ + log) << "announces credited since";
  }

  auto loaded = LoadBaselines(files_, dir_, {0, 1, 2}, Own(0, 1), loaded_);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_NE(loaded->unread.find(path), std::string::npos) << loaded->unread;
  EXPECT_EQ(loaded_.baselines(), 2u);
  // Its key frame says it includes none of them (through 0): they stay, to be replayed on top.
  auto left = *files_.ListDir(dir_);
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"shard0-of-1-1.credits", "shard0-of-1-2.credits",
                                            "shard0-of-1.baselines"}));
  EXPECT_EQ(loaded->through, 0u);
  TransferLedger again{{7, 8}, 2700};
  EXPECT_EQ(Loaded(LoadBaselines(files_, dir_, {0, 1, 2}, Own(0, 1), again)), 2u);
}

// The credit logs a file includes are not replayed again; the later ones are, on top of it, even
// when it is replaced at start.
TEST_F(BaselineFileTest, ALoadSaysWhichCreditLogsItsFileIncludes) {
  Baseline baseline = Make(1, 6881, 2000);
  baseline.info_hash = OwnedTorrent(0, 2, 1);
  saved_.AddBaseline(baseline);
  ASSERT_TRUE(SaveBaselines(files_, dir_, {0, 1, 1}, 4, saved_).ok());
  auto loaded = LoadBaselines(files_, dir_, {0, 1, 2}, Own(0, 1), loaded_);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->through, 4u);
  // Another layout has run since and credits that torrent: the file goes, and the logs it included.
  TransferLedger none{{7, 8}, 2700};
  std::ofstream(dir_ + "/shard0-of-1-4.credits") << "included";
  std::ofstream(dir_ + "/shard0-of-1-5.credits") << "not yet";
  loaded = LoadBaselines(files_, dir_, {0, 1, 10}, {{0, 1, 1}, {0, 2, 9}}, none);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->through, 4u);
  EXPECT_EQ(*files_.ListDir(dir_), std::vector<std::string>{"shard0-of-1-5.credits"});
}

// Its logs could not go: the file stays (unused), so that the next start does not take the logs
// for ones that no baselines include.
TEST_F(BaselineFileTest, ADamagedFileStaysWhileItsCreditLogsCannotBeRemoved) {
  saved_.AddBaseline(Make(1, 6881, 2000));
  ASSERT_TRUE(SaveBaselines(files_, dir_, {0, 1, 1}, 3, saved_).ok());
  const std::string path = dir_ + "/shard0-of-1.baselines";
  std::string bytes = Contents(path);
  bytes[10] ^= 0x40;  // the client key's frame
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  std::ofstream(dir_ + "/shard0-of-1-3.credits") << "included";
  RefusingFileOps logs_stay;
  logs_stay.refuse_remove = [](const std::string& removed) {
    return removed.ends_with(".credits");
  };
  for (int start = 1; start <= 2; ++start) {  // and again, as a supervisor restarts it
    auto loaded = LoadBaselines(logs_stay, dir_, {0, 1, 2}, Own(0, 1), loaded_);
    ASSERT_FALSE(loaded.ok());  // nor can the start clear its logs: it stops
    EXPECT_NE(loaded.error().find("twice"), std::string::npos) << loaded.error();
    EXPECT_TRUE(std::filesystem::exists(path));
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/shard0-of-1-3.credits"));
  }
}

// A stop whose last hand-over failed left its file committed under its temporary name: a resize
// or `retire` hands it over before that layout's files go.
TEST_F(BaselineFileTest, AnotherLayoutsCommittedFileIsHandedOverBeforeItsFilesGo) {
  ASSERT_TRUE(SaveBaselines(files_, dir_, {0, 2, 5}, 3, saved_).ok());
  std::ofstream(dir_ + "/shard0-of-2-3.tsv.tmp") << "committed";
  std::ofstream(dir_ + "/shard0-of-2-2.tsv.tmp") << "never committed";
  ASSERT_TRUE(LoadBaselines(files_, dir_, {0, 3, 7}, {{0, 2, 5}}, loaded_).ok());
  auto left = *files_.ListDir(dir_);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_TRUE(left[0].starts_with("shard0-") && left[0].ends_with(".tsv")) << left[0];
  EXPECT_EQ(Contents(dir_ + "/" + left[0]), "committed");

  ASSERT_TRUE(SaveBaselines(files_, dir_, {3, 4, 5}, 2, saved_).ok());
  std::ofstream(dir_ + "/shard3-of-4-2.tsv.tmp") << "committed too";
  auto removed = RetireOtherCountBaselines(files_, dir_, 3);
  ASSERT_TRUE(removed.ok()) << removed.error();
  EXPECT_EQ(*removed, std::vector<std::string>{"shard3-of-4.baselines"});
  EXPECT_EQ(files_.ListDir(dir_)->size(), 2u);  // the two handed over
}

// A count some of whose data files stay (retire could not read one) keeps its accounting too.
TEST_F(BaselineFileTest, RetiringKeepsTheAccountingOfACountWhoseFilesStay) {
  for (auto [index, count] : {std::pair{0u, 2u}, {3u, 4u}}) {
    ASSERT_TRUE(SaveBaselines(files_, dir_, {index, count, 1}, 0, saved_).ok());
  }
  std::ofstream(dir_ + "/shard0-of-2-1.credits") << "a layout's";
  auto removed = RetireOtherCountBaselines(files_, dir_, 3, {2});
  ASSERT_TRUE(removed.ok()) << removed.error();
  EXPECT_EQ(*removed, std::vector<std::string>{"shard3-of-4.baselines"});
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/shard0-of-2.baselines"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/shard0-of-2-1.credits"));
}

// What cannot be handed over, or logs that cannot be removed, keep their layout's files: its
// baselines say what its logs include, and which of its files is committed.
TEST_F(BaselineFileTest, ALayoutsFilesStayWhileTheyCannotAllGoSafely) {
  ASSERT_TRUE(SaveBaselines(files_, dir_, {0, 2, 5}, 3, saved_).ok());
  std::ofstream(dir_ + "/shard0-of-2-3.tsv.tmp") << "committed";
  ASSERT_TRUE(SaveBaselines(files_, dir_, {3, 4, 5}, 2, saved_).ok());
  std::ofstream(dir_ + "/shard3-of-4-2.credits") << "included";
  RefusingFileOps refusing;
  refusing.refuse_rename = [](const std::string& from) { return from.ends_with(".tsv.tmp"); };
  refusing.refuse_remove = [](const std::string& path) { return path.ends_with(".credits"); };
  ASSERT_TRUE(LoadBaselines(refusing, dir_, {0, 3, 7}, {{0, 2, 5}}, loaded_).ok());
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/shard0-of-2-3.tsv.tmp"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/shard0-of-2.baselines"));
  auto retired = RetireOtherCountBaselines(refusing, dir_, 3);
  EXPECT_FALSE(retired.ok());
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/shard3-of-4.baselines"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/shard0-of-2.baselines"));
}

// Nothing of its own file is loaded (another layout credits its torrents now), but it marks the
// accounting file it committed: it is kept, saved again, so that the start hands that file over.
TEST_F(BaselineFileTest, AnOwnFileThatMarksACommittedFileIsKeptEvenEmpty) {
  Baseline baseline = Make(1, 6881, 2000);
  baseline.info_hash = OwnedTorrent(0, 2, 1);
  saved_.AddBaseline(baseline);
  ASSERT_TRUE(SaveBaselines(files_, dir_, {0, 1, 1}, 3, saved_).ok());
  std::ofstream(dir_ + "/shard0-of-1-3.tsv.tmp") << "committed";
  auto loaded = LoadBaselines(files_, dir_, {0, 1, 10}, {{0, 1, 1}, {0, 2, 9}}, loaded_);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded_.baselines(), 0u);
  EXPECT_EQ(loaded->through, 3u);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/shard0-of-1.baselines"));
}

TEST_F(BaselineFileTest, ADamagedFileThatCannotBeRemovedIsNotUsed) {
  for (std::uint8_t n = 1; n <= 3; ++n) saved_.AddBaseline(Make(n, 6881, 2000));
  ASSERT_TRUE(SaveBaselines(files_, dir_, {0, 1, 1}, 0, saved_).ok());
  const std::string path = dir_ + "/shard0-of-1.baselines";
  std::string bytes = Contents(path);
  bytes[bytes.size() - 3] ^= 0x40;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  FaultyFileOps faulty(files_);
  faulty.FailNth(FaultyFileOps::Op::kRemove, 1);
  auto loaded = LoadBaselines(faulty, dir_, {0, 1, 2}, Own(0, 1), loaded_);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_NE(loaded->unread.find("not used: delete"), std::string::npos) << loaded->unread;
  EXPECT_EQ(loaded_.baselines(), 0u);
}

// Going from 2 shards to 3 moves some of shard 0's torrents to the new shard 2: shard 0 keeps the
// counters of those it kept, under its old file's key, in a file of the new layout.
TEST_F(BaselineFileTest, AResizedShardKeepsTheCountersOfTheTorrentsItKept) {
  Baseline kept = Make(1, 6881, 2000), moved = Make(3, 6882, 2000);
  kept.info_hash = OwnedTorrent(0, 3, 1);
  for (int n = 1; ShardFor(moved.info_hash, 3) != 2; ++n) moved.info_hash = OwnedTorrent(0, 2, n);
  ASSERT_EQ(ShardFor(kept.info_hash, 2), 0u);
  saved_.AddBaseline(kept);
  saved_.AddBaseline(moved);
  ASSERT_TRUE(
      SaveBaselines(files_, dir_, {0, 2, 5}, 0, saved_).ok());  // the 2-shard layout stopped
  ASSERT_TRUE(SaveBaselines(files_, dir_, {1, 2, 5}, 0, saved_).ok());
  std::ofstream(dir_ + "/shard0.baselines") << "named by an older build";
  for (const char* name :
       {"/shard0-of-2-3.credits", "/shard0-of-2-3.tsv.tmp", "/shard1-of-2-3.credits"}) {
    std::ofstream(dir_ + name) << "the 2-shard layout's";
  }

  // Shard 0 of 3 starts (its first snapshot: 7): the load read the 2-shard layout's sets.
  const std::vector<FileSet> read = {{0, 2, 5}, {1, 2, 6}};
  auto loaded = LoadBaselines(files_, dir_, {0, 3, 7}, read, loaded_);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded_.Baselines(), std::vector<Baseline>{kept});
  EXPECT_EQ(loaded_.client_key(), saved_.client_key());
  auto left = *files_.ListDir(dir_);
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"shard0-of-3.baselines", "shard1-of-2-3.credits",
                                            "shard1-of-2.baselines"}));
  // Its own file holds them now: a crash before its first accounting file loses nothing.
  TransferLedger again{{7, 8}, 2700};
  const std::vector<FileSet> after = {{0, 2, 5}, {1, 2, 6}, {0, 3, 7}};
  EXPECT_EQ(Loaded(LoadBaselines(files_, dir_, {0, 3, 8}, after, again)), 1u);
  EXPECT_EQ(again.Baselines(), std::vector<Baseline>{kept});
}

// From 3 shards to 2 and back, without retiring: shard 2 of 3's own file is from before the
// 2-shard layout ran, which credited its torrents since. None is loaded, and the file goes before
// the shard's first snapshot hides what makes it stale (retire may remove the 2-shard files).
TEST_F(BaselineFileTest, AFileFromBeforeAnotherLayoutRanIsNotReadAndGoes) {
  Baseline stale = Make(1, 6881, 2000);
  stale.info_hash = OwnedTorrent(2, 3, 1);
  saved_.AddBaseline(stale);
  ASSERT_TRUE(SaveBaselines(files_, dir_, {2, 3, 5}, 0, saved_).ok());
  const std::vector<FileSet> read = {{2, 3, 5}, {0, 2, 8}, {1, 2, 8}};
  EXPECT_EQ(Loaded(LoadBaselines(files_, dir_, {2, 3, 9}, read, loaded_)), 0u);
  EXPECT_TRUE(files_.ListDir(dir_)->empty());
  // Once the shard saved baselines of its own run, those are read.
  ASSERT_TRUE(SaveBaselines(files_, dir_, {2, 3, 9}, 0, saved_).ok());
  const std::vector<FileSet> later = {{2, 3, 9}, {0, 2, 8}, {1, 2, 8}};
  TransferLedger again{{7, 8}, 2700};
  EXPECT_EQ(Loaded(LoadBaselines(files_, dir_, {2, 3, 10}, later, again)), 1u);
}

// A start that can neither replace nor remove a stale file of its own must not go on: its first
// snapshot would make the file look current.
TEST_F(BaselineFileTest, AStaleOwnFileThatCannotBeRemovedStopsTheStart) {
  Baseline stale = Make(1, 6881, 2000);
  stale.info_hash = OwnedTorrent(2, 3, 1);
  saved_.AddBaseline(stale);
  ASSERT_TRUE(SaveBaselines(files_, dir_, {2, 3, 5}, 0, saved_).ok());
  FaultyFileOps faulty(files_);
  faulty.FailNth(FaultyFileOps::Op::kRemove, 1);
  auto loaded = LoadBaselines(faulty, dir_, {2, 3, 9}, {{2, 3, 5}, {0, 2, 8}, {1, 2, 8}}, loaded_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().find("could credit a transfer twice"), std::string::npos)
      << loaded.error();
}

// Without the snapshots of the set that saved it, nothing is left to tell whether a file is
// stale: it is not read.
TEST_F(BaselineFileTest, AFileWithoutItsSetIsNotRead) {
  saved_.AddBaseline(Make(1, 6881, 2000));
  ASSERT_TRUE(SaveBaselines(files_, dir_, {0, 1, 5}, 0, saved_).ok());
  EXPECT_EQ(Loaded(LoadBaselines(files_, dir_, {0, 1, 1}, {}, loaded_)), 0u);
  EXPECT_TRUE(files_.ListDir(dir_)->empty());
}

// From 2 shards to 3 with shard 0 of 3 never started, then back to 2: of shard 0 of 2's file,
// the torrents shard 2 of 3 credited meanwhile are not read; those no other shard held are.
TEST_F(BaselineFileTest, APartialResizeTakesBackOnlyWhatNoOtherShardCredited) {
  Baseline kept = Make(1, 6881, 2000), moved = Make(3, 6882, 2000);
  kept.info_hash = OwnedTorrent(0, 3, 1);
  for (int n = 1; ShardFor(moved.info_hash, 3) != 2; ++n) moved.info_hash = OwnedTorrent(0, 2, n);
  saved_.AddBaseline(kept);
  saved_.AddBaseline(moved);
  ASSERT_TRUE(SaveBaselines(files_, dir_, {0, 2, 4}, 0, saved_).ok());
  const std::vector<FileSet> read = {{0, 2, 10}, {1, 2, 4}, {1, 3, 7}, {2, 3, 7}};
  auto loaded = LoadBaselines(files_, dir_, {0, 2, 11}, read, loaded_);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded_.Baselines(), std::vector<Baseline>{kept});
  // Saved again as this run's, so the next start reads the same.
  TransferLedger again{{7, 8}, 2700};
  EXPECT_EQ(Loaded(LoadBaselines(files_, dir_, {0, 2, 12}, read, again)), 1u);
}

TEST_F(BaselineFileTest, RetiringRemovesEveryOtherShardCountsFiles) {
  for (auto [index, count] : {std::pair{0u, 2u}, {3u, 4u}, {0u, 3u}, {2u, 3u}}) {
    ASSERT_TRUE(SaveBaselines(files_, dir_, {index, count, 1}, 0, saved_).ok());
  }
  std::ofstream(dir_ + "/shard3-of-4.baselines.tmp") << "half written";
  std::ofstream(dir_ + "/shard0-1700000000-0000000001.tsv") << "an accounting file";
  for (const char* name : {"/shard3-of-4-2.credits", "/shard0-of-2-1.tsv.tmp",
                           "/shard0-of-3-1.credits", "/shard0-of-3-1.tsv.tmp"}) {
    std::ofstream(dir_ + name) << "a layout's";
  }
  auto removed = RetireOtherCountBaselines(files_, dir_, 3);
  ASSERT_TRUE(removed.ok()) << removed.error();
  std::sort(removed->begin(), removed->end());
  EXPECT_EQ(*removed, (std::vector<std::string>{"shard0-of-2-1.tsv.tmp", "shard0-of-2.baselines",
                                                "shard3-of-4-2.credits", "shard3-of-4.baselines",
                                                "shard3-of-4.baselines.tmp"}));
  auto left = *files_.ListDir(dir_);
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"shard0-1700000000-0000000001.tsv",
                                            "shard0-of-3-1.credits", "shard0-of-3-1.tsv.tmp",
                                            "shard0-of-3.baselines", "shard2-of-3.baselines"}));
  EXPECT_TRUE(RetireOtherCountBaselines(files_, scratch_.File("none"), 3)->empty());

  ASSERT_TRUE(SaveBaselines(files_, dir_, {1, 2, 1}, 0, saved_).ok());
  FaultyFileOps faulty(files_);
  faulty.FailNth(FaultyFileOps::Op::kRemove, 1);
  auto refused = RetireOtherCountBaselines(faulty, dir_, 3);
  ASSERT_FALSE(refused.ok());  // retire exits 1, naming it
  EXPECT_NE(refused.error().find("injected fault"), std::string::npos) << refused.error();
  faulty.FailNth(FaultyFileOps::Op::kList, 1);
  EXPECT_FALSE(RetireOtherCountBaselines(faulty, dir_, 3).ok());  // not taken for "none"
}

// A directory that cannot be listed is not taken for one without files: the start stops. One
// that is not there is a shard's first with members, or one without: nothing to load.
TEST_F(BaselineFileTest, ADirectoryThatCannotBeListedStopsTheStart) {
  EXPECT_EQ(Loaded(LoadBaselines(files_, dir_, {0, 1, 2}, Own(0, 1), loaded_)), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_));
  ASSERT_TRUE(SaveBaselines(files_, dir_, {0, 1, 1}, 0, saved_).ok());
  FaultyFileOps faulty(files_);
  faulty.FailNth(FaultyFileOps::Op::kList, 1);
  auto loaded = LoadBaselines(faulty, dir_, {0, 1, 2}, Own(0, 1), loaded_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().find("cannot list " + dir_), std::string::npos) << loaded.error();
}

// The same records as an older version wrote them: a client key without the run's generation.
std::string AsVersion(std::uint16_t version, const std::string& saved, const SipHashKey& key) {
  std::string out;
  AppendPreamble(out, "STBASE", version);
  const std::size_t frame = BeginFrame(out, RecordType::kAccountingClientKey);
  ByteWriter(out).U64(key[0]).U64(key[1]);
  FinishFrame(out, frame);
  return out + saved.substr(kPreambleSize + kFrameHeaderSize + 1 + 4 * 8);
}

TEST_F(BaselineFileTest, AFileWithoutAddressFamiliesLoadsEveryBaselineAsIpv4) {
  const std::vector<Baseline> baselines = {Make(1, 6881, 2000), Make(3, 6882, 2000)};
  for (const Baseline& baseline : baselines) saved_.AddBaseline(baseline);
  ASSERT_TRUE(SaveBaselines(files_, dir_, {0, 1, 1}, 0, saved_).ok());
  const std::string path = dir_ + "/shard0-of-1.baselines";
  const std::string older = AsVersion(3, Contents(path), saved_.client_key());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << older;

  auto loaded = LoadBaselines(files_, dir_, {0, 1, 2}, Own(0, 1), loaded_);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(Sorted(loaded_.Baselines()), Sorted(baselines));  // both IPv4 ones
}

// A file saved before files carried their run's generation counts as from generation 0: taken
// for torrents no other layout owns, as that build only ever left files of one layout.
TEST_F(BaselineFileTest, AFileWithoutItsRunsGenerationIsTakenWhereNoOtherLayoutOwns) {
  Baseline baseline = Make(1, 6881, 2000);
  baseline.info_hash = OwnedTorrent(0, 3, 1);
  saved_.AddBaseline(baseline);
  ASSERT_TRUE(SaveBaselines(files_, dir_, {0, 2, 1}, 0, saved_).ok());
  const std::string path = dir_ + "/shard0-of-2.baselines";
  const std::string older = AsVersion(4, Contents(path), saved_.client_key());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << older;

  EXPECT_EQ(Loaded(LoadBaselines(files_, dir_, {0, 2, 9}, {{0, 2, 8}}, loaded_)), 1u);
  EXPECT_EQ(loaded_.Baselines(), std::vector<Baseline>{baseline});
  std::ofstream(path, std::ios::binary | std::ios::trunc) << older;
  const std::uint32_t other_owner = ShardFor(baseline.info_hash, 3);
  TransferLedger other{{7, 8}, 2700};
  EXPECT_EQ(Loaded(LoadBaselines(files_, dir_, {0, 2, 9}, {{0, 2, 8}, {other_owner, 3, 5}}, other)),
            0u);
}

TEST_F(BaselineFileTest, AnOlderBuildsFileIsRemovedUnread) {
  const std::string path = dir_ + "/shard0-of-1.baselines";
  std::filesystem::create_directories(dir_);
  std::ofstream(path, std::ios::binary) << std::string("STBASE\x02\0", 8) << "records";
  auto loaded = LoadBaselines(files_, dir_, {0, 1, 2}, Own(0, 1), loaded_);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->loaded, 0u);
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace shardtrack
