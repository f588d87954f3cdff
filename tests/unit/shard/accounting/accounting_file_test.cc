// The accounting files: their text, their names (never one already taken), and that a failed
// write leaves no file under a final name. AccountingFlusher on a real loop with a fake clock.
#include "shard/accounting/accounting_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/routing.h"
#include "shard/accounting/accounting_flusher.h"
#include "shard/persistence/faulty_file_ops.h"
#include "tests/unit/common/scratch_dir.h"
#include "tests/unit/shard/accounting/refusing_file_ops.h"

namespace shardtrack {
namespace {

using Totals = TransferLedger::Totals;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  if (!std::filesystem::exists(dir)) return names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  return names;
}

InfoHash Torrent(std::uint8_t n) {
  InfoHash hash;
  hash.bytes.fill(n);
  return hash;
}

// A directory to write in (created by the first write), real file operations and faulty ones
// over them, and one member's totals.
class AccountingFileTest : public ::testing::Test {
 protected:
  testing::ScratchDir scratch_;
  const std::string dir_ = scratch_.File("accounting");
  PosixFileOps real_;
  FaultyFileOps faulty_{real_};
  std::uint64_t sequence_ = 0;
  const std::vector<TransferLedger::Entry> alice_ = {{"alice", Torrent(1), {10, 20, 0, 0, 1}}};
};

TEST_F(AccountingFileTest, ListsEachMembersTorrentOnATabSeparatedLineUnderAHeader) {
  const std::vector<TransferLedger::Entry> entries = {
      {"alice", Torrent(0xab), {1099511627776, 0, 0, 3600, 9}},
      {"bob", Torrent(0x01), {1, 2, 3, 4, 5}}};
  EXPECT_EQ(FormatAccounting(entries),
            "# passkey\tinfo_hash\tuploaded\tdownloaded\tcompleted\tseeding_seconds\t"
            "announces\n"
            "alice\tabababababababababababababababababababab\t1099511627776\t0\t0\t3600\t9\n"
            "bob\t0101010101010101010101010101010101010101\t1\t2\t3\t4\t5\n");
}

TEST_F(AccountingFileTest, HandsAPreparedFileOverUnderANameNotTakenAndLeavesNothingElse) {
  const NumberedShardFile prepared{3, 4, 17};
  ASSERT_TRUE(PrepareAccountingFile(real_, dir_, prepared, alice_).ok());
  EXPECT_EQ(Names(dir_), std::vector<std::string>{"shard3-of-4-17.tsv.tmp"});
  auto first = HandOverAccountingFile(real_, dir_, prepared, 1700000000, sequence_);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(*first, dir_ + "/shard3-1700000000-0000000000.tsv");
  std::ofstream(dir_ + "/shard3-1700000000-0000000001.tsv") << "not imported yet\n";  // a restart's
  sequence_ = 0;
  ASSERT_TRUE(PrepareAccountingFile(real_, dir_, prepared, alice_).ok());
  auto second = HandOverAccountingFile(real_, dir_, prepared, 1700000000, sequence_);
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_EQ(*second, dir_ + "/shard3-1700000000-0000000002.tsv");
  EXPECT_EQ(Read(dir_ + "/shard3-1700000000-0000000001.tsv"), "not imported yet\n");
  EXPECT_EQ(Read(*second), FormatAccounting(alice_));
  EXPECT_EQ(Names(dir_), (std::vector<std::string>{"shard3-1700000000-0000000000.tsv",
                                                   "shard3-1700000000-0000000001.tsv",
                                                   "shard3-1700000000-0000000002.tsv"}));
}

// Renamed, not linked: a file is under one name or the other, never both, so one still under its
// temporary name was never handed over.
TEST_F(AccountingFileTest, AFailedHandOverLeavesThePreparedFileAndNoFinalName) {
  const NumberedShardFile prepared{0, 1, 1};
  ASSERT_TRUE(PrepareAccountingFile(real_, dir_, prepared, alice_).ok());
  faulty_.FailNth(FaultyFileOps::Op::kRename, 1);
  EXPECT_FALSE(HandOverAccountingFile(faulty_, dir_, prepared, 1700000000, sequence_).ok());
  EXPECT_EQ(Names(dir_), std::vector<std::string>{"shard0-of-1-1.tsv.tmp"});
  faulty_.FailNth(FaultyFileOps::Op::kSyncDir, 1);  // after the rename: only logged
  auto path = HandOverAccountingFile(faulty_, dir_, prepared, 1700000000, sequence_);
  ASSERT_TRUE(path.ok()) << path.error();
  EXPECT_EQ(Names(dir_), std::vector<std::string>{"shard0-1700000000-0000000001.tsv"});
}

TEST_F(AccountingFileTest, AFailedSyncIsAnError) {
  faulty_.FailNth(FaultyFileOps::Op::kSync, 1);
  EXPECT_FALSE(PrepareAccountingFile(faulty_, dir_, {0, 1, 1}, alice_).ok());
}

// The accounting files in `dir`, without the baselines saved beside them.
std::vector<std::string> AccountingFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const std::string& name : Names(dir)) {
    if (name.ends_with(".tsv")) files.push_back(name);
  }
  return files;
}

// The credit logs in `dir`, whose announces no accounting file holds yet.
std::vector<std::string> CreditLogs(const std::string& dir) {
  std::vector<std::string> files;
  for (const std::string& name : Names(dir)) {
    if (name.ends_with(".credits")) files.push_back(name);
  }
  return files;
}

// The state load found this shard's own files (shard 0 of 1): its baselines speak for its torrents.
const std::vector<FileSet> kThisShardsFiles = {{0, 1, 1}};

class AccountingFlusherTest : public ::testing::Test {
 protected:
  // Client `id` (its peer id's first byte) at 10.0.0.1:6881.
  PeerAnnounce Peer(std::uint8_t id = 0) {
    PeerAnnounce announce;
    announce.ip = *IpAddress::Parse("10.0.0.1");
    announce.port = 6881;
    announce.peer_id.bytes[0] = id;
    return announce;
  }
  // What a shard starting now on this directory loads into `next`, a new ledger.
  void LoadAtRestart(TransferLedger& next) {
    AccountingFlusher restarted(loop_, files_, options_, next);
    EXPECT_TRUE(restarted.LoadSavedBaselines(kThisShardsFiles).ok());
  }
  std::size_t BaselinesLoadedAtRestart() {
    TransferLedger next({5, 6}, 2700);
    LoadAtRestart(next);
    return next.baselines();
  }
  // The accounting files' contents, sorted (their names carry a sequence that starts at random).
  std::vector<std::string> Handed() {
    std::vector<std::string> contents;
    for (const std::string& name : AccountingFiles(dir_))
      contents.push_back(Read(dir_ + "/" + name));
    std::sort(contents.begin(), contents.end());
    return contents;
  }
  static std::string Alice(const TransferLedger::Totals& totals) {
    return FormatAccounting({{"alice", InfoHash{}, totals}});
  }
  void TurnUntilFiles(std::size_t files) {
    for (int i = 0; i < 500 && flusher_.counters().files_written < files; ++i) {
      loop_.RunOnce(std::chrono::milliseconds(10));  // the file is written on a worker thread
    }
  }

  FakeClock clock_;
  EventLoop loop_{clock_};
  testing::ScratchDir scratch_;
  const std::string dir_ = scratch_.File("accounting");
  PosixFileOps real_;
  FaultyFileOps files_{real_};
  TransferLedger ledger_{{1, 2}, 2700};
  const AccountingFlusher::Options options_{dir_, 0, 1, std::chrono::seconds(60), 2700};
  AccountingFlusher flusher_{loop_, files_, options_, ledger_};
};

TEST_F(AccountingFlusherTest, WritesWhatWasCreditedEachIntervalAndNothingWhenNothingWas) {
  flusher_.Start();
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  clock_.Advance(std::chrono::seconds(60));
  TurnUntilFiles(1);
  ASSERT_EQ(flusher_.counters().files_written, 1u);
  EXPECT_TRUE(ledger_.empty());
  clock_.Advance(std::chrono::seconds(60));
  loop_.RunOnce(std::chrono::milliseconds(1));
  ASSERT_EQ(AccountingFiles(dir_).size(), 1u);
  EXPECT_EQ(Read(dir_ + "/" + AccountingFiles(dir_)[0]),
            FormatAccounting({{"alice", InfoHash{}, {64, 0, 0, 0, 2}}}));
}

TEST_F(AccountingFlusherTest, AWriteThatFailsOnTheWorkerGivesItsTotalsBackForTheNext) {
  flusher_.Start();
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.Credit(Peer(), "alice", 16, 0, false, clock_.WallNow());
  files_.FailNth(FaultyFileOps::Op::kSync, 2);  // the accounting file's, after the baselines'
  clock_.Advance(std::chrono::seconds(60));
  for (int i = 0; i < 500 && flusher_.counters().failures == 0; ++i) {
    loop_.RunOnce(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(flusher_.counters().failures, 1u);
  EXPECT_EQ(ledger_.TotalsOf("alice", InfoHash{}), (TransferLedger::Totals{16, 0, 0, 0, 2}));
  clock_.Advance(std::chrono::seconds(60));
  TurnUntilFiles(1);
  ASSERT_EQ(flusher_.counters().files_written, 1u);
  const std::vector<std::string> written = AccountingFiles(dir_);
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(Read(dir_ + "/" + written[0]),
            FormatAccounting({{"alice", InfoHash{}, {16, 0, 0, 0, 2}}}));
}

TEST_F(AccountingFlusherTest, CloseWritesTheLastFileAndSavesBaselinesForTheNextStart) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  files_.FailNth(FaultyFileOps::Op::kRename, 1);  // the baselines': the last file waits
  EXPECT_FALSE(flusher_.Close());
  EXPECT_EQ(flusher_.counters().files_written, 0u);
  ASSERT_TRUE(flusher_.Close());  // both this time
  EXPECT_EQ(flusher_.counters().files_written, 1u);

  EXPECT_EQ(BaselinesLoadedAtRestart(), 1u);
  EXPECT_EQ(CreditLogs(dir_), std::vector<std::string>{}) << "the file holds what they held";
}

// Saved with its baselines, it goes out at the next start, once.
TEST_F(AccountingFlusherTest, AStopWhoseLastFileCannotBeHandedOverLeavesItToTheNextStart) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.Credit(Peer(), "alice", 8, 0, false, clock_.WallNow());
  files_.FailNth(FaultyFileOps::Op::kRename, 2);  // the file's, after the baselines'
  EXPECT_FALSE(flusher_.Close());
  EXPECT_EQ(AccountingFiles(dir_).size(), 0u);

  EXPECT_EQ(BaselinesLoadedAtRestart(), 1u);
  ASSERT_EQ(AccountingFiles(dir_).size(), 1u);
  EXPECT_EQ(Read(dir_ + "/" + AccountingFiles(dir_)[0]),
            FormatAccounting({{"alice", InfoHash{}, {8, 0, 0, 0, 2}}}));
  EXPECT_EQ(BaselinesLoadedAtRestart(), 1u);
  EXPECT_EQ(AccountingFiles(dir_).size(), 1u);
}

// Once the baselines are in place they say what they include: a directory sync that fails after
// their rename must not send the file's totals round again.
TEST_F(AccountingFlusherTest, BaselinesInPlaceAreSavedEvenWhenTheDirectorySyncFails) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  files_.FailNth(FaultyFileOps::Op::kSyncDir, 1);  // the baselines', after their rename
  ASSERT_TRUE(flusher_.Flush().ok());
  EXPECT_TRUE(ledger_.empty());
  TransferLedger next({5, 6}, 2700);  // a kill -9 now
  LoadAtRestart(next);
  EXPECT_EQ(Handed(), std::vector<std::string>{Alice({64, 0, 0, 0, 2})});
  EXPECT_EQ(next.baselines(), 1u);
}

// The start finds the committed file by its name, not by a listing (which may fail).
TEST_F(AccountingFlusherTest, AStartThatCannotListStillHandsOverTheCommittedFile) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  files_.FailNth(FaultyFileOps::Op::kRename, 2);  // the file's, after the baselines'
  EXPECT_FALSE(flusher_.Close());
  files_.FailNth(FaultyFileOps::Op::kList, 3);  // the start's third listing: the temporary files'
  EXPECT_EQ(BaselinesLoadedAtRestart(), 1u);
  EXPECT_EQ(Handed(), std::vector<std::string>{Alice({0, 0, 0, 0, 1})});
}

TEST_F(AccountingFlusherTest, AFileNotHandedOverGoesOutBeforeTheNextIsTaken) {
  flusher_.Start();
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  files_.FailNth(FaultyFileOps::Op::kRename, 2);  // the file's, after the baselines'
  clock_.Advance(std::chrono::seconds(60));
  for (int i = 0; i < 500 && flusher_.counters().failures == 0; ++i) {
    loop_.RunOnce(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(AccountingFiles(dir_).size(), 0u);
  flusher_.Credit(Peer(), "alice", 16, 0, false, clock_.WallNow());
  clock_.Advance(std::chrono::seconds(60));
  TurnUntilFiles(2);
  const std::vector<std::string> names = AccountingFiles(dir_);  // in the order written
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(Read(dir_ + "/" + names[0]),
            FormatAccounting({{"alice", InfoHash{}, {0, 0, 0, 0, 1}}}));
  EXPECT_EQ(Read(dir_ + "/" + names[1]),
            FormatAccounting({{"alice", InfoHash{}, {16, 0, 0, 0, 1}}}));
}

TEST_F(AccountingFlusherTest, AFailureAfterTheFileHasItsNameNeverWritesItsTotalsTwice) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  files_.FailNth(FaultyFileOps::Op::kRemove, 1);
  files_.FailNth(FaultyFileOps::Op::kSyncDir, 2);  // the accounting file's, after the baselines'
  EXPECT_TRUE(flusher_.Flush().ok());
  EXPECT_TRUE(ledger_.empty());
  EXPECT_TRUE(flusher_.Flush().ok());  // nothing more to write
  EXPECT_EQ(AccountingFiles(dir_).size(), 1u);
}

TEST_F(AccountingFlusherTest, AFailedFileKeepsItsTotalsForTheNext) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  files_.FailNth(FaultyFileOps::Op::kSync, 1);  // the file's, before the baselines
  EXPECT_FALSE(flusher_.Flush().ok());
  EXPECT_EQ(flusher_.counters().failures, 1u);
  flusher_.Credit(Peer(), "alice", 32, 0, false, clock_.WallNow());
  ASSERT_TRUE(flusher_.Flush().ok());
  const std::vector<std::string> names = AccountingFiles(dir_);
  ASSERT_EQ(names.size(), 1u) << "the failed one's temporary file is written over";
  EXPECT_EQ(Names(dir_).size(), 2u);  // and the baselines
  EXPECT_EQ(Read(dir_ + "/" + names[0]),
            FormatAccounting({{"alice", InfoHash{}, {32, 0, 0, 0, 2}}}));
}

// A kill -9 loses nothing credited: the start replays the credit logs written since the last file
// on top of the baselines saved with it, writes what they held at once, and a client's next
// announce is credited from there.
TEST_F(AccountingFlusherTest, AStartAfterACrashCreditsEverythingSinceTheLastFileOnce) {
  flusher_.Start();
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  clock_.Advance(std::chrono::seconds(60));
  TurnUntilFiles(1);
  EXPECT_EQ(CreditLogs(dir_), std::vector<std::string>{}) << "the file holds what they held";
  flusher_.Credit(Peer(), "alice", 100, 0, true, clock_.WallNow());
  flusher_.WriteLog();  // as the turn ends, before its replies; then a kill -9
  // ... as the next file was being prepared, before its baselines were saved.
  std::ofstream(dir_ + "/shard0-of-1-2.tsv.tmp") << kAccountingHeader;
  std::ofstream(dir_ + "/shard0.tsv.tmp") << kAccountingHeader;  // an older build's, handed over

  for (int start = 1; start <= 2; ++start) {  // the second finds nothing more to replay
    TransferLedger next({5, 6}, 2700);
    LoadAtRestart(next);
    EXPECT_TRUE(next.empty());
    next.Record(Peer(), "alice", 150, 0, false, clock_.WallNow());
    EXPECT_EQ(next.TotalsOf("alice", InfoHash{}), (TransferLedger::Totals{50, 0, 0, 0, 1}));
  }
  EXPECT_EQ(Handed(), (std::vector<std::string>{Alice({36, 0, 0, 0, 1}), Alice({64, 0, 0, 0, 2})}));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/shard0-of-1-2.tsv.tmp")) << "never handed over";
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/shard0.tsv.tmp"));
  EXPECT_EQ(CreditLogs(dir_), std::vector<std::string>{});
}

// The data directory removed by hand under a running shard: what was credited since the last
// file, and the peers' baselines, are written again at once, and the credit log starts a new
// file in the directory made again, so that a kill -9 right after loses none of it.
TEST_F(AccountingFlusherTest, FilesThatVanishedAreWrittenAgainAndAKillAfterLosesNothing) {
  for (bool credited_since_the_last_file : {true, false}) {
    TransferLedger ledger({1, 2}, 2700);
    AccountingFlusher flusher(loop_, files_, options_, ledger);
    flusher.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
    flusher.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
    flusher.WriteLog();
    if (!credited_since_the_last_file) {
      ASSERT_TRUE(flusher.Flush().ok());
    }
    std::filesystem::remove_all(scratch_.path());
    std::filesystem::create_directory(scratch_.path());  // made again, as a shard does
    flusher.FilesVanished();
    flusher.Credit(Peer(), "alice", 100, 0, false, clock_.WallNow());
    flusher.WriteLog();  // then a kill -9

    TransferLedger next({5, 6}, 2700);
    LoadAtRestart(next);  // writes what the new credit log held
    next.Record(Peer(), "alice", 150, 0, false, clock_.WallNow());  // on the baseline kept
    EXPECT_EQ(next.TotalsOf("alice", InfoHash{}), (TransferLedger::Totals{50, 0, 0, 0, 1}))
        << credited_since_the_last_file;
    std::vector<std::string> expected = {Alice({36, 0, 0, 0, 1})};
    if (credited_since_the_last_file) expected.push_back(Alice({64, 0, 0, 0, 2}));
    EXPECT_EQ(Handed(), expected) << credited_since_the_last_file;
    std::filesystem::remove_all(scratch_.path());
    std::filesystem::create_directory(scratch_.path());
  }
}

// A file committed but not yet named vanished with the directory: it holds back no file after it.
TEST_F(AccountingFlusherTest, AFileWaitingForItsNameThatVanishedHoldsBackNoOther) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.Credit(Peer(), "alice", 8, 0, false, clock_.WallNow());
  files_.FailNth(FaultyFileOps::Op::kRename, 2);  // the file's, after the baselines'
  EXPECT_TRUE(flusher_.Flush().ok());             // committed: its name waits
  std::filesystem::remove_all(scratch_.path());
  std::filesystem::create_directory(scratch_.path());
  flusher_.Credit(Peer(), "alice", 20, 0, false, clock_.WallNow());
  flusher_.FilesVanished();
  EXPECT_EQ(Handed(), std::vector<std::string>{Alice({12, 0, 0, 0, 1})});
}

TEST_F(AccountingFlusherTest, WhatTheFirstFileAfterACrashHoldsIsNotReplayedAgain) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  flusher_.WriteLog();  // then a kill -9 before any file
  {
    TransferLedger next({5, 6}, 2700);
    AccountingFlusher restarted(loop_, files_, options_, next);
    ASSERT_TRUE(restarted.LoadSavedBaselines(kThisShardsFiles).ok());
    EXPECT_EQ(Handed(), std::vector<std::string>{Alice({64, 0, 0, 0, 2})});
    restarted.Credit(Peer(), "alice", 80, 0, false, clock_.WallNow());
    ASSERT_TRUE(restarted.Flush().ok());
  }
  EXPECT_EQ(Handed(), (std::vector<std::string>{Alice({16, 0, 0, 0, 1}), Alice({64, 0, 0, 0, 2})}));
  TransferLedger after({5, 6}, 2700);
  LoadAtRestart(after);
  EXPECT_TRUE(after.empty());
  EXPECT_EQ(after.baselines(), 1u);
}

// Older baselines beside a newer file would credit that file's transfer again after a crash: the
// file waits for them, and its totals for it, in the ledger and in the credit logs.
// A client announcing just within the peer timeout of the baseline the last file committed, then
// a kill -9: however soon or late the start, the replay credits what the run did, and only then
// forgets the baselines expired by the start (a reviewer's find: they were forgotten before).
TEST_F(AccountingFlusherTest, AReplayCreditsOnTheBaselinesAsSavedHoweverLateTheStart) {
  for (const int down : {51, 910}) {
    SCOPED_TRACE(down);
    std::filesystem::remove_all(dir_);
    TransferLedger ledger({1, 2}, 2700);
    {
      AccountingFlusher killed(loop_, files_, options_, ledger);
      killed.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
      clock_.Advance(std::chrono::seconds(2640));
      ASSERT_TRUE(killed.Flush().ok());  // its baseline, 2,640 s old, committed
      clock_.Advance(std::chrono::seconds(10));
      killed.Credit(Peer(), "alice", 1000, 0, false, clock_.WallNow());
      killed.Credit(Peer(1), "alice", 0, 0, false, clock_.WallNow());
      killed.WriteLog();  // kill -9
    }
    ASSERT_EQ(ledger.TotalsOf("alice", InfoHash{}).uploaded, 1000u);
    clock_.Advance(std::chrono::seconds(down));
    TransferLedger next({5, 6}, 2700);
    LoadAtRestart(next);
    EXPECT_EQ(Handed(),
              (std::vector<std::string>{Alice({0, 0, 0, 0, 1}), Alice({1000, 0, 0, 0, 2})}));
    EXPECT_EQ(next.baselines(), 2u);  // the two clients seen at 2,650 s: still live
  }
}

// Loaded whole for the replay, the baselines expired by the start are forgotten after it.
TEST_F(AccountingFlusherTest, BaselinesExpiredByTheStartAreForgottenOnceTheLogsAreReplayed) {
  flusher_.Credit(Peer(1), "alice", 0, 0, false, clock_.WallNow());
  clock_.Advance(std::chrono::seconds(100));
  flusher_.Credit(Peer(2), "alice", 0, 0, false, clock_.WallNow());
  ASSERT_TRUE(flusher_.Flush().ok());
  flusher_.Credit(Peer(2), "alice", 10, 0, false, clock_.WallNow());
  flusher_.WriteLog();                         // kill -9
  clock_.Advance(std::chrono::seconds(2650));  // the first is past the timeout, the second not
  TransferLedger next({5, 6}, 2700);
  LoadAtRestart(next);
  ASSERT_EQ(next.baselines(), 1u);
  EXPECT_EQ(next.Baselines()[0].uploaded, 10u);
}

// At its bound the run follows a client once its sweep has forgotten an expired one; a replay,
// which sweeps nothing, follows the clients the run followed, as its log says (a reviewer's find).
TEST_F(AccountingFlusherTest, AtItsBoundAReplayFollowsTheClientsTheRunFollowed) {
  ledger_.SetMaxClients(2, 0);
  flusher_.Credit(Peer(1), "alice", 0, 0, false, clock_.WallNow());
  clock_.Advance(std::chrono::seconds(100));
  flusher_.Credit(Peer(2), "alice", 0, 0, false, clock_.WallNow());  // the bound
  clock_.Advance(std::chrono::seconds(2661));  // the first expired, and swept:
  ledger_.ExpireSlice(clock_.WallNow() - 2700, 1);
  flusher_.Credit(Peer(3), "alice", 0, 0, false, clock_.WallNow());
  clock_.Advance(std::chrono::seconds(40));  // the second expired, and swept
  ledger_.ExpireSlice(clock_.WallNow() - 2700, 1);
  flusher_.Credit(Peer(4), "alice", 0, 0, false, clock_.WallNow());
  flusher_.Credit(Peer(5), "alice", 0, 0, false, clock_.WallNow());  // no room: refused
  clock_.Advance(std::chrono::seconds(30));
  flusher_.Credit(Peer(4), "alice", 5000, 0, false, clock_.WallNow());
  flusher_.Credit(Peer(5), "alice", 7000, 0, false, clock_.WallNow());  // refused again
  flusher_.WriteLog();                                                  // kill -9
  ASSERT_EQ(ledger_.TotalsOf("alice", InfoHash{}), (TransferLedger::Totals{5000, 0, 0, 0, 7}));
  TransferLedger next({5, 6}, 2700);
  next.SetMaxClients(2, 0);
  LoadAtRestart(next);
  EXPECT_EQ(Handed(), std::vector<std::string>{Alice({5000, 0, 0, 0, 7})});
}

TEST_F(AccountingFlusherTest, BaselinesThatCannotBeSavedHoldTheFileBack) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  ASSERT_TRUE(flusher_.Flush().ok());
  flusher_.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  files_.FailNth(FaultyFileOps::Op::kRename, 1);  // the baselines'
  EXPECT_FALSE(flusher_.Flush().ok());
  EXPECT_EQ(flusher_.counters().failures, 1u);
  EXPECT_EQ(AccountingFiles(dir_).size(), 1u);
  EXPECT_EQ(ledger_.TotalsOf("alice", InfoHash{}), (TransferLedger::Totals{64, 0, 0, 0, 1}));

  TransferLedger next({5, 6}, 2700);  // a kill -9 now: the logs carry the totals
  LoadAtRestart(next);
  EXPECT_EQ(Handed(), (std::vector<std::string>{Alice({0, 0, 0, 0, 1}), Alice({64, 0, 0, 0, 1})}));
}

TEST_F(AccountingFlusherTest, AStopWhoseLastFileFailsLeavesItsTotalsToTheNextStart) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  files_.FailNth(FaultyFileOps::Op::kRename, 1);  // the baselines', before the last file
  EXPECT_FALSE(flusher_.Close());

  TransferLedger next({5, 6}, 2700);
  LoadAtRestart(next);
  EXPECT_EQ(Handed(), std::vector<std::string>{Alice({64, 0, 0, 0, 2})});
}

TEST_F(AccountingFlusherTest, ALogThatCannotBeWrittenIsCountedAndTheLedgerStillCredits) {
  files_.FailNth(FaultyFileOps::Op::kOpen, 1);
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.WriteLog();
  EXPECT_EQ(flusher_.counters().log_failures, 1u);
  flusher_.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  flusher_.WriteLog();
  EXPECT_EQ(flusher_.counters().log_failures, 1u);
  EXPECT_EQ(ledger_.TotalsOf("alice", InfoHash{}), (TransferLedger::Totals{64, 0, 0, 0, 2}));

  TransferLedger next({5, 6}, 2700);  // a crash: the second announce is there, where it stood
  LoadAtRestart(next);
  EXPECT_EQ(Handed(), std::vector<std::string>{Alice({0, 0, 0, 0, 1})});
}

// The shard server runs this job before a completion's reply (shard_server_test.cc): it syncs
// every log written since the last one that no committed accounting file holds (one a failed file
// closed too), and the directory and its parent when a log is new.
TEST_F(AccountingFlusherTest, ALogSyncCoversWhatWasWrittenSinceTheLastThatNoFileCommitted) {
  EXPECT_FALSE(flusher_.PrepareLogSync()) << "nothing written";
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.WriteLog();
  auto first = flusher_.PrepareLogSync();
  ASSERT_TRUE(first);
  EXPECT_FALSE(flusher_.PrepareLogSync()) << "nothing written since";
  ASSERT_TRUE(first().ok());
  EXPECT_EQ(files_.calls(FaultyFileOps::Op::kSync), 1);
  EXPECT_EQ(files_.calls(FaultyFileOps::Op::kSyncDir), 2);

  flusher_.Credit(Peer(), "alice", 10, 0, false, clock_.WallNow());
  flusher_.WriteLog();
  ASSERT_TRUE(flusher_.Flush().ok());  // starts the next log
  EXPECT_FALSE(flusher_.PrepareLogSync()) << "the file holds what the closed log held";

  flusher_.Credit(Peer(), "alice", 20, 0, false, clock_.WallNow());
  flusher_.WriteLog();
  files_.FailNth(FaultyFileOps::Op::kOpen, 1);  // the next file's
  ASSERT_FALSE(flusher_.Flush().ok());          // starts the next log all the same
  flusher_.Credit(Peer(), "alice", 30, 0, true, clock_.WallNow());
  flusher_.WriteLog();
  const int syncs = files_.calls(FaultyFileOps::Op::kSync);
  const int directory_syncs = files_.calls(FaultyFileOps::Op::kSyncDir);
  auto second = flusher_.PrepareLogSync();
  ASSERT_TRUE(second);
  ASSERT_TRUE(second().ok());
  EXPECT_EQ(files_.calls(FaultyFileOps::Op::kSync), syncs + 2);
  EXPECT_EQ(files_.calls(FaultyFileOps::Op::kSyncDir), directory_syncs + 2);
}

// Until a directory sync shows the baselines in place, a power loss could bring back the older
// ones: the logs they include stay to be synced with the next completion.
TEST_F(AccountingFlusherTest, LogsStayToBeSyncedWhileTheBaselinesDirectorySyncFails) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.WriteLog();
  files_.FailNth(FaultyFileOps::Op::kSyncDir, 1);  // the baselines', after their rename
  ASSERT_TRUE(flusher_.Flush().ok());
  EXPECT_TRUE(flusher_.PrepareLogSync());
  flusher_.Credit(Peer(), "alice", 10, 0, false, clock_.WallNow());
  flusher_.WriteLog();
  ASSERT_TRUE(flusher_.Flush().ok());
  EXPECT_FALSE(flusher_.PrepareLogSync());
}

// A run killed just before a resize: the resized shard of its index writes what that run's credit
// logs held (they would otherwise go unreplayed with its files), and the baselines it then loads
// credit a client's next announce from where those logs left it, not from before them.
class ResizeAfterAKillTest : public AccountingFlusherTest {
 protected:
  // A run of shard `index` of 2 on this directory, killed once `run` is done with its flusher.
  template <typename Run>
  void KilledTwoShardRun(const Run& run, std::uint32_t index = 0) {
    TransferLedger ledger({1, 2}, 2700);
    AccountingFlusher killed(loop_, files_, {dir_, index, 2, std::chrono::seconds(60), 2700},
                             ledger);
    run(killed);
    killed.WriteLog();
  }
  // This layout's (shard 0 of 1) start then, whose state load read the killed run's files.
  void StartResized() {
    AccountingFlusher restarted(loop_, files_, options_, resized_);
    ASSERT_TRUE(restarted.LoadSavedBaselines({{0, 2, 1}}).ok());
  }
  PeerAnnounce Seeder() {
    PeerAnnounce announce = Peer();
    announce.seeder = true;
    return announce;
  }
  // A run that wrote a file of its first announce and logged a second, 64 up, when it was killed.
  void KilledAfterAFile(std::uint32_t index) {
    KilledTwoShardRun(
        [&](AccountingFlusher& killed) {
          killed.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
          ASSERT_TRUE(killed.Flush().ok());
          killed.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
        },
        index);
  }
  // The resized layout's next start (its state load read the resized shard's first snapshot).
  void StartResizedAgain() {
    TransferLedger later({7, 8}, 2700);
    AccountingFlusher again(loop_, files_, options_, later);
    ASSERT_TRUE(again.LoadSavedBaselines({{0, 1, 2}}).ok());
  }
  TransferLedger resized_{{5, 6}, 2700};
};

// At its bound the killed run followed new clients once its sweep forgot expired ones; the
// finish of its logs must leave the resized start those live clients, not the expired ones (a
// reviewer's find: they were saved too, and took the room).
TEST_F(ResizeAfterAKillTest, AtItsBoundTheFinishedLogsLeaveTheLiveClientsFollowed) {
  {
    TransferLedger ledger({1, 2}, 2700);
    ledger.SetMaxClients(2, 0);
    AccountingFlusher killed(loop_, files_, {dir_, 0, 2, std::chrono::seconds(60), 2700}, ledger);
    killed.Credit(Peer(1), "alice", 0, 0, false, clock_.WallNow());
    killed.Credit(Peer(2), "alice", 0, 0, false, clock_.WallNow());
    ASSERT_TRUE(killed.Flush().ok());
    clock_.Advance(std::chrono::seconds(2800));  // 1 and 2 expired: swept at the bound
    killed.Credit(Peer(3), "alice", 0, 0, false, clock_.WallNow());
    killed.Credit(Peer(4), "alice", 0, 0, false, clock_.WallNow());
    killed.WriteLog();  // kill -9
  }
  clock_.Advance(std::chrono::seconds(10));
  resized_.SetMaxClients(2, 0);
  StartResized();
  EXPECT_EQ(resized_.baselines(), 2u);
  clock_.Advance(std::chrono::seconds(10));
  resized_.Record(Peer(3), "alice", 300, 0, false, clock_.WallNow());
  resized_.Record(Peer(4), "alice", 400, 0, false, clock_.WallNow());
  EXPECT_EQ(resized_.TotalsOf("alice", InfoHash{}).uploaded, 700u);
}

// As AReplayCreditsOnTheBaselinesAsSavedHoweverLateTheStart, at a resize.
TEST_F(ResizeAfterAKillTest, TheOldLayoutsLogsAreCreditedOnItsBaselinesAsSaved) {
  KilledTwoShardRun([&](AccountingFlusher& killed) {
    killed.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
    clock_.Advance(std::chrono::seconds(1790));
    ASSERT_TRUE(killed.Flush().ok());
    clock_.Advance(std::chrono::seconds(10));
    killed.Credit(Peer(), "alice", 1000, 0, false, clock_.WallNow());
  });
  clock_.Advance(std::chrono::seconds(910));
  StartResized();
  EXPECT_EQ(Handed(),
            (std::vector<std::string>{Alice({0, 0, 0, 0, 1}), Alice({1000, 0, 0, 0, 1})}));
}

TEST_F(ResizeAfterAKillTest, WritesWhatTheOldLayoutsLogsHeldAndCreditsNothingTwice) {
  KilledTwoShardRun([&](AccountingFlusher& killed) {
    killed.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
    ASSERT_TRUE(killed.Flush().ok());
    killed.Credit(Seeder(), "alice", 64, 0, true, clock_.WallNow());
  });
  ASSERT_EQ(Handed().size(), 1u);
  StartResized();
  EXPECT_EQ(Handed(), (std::vector<std::string>{Alice({0, 0, 0, 0, 1}), Alice({64, 0, 1, 0, 1})}));
  EXPECT_EQ(CreditLogs(dir_), std::vector<std::string>{});
  resized_.Record(Seeder(), "alice", 100, 0, true, clock_.WallNow());
  EXPECT_EQ(resized_.TotalsOf("alice", InfoHash{}), (TransferLedger::Totals{36, 0, 0, 0, 1}))
      << "neither the transfer nor the completion again";
  EXPECT_EQ(BaselinesLoadedAtRestart(), 1u) << "saved as this layout's";
}

TEST_F(ResizeAfterAKillTest, AFileTheOldLayoutCommittedButNeverNamedGoesOutFirst) {
  KilledTwoShardRun([&](AccountingFlusher& killed) {
    killed.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
    killed.Credit(Peer(), "alice", 8, 0, false, clock_.WallNow());
    files_.FailNth(FaultyFileOps::Op::kRename, 2);  // the file's, after the baselines'
    ASSERT_TRUE(killed.Flush().ok());
    killed.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  });
  ASSERT_EQ(Handed().size(), 0u);
  StartResized();
  EXPECT_EQ(Handed(), (std::vector<std::string>{Alice({56, 0, 0, 0, 1}), Alice({8, 0, 0, 0, 2})}));
  EXPECT_EQ(CreditLogs(dir_), std::vector<std::string>{});
}

TEST_F(ResizeAfterAKillTest, LogsOfARunKilledBeforeItsFirstFileAreWrittenToo) {
  KilledTwoShardRun([&](AccountingFlusher& killed) {
    killed.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
    killed.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  });
  StartResized();
  EXPECT_EQ(Handed(), std::vector<std::string>{Alice({64, 0, 0, 0, 2})});
  EXPECT_EQ(CreditLogs(dir_), std::vector<std::string>{});
  resized_.Record(Peer(), "alice", 100, 0, false, clock_.WallNow());
  EXPECT_EQ(resized_.TotalsOf("alice", InfoHash{}), (TransferLedger::Totals{36, 0, 0, 0, 1}));
}

// A finish that fails removes the logs (what they held is lost, as before finishing existed): left,
// a later start would credit them again, after this one went on from the baselines before them.
// Should they not go either, the start stops.
TEST_F(ResizeAfterAKillTest, LogsThatCannotBeFinishedAreRemovedOrStopTheStart) {
  KilledTwoShardRun([&](AccountingFlusher& killed) {
    killed.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
    killed.Credit(Peer(), "alice", 8, 0, false, clock_.WallNow());
    ASSERT_TRUE(killed.Flush().ok());
    killed.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  });
  files_.FailNth(FaultyFileOps::Op::kOpen, 1);    // the finish's accounting file
  files_.FailNth(FaultyFileOps::Op::kRemove, 1);  // the logs'
  {
    AccountingFlusher restarted(loop_, files_, options_, resized_);
    EXPECT_FALSE(restarted.LoadSavedBaselines({{0, 2, 1}}).ok());
  }
  EXPECT_EQ(CreditLogs(dir_).size(), 1u);
  files_.FailNth(FaultyFileOps::Op::kOpen, 1);
  StartResized();
  EXPECT_EQ(CreditLogs(dir_), std::vector<std::string>{});
  resized_.Record(Peer(), "alice", 100, 0, false, clock_.WallNow());
  EXPECT_EQ(resized_.TotalsOf("alice", InfoHash{}), (TransferLedger::Totals{92, 0, 0, 0, 1}));

  StartResizedAgain();
  EXPECT_EQ(Handed(), std::vector<std::string>{Alice({8, 0, 0, 0, 2})}) << "nothing twice";
}

// Shard 1 of 2 has no successor at one shard: shard 0 writes what its logs held (1 modulo 1), and
// keeps none of its clients (theirs start again, as for any torrent that changes index).
TEST_F(ResizeAfterAKillTest, AnIndexTheNewCountLacksIsFinishedByTheShardItFallsTo) {
  KilledAfterAFile(1);
  StartResized();
  EXPECT_EQ(Handed(), (std::vector<std::string>{Alice({0, 0, 0, 0, 1}), Alice({64, 0, 0, 0, 1})}));
  EXPECT_EQ(CreditLogs(dir_), std::vector<std::string>{});
  EXPECT_EQ(resized_.baselines(), 0u);
}

// Nobody loads that index's baselines, so logs that cannot be finished now wait for a later start.
TEST_F(ResizeAfterAKillTest, AnIndexTheNewCountLacksKeepsLogsThatCannotBeFinishedYet) {
  KilledAfterAFile(1);
  files_.FailNth(FaultyFileOps::Op::kOpen, 1);  // the finish's accounting file
  StartResized();
  EXPECT_EQ(CreditLogs(dir_).size(), 1u);
  StartResizedAgain();
  EXPECT_EQ(Handed(), (std::vector<std::string>{Alice({0, 0, 0, 0, 1}), Alice({64, 0, 0, 0, 1})}));
  EXPECT_EQ(CreditLogs(dir_), std::vector<std::string>{});
}

// The baselines are the commit: a failure after them loses nothing, and the logs they include go
// at the next start that finds them.
TEST_F(ResizeAfterAKillTest, AFailureAfterTheCommitLosesNothingAndCreditsNothingTwice) {
  KilledTwoShardRun(
      [&](AccountingFlusher& killed) {
        killed.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
        killed.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
      },
      1);
  files_.FailNth(FaultyFileOps::Op::kRemove, 1);  // the logs'
  StartResized();
  ASSERT_EQ(CreditLogs(dir_).size(), 1u);
  StartResizedAgain();
  EXPECT_EQ(Handed(), std::vector<std::string>{Alice({64, 0, 0, 0, 2})});
  EXPECT_EQ(CreditLogs(dir_), std::vector<std::string>{});
}

// A log the killed run left damaged (a torn last record): what comes before the damage is written.
TEST_F(ResizeAfterAKillTest, ADamagedLogIsFinishedUpToTheDamage) {
  KilledTwoShardRun([&](AccountingFlusher& killed) {
    killed.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
    killed.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
    killed.WriteLog();
    killed.Credit(Peer(), "alice", 96, 0, false, clock_.WallNow());
  });
  ASSERT_EQ(CreditLogs(dir_).size(), 1u);
  const std::string log = dir_ + "/" + CreditLogs(dir_)[0];
  std::string bytes = Read(log);
  bytes.back() ^= 1;  // the third record
  std::ofstream(log, std::ios::binary | std::ios::trunc) << bytes;

  StartResized();
  EXPECT_EQ(Handed(), std::vector<std::string>{Alice({64, 0, 0, 0, 2})});
  EXPECT_EQ(CreditLogs(dir_), std::vector<std::string>{});
}

TEST_F(AccountingFlusherTest, AnAnnounceToATorrentAnotherLayoutCreditedSinceIsNotReplayed) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  flusher_.WriteLog();
  ASSERT_EQ(ShardFor(InfoHash{}, 2), 0u);
  TransferLedger next({5, 6}, 2700);
  AccountingFlusher restarted(loop_, files_, options_, next);  // shard 0 of 2 ran since
  ASSERT_TRUE(restarted.LoadSavedBaselines({{0, 1, 1}, {0, 2, 5}}).ok());
  EXPECT_TRUE(next.empty());
  EXPECT_EQ(next.baselines(), 0u);
  // Committed at once, so that no later start replays it once `retire` has removed the files
  // that made this one skip it.
  EXPECT_EQ(CreditLogs(dir_), std::vector<std::string>{});
  EXPECT_EQ(Handed(), std::vector<std::string>{});
}

// A start that replayed only skipped announces saves no newer baselines while the file the last
// ones committed waits for its name: they would no longer mark it as committed.
TEST_F(AccountingFlusherTest, AStartCommitsNothingPastAFileStillWaitingForItsName) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  files_.FailNth(FaultyFileOps::Op::kRename, 2);  // the file's, after the baselines'
  EXPECT_FALSE(flusher_.Close());
  flusher_.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  flusher_.WriteLog();  // then a kill -9
  RefusingFileOps refusing;
  refusing.refuse_rename = [](const std::string& from) { return from.ends_with(".tsv.tmp"); };
  TransferLedger next({5, 6}, 2700);
  AccountingFlusher restarted(loop_, refusing, options_, next);  // shard 0 of 2 ran since
  EXPECT_FALSE(restarted.LoadSavedBaselines({{0, 1, 1}, {0, 2, 5}}).ok());
  TransferLedger again({5, 6}, 2700);
  AccountingFlusher retried(loop_, files_, options_, again);  // once renames work again
  ASSERT_TRUE(retried.LoadSavedBaselines({{0, 1, 1}, {0, 2, 5}}).ok());
  EXPECT_EQ(Handed(), std::vector<std::string>{Alice({0, 0, 0, 0, 1})});  // still committed
  EXPECT_EQ(CreditLogs(dir_), std::vector<std::string>{});
}

// Without skipped announces, a start that cannot write what it replayed still starts: the logs
// stay, so a later file (or start) writes it, once.
TEST_F(AccountingFlusherTest, AStartThatCannotWriteWhatItReplayedStillStarts) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  flusher_.WriteLog();  // then a kill -9
  {
    TransferLedger next({5, 6}, 2700);
    AccountingFlusher restarted(loop_, files_, options_, next);
    files_.FailNth(FaultyFileOps::Op::kSync, 1);  // the replayed totals' file
    ASSERT_TRUE(restarted.LoadSavedBaselines(kThisShardsFiles).ok());
    EXPECT_EQ(next.TotalsOf("alice", InfoHash{}), (TransferLedger::Totals{64, 0, 0, 0, 2}));
  }  // and a kill -9 again
  EXPECT_EQ(Handed(), std::vector<std::string>{});
  TransferLedger again({5, 6}, 2700);
  LoadAtRestart(again);
  EXPECT_EQ(Handed(), std::vector<std::string>{Alice({64, 0, 0, 0, 2})});
}

TEST_F(AccountingFlusherTest, SkippedAnnouncesThatCannotBeCommittedStopTheStart) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.WriteLog();
  TransferLedger next({5, 6}, 2700);
  AccountingFlusher restarted(loop_, files_, options_, next);
  files_.FailNth(FaultyFileOps::Op::kOpen, 1);  // the baselines'
  const Status started = restarted.LoadSavedBaselines({{0, 1, 1}, {0, 2, 5}});
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().find("twice"), std::string::npos) << started.error();
}

TEST_F(AccountingFlusherTest, ADamagedLogIsReplayedUpToTheDamage) {
  flusher_.Credit(Peer(), "alice", 0, 0, false, clock_.WallNow());
  flusher_.Credit(Peer(), "alice", 64, 0, false, clock_.WallNow());
  flusher_.WriteLog();
  ASSERT_EQ(CreditLogs(dir_).size(), 1u);
  const std::string log = dir_ + "/" + CreditLogs(dir_)[0];
  std::string bytes = Read(log);
  bytes.back() ^= 1;  // the second record
  std::ofstream(log, std::ios::binary | std::ios::trunc) << bytes;

  TransferLedger next({5, 6}, 2700);
  LoadAtRestart(next);
  EXPECT_EQ(Handed(), std::vector<std::string>{Alice({0, 0, 0, 0, 1})});
}

TEST_F(AccountingFlusherTest, BaselinesOlderThanThePeerTimeoutAreForgottenWithinALap) {
  flusher_.Start();
  for (std::uint16_t port = 1; port <= 500; ++port) {
    PeerAnnounce peer = Peer();
    peer.port = port;
    peer.peer_id.bytes[0] = static_cast<std::uint8_t>(port);  // 500 clients
    peer.peer_id.bytes[1] = static_cast<std::uint8_t>(port >> 8);
    flusher_.Credit(peer, "alice", 0, 0, false, clock_.WallNow());
  }
  clock_.Advance(std::chrono::seconds(2700));  // wall time too: those are past the timeout
  flusher_.Credit(Peer(), "bob", 0, 0, false, clock_.WallNow());  // port 6881: recent
  for (int slice = 1; slice <= AccountingFlusher::kExpiryLap + 1; ++slice) {
    clock_.Advance(AccountingFlusher::kExpirySlice);  // wall time too
    loop_.RunOnce(std::chrono::milliseconds(1));
    if (slice == 1) {
      EXPECT_GT(ledger_.baselines(), 400u);  // a slice, not all at once
    }
  }
  EXPECT_EQ(ledger_.baselines(), 1u);
}

}  // namespace
}  // namespace shardtrack
