#include "shard/persistence/journal_file.h"

#include <gtest/gtest.h>

#include "shard/persistence/faulty_file_ops.h"
#include "shard/persistence/record_framing.h"
#include "tests/unit/shard/persistence/persistence_test_util.h"

namespace shardtrack {
namespace {

using testing::Hash;
using testing::Peer;
using testing::ScratchDir;

const FileHeader kHeader{1, 2, 5, 1'700'000'000};
const std::string kName = "shard-1-of-2.journal";

JournalEntry Completed(char fill, std::uint64_t count) {
  JournalEntry entry;
  entry.info_hash = Hash(fill);
  entry.completed = count;
  return entry;
}

JournalEntry Upsert(char fill, std::uint8_t octet) {
  JournalEntry entry;
  entry.op = JournalOp::kPeerUpsert;
  entry.info_hash = Hash(fill);
  entry.peer = Peer(octet, 6881, 1000, true);
  return entry;
}

class JournalFileTest : public ::testing::Test {
 protected:
  std::unique_ptr<JournalWriter> Create(FileOps& ops) {
    auto writer = JournalWriter::Create(ops, dir_.path(), kHeader);
    EXPECT_TRUE(writer.ok()) << (writer.ok() ? "" : writer.error());
    return writer.ok() ? std::move(*writer) : nullptr;
  }
  Result<JournalContents> Read() { return ParseJournal(testing::ReadAll(dir_.File(kName))); }
  // A journal of kHeader's shard with another generation.
  Result<std::unique_ptr<JournalWriter>> CreateAt(
      FileOps& ops, std::uint64_t generation, std::unique_ptr<UnlinkedFile>* replaced = nullptr) {
    FileHeader header = kHeader;
    header.generation = generation;
    return JournalWriter::Create(ops, dir_.path(), header, {}, replaced);
  }
  // The generation in the header of the journal named `name`; 0 when there is none.
  std::uint64_t GenerationOf(const std::string& name) {
    if (!real_.Exists(dir_.File(name))) return 0;
    auto contents = ParseJournal(testing::ReadAll(dir_.File(name)));
    return contents.ok() ? contents->header.generation : 0;
  }

  ScratchDir dir_;
  PosixFileOps real_;
};

TEST_F(JournalFileTest, ReplaysCommittedRecordsInOrder) {
  auto writer = Create(real_);
  writer->Append(Upsert('a', 1));
  writer->Append(Completed('a', 1));
  ASSERT_TRUE(writer->Commit().ok());
  JournalEntry remove = Upsert('a', 1);
  remove.op = JournalOp::kPeerRemove;
  writer->Append(remove);
  ASSERT_TRUE(writer->Commit().ok());
  auto contents = Read();
  ASSERT_TRUE(contents.ok()) << contents.error();
  EXPECT_EQ(contents->header.generation, 5u);
  ASSERT_EQ(contents->entries.size(), 3u);
  EXPECT_EQ(contents->entries[0].peer, Upsert('a', 1).peer);
  EXPECT_EQ(contents->entries[1].completed, 1u);
  EXPECT_EQ(contents->entries[2].op, JournalOp::kPeerRemove);
  EXPECT_EQ(contents->entries[2].peer.ip, Upsert('a', 1).peer.ip);
  EXPECT_EQ(contents->entries[2].peer.port, 6881);
  EXPECT_EQ(contents->torn_tail_bytes, 0u);
}

TEST_F(JournalFileTest, SyncsOnlyCommitsThatHoldACompletion) {
  auto writer = Create(real_);
  writer->Append(Upsert('a', 1));
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(writer->syncs(), 0u);
  writer->Append(Upsert('a', 2));
  writer->Append(Completed('a', 1));
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(writer->syncs(), 1u);
}

TEST_F(JournalFileTest, IgnoresATornFinalRecord) {
  FaultyFileOps faulty(real_);
  auto writer = Create(faulty);
  writer->Append(Completed('a', 1));
  ASSERT_TRUE(writer->Commit().ok());
  faulty.TearNthWrite(1, 13);  // the crash comes in the middle of the next commit
  writer->Append(Completed('a', 2));
  EXPECT_FALSE(writer->Commit().ok());
  auto contents = Read();
  ASSERT_TRUE(contents.ok()) << contents.error();
  ASSERT_EQ(contents->entries.size(), 1u);
  EXPECT_EQ(contents->entries[0].completed, 1u);
  EXPECT_EQ(contents->torn_tail_bytes, 13u);
}

TEST_F(JournalFileTest, ATurnTornAfterItsFirstRecordsIsIgnoredWhole) {
  FaultyFileOps faulty(real_);
  auto writer = Create(faulty);
  writer->Append(Upsert('a', 1));
  writer->Append(Completed('a', 1));
  ASSERT_TRUE(writer->Commit().ok());
  // A seeder and its completion in one turn; the crash leaves the first commit's sync marker and
  // the seeder's record whole (after the turn frame's header) and cuts the completion's.
  std::string upsert;
  AppendJournalEntry(upsert, Upsert('b', 2));
  const std::size_t marker = EncodeSyncedMarker(0).size();
  const std::size_t keep = marker + kFrameHeaderSize + upsert.size() + 5;
  faulty.TearNthWrite(1, keep);
  writer->Append(Upsert('b', 2));
  writer->Append(Completed('b', 1));
  EXPECT_FALSE(writer->Commit().ok());
  auto contents = Read();
  ASSERT_TRUE(contents.ok()) << contents.error();
  ASSERT_EQ(contents->entries.size(), 2u);  // the first turn only
  EXPECT_EQ(contents->entries[0].info_hash, Hash('a'));
  EXPECT_EQ(contents->entries[1].info_hash, Hash('a'));
  EXPECT_EQ(contents->torn_tail_bytes, keep - marker);
}

TEST_F(JournalFileTest, ATurnTooBigForOneFrameGoesInAsSeveralSplitBetweenRecords) {
  std::string one;
  AppendJournalEntry(one, Upsert('a', 1));
  auto writer = Create(real_);
  writer->LimitTurnBytes(3 * one.size());
  for (std::uint8_t octet = 1; octet <= 10; ++octet) writer->Append(Upsert('a', octet));
  ASSERT_TRUE(writer->Commit().ok());

  const std::string file = testing::ReadAll(dir_.File(kName));
  FrameCursor cursor(file, kPreambleSize);
  FrameCursor::Frame frame;
  std::vector<std::size_t> turns;  // each turn frame's body, in records
  while (cursor.Next(frame) == FrameCursor::Step::kFrame) {
    if (frame.type == RecordType::kJournalTurn) turns.push_back(frame.fields.size() / one.size());
  }
  EXPECT_EQ(turns, (std::vector<std::size_t>{3, 3, 3, 1}));
  auto contents = Read();
  ASSERT_TRUE(contents.ok()) << contents.error();
  ASSERT_EQ(contents->entries.size(), 10u);
  for (std::uint8_t octet = 1; octet <= 10; ++octet) {
    EXPECT_EQ(contents->entries[octet - 1].peer, Upsert('a', octet).peer);
  }
}

TEST_F(JournalFileTest, RecordsOutsideTurnsAreReadOneByOne) {
  // As a journal that follows a background snapshot starts, and as builds before turns wrote.
  EncodedRecords records;
  AppendJournalEntry(records.bytes, Upsert('a', 1));
  AppendJournalEntry(records.bytes, Completed('a', 3));
  records.count = 2;
  auto writer = JournalWriter::Create(real_, dir_.path(), kHeader, records);
  ASSERT_TRUE(writer.ok()) << writer.error();
  (*writer)->Append(Completed('a', 4));
  ASSERT_TRUE((*writer)->Commit().ok());
  auto contents = Read();
  ASSERT_TRUE(contents.ok()) << contents.error();
  ASSERT_EQ(contents->entries.size(), 3u);
  EXPECT_EQ(contents->entries[0].op, JournalOp::kPeerUpsert);
  EXPECT_EQ(contents->entries[1].completed, 3u);
  EXPECT_EQ(contents->entries[2].completed, 4u);
  EXPECT_EQ(contents->records, 3u);
}

TEST_F(JournalFileTest, AFailedSyncBreaksTheWriterForGood) {
  FaultyFileOps faulty(real_);
  auto writer = Create(faulty);
  faulty.FailNth(FaultyFileOps::Op::kSync, 1);
  writer->Append(Completed('a', 1));
  EXPECT_FALSE(writer->Commit().ok());
  writer->Append(Completed('a', 2));
  EXPECT_FALSE(writer->Commit().ok());
  EXPECT_TRUE(writer->broken());
}

TEST_F(JournalFileTest, AFailedWriteNamesTheJournalByTheNameItHasNow) {
  FaultyFileOps faulty(real_);
  auto writer = Create(faulty);
  faulty.FailNth(FaultyFileOps::Op::kWrite, 1);
  writer->Append(Completed('a', 1));
  const Status written = writer->Write();
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(writer->Write().error(), "journal " + dir_.File("shard-1-of-2.journal") +
                                         " failed earlier; waiting for a snapshot");
}

// Three commits: [completed] (synced), [completed, peer] (synced; its marker goes out with the
// next commit), [peer] (not synced). Returns the file offsets where the commits start.
std::vector<std::uint64_t> WriteThreeCommits(JournalWriter& writer) {
  std::vector<std::uint64_t> starts = {writer.bytes()};
  writer.Append(Completed('a', 1));
  EXPECT_TRUE(writer.Commit().ok());
  starts.push_back(writer.bytes());
  writer.Append(Completed('a', 2));
  writer.Append(Upsert('a', 1));
  EXPECT_TRUE(writer.Commit().ok());
  starts.push_back(writer.bytes());
  writer.Append(Upsert('a', 2));
  EXPECT_TRUE(writer.Commit().ok());
  return starts;
}

TEST_F(JournalFileTest, SyncMarkersAreNotReplayedAsEntries) {
  auto writer = Create(real_);
  WriteThreeCommits(*writer);
  EXPECT_EQ(writer->syncs(), 2u);
  auto contents = Read();
  ASSERT_TRUE(contents.ok()) << contents.error();
  ASSERT_EQ(contents->entries.size(), 4u);
  EXPECT_EQ(contents->entries[2].op, JournalOp::kPeerUpsert);
  EXPECT_EQ(contents->torn_tail_bytes, 0u);
}

TEST_F(JournalFileTest, DamageInSyncedBytesIsCorruption) {
  auto writer = Create(real_);
  const std::vector<std::uint64_t> starts = WriteThreeCommits(*writer);
  const std::string good = testing::ReadAll(dir_.File(kName));
  for (std::uint64_t at : {starts[0], starts[0] + 9, starts[1] + 12}) {  // length, body, body
    std::string bad = good;
    bad[at] ^= 0x40;
    auto contents = ParseJournal(bad);
    ASSERT_FALSE(contents.ok()) << "flipped byte " << at;
    EXPECT_NE(contents.error().find("says were synced"), std::string::npos) << contents.error();
  }
}

TEST_F(JournalFileTest, AHoleInTheUnsyncedTailIsATornTail) {
  auto writer = Create(real_);
  const std::vector<std::uint64_t> starts = WriteThreeCommits(*writer);
  writer->Append(Upsert('a', 3));  // a fourth commit, unsynced too
  ASSERT_TRUE(writer->Commit().ok());
  std::string bytes = testing::ReadAll(dir_.File(kName));
  // A power loss wrote back the fourth commit's page but not the third's.
  // The third commit opens with the second sync's marker; the hole is in its peer record.
  const std::uint64_t hole = starts[2] + EncodeSyncedMarker(0).size();
  std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(hole),
            bytes.begin() + static_cast<std::ptrdiff_t>(hole + 20), '\0');
  auto contents = ParseJournal(bytes);
  ASSERT_TRUE(contents.ok()) << contents.error();
  EXPECT_EQ(contents->entries.size(), 3u);  // the synced commits, whole
  EXPECT_EQ(contents->torn_tail_bytes, bytes.size() - hole);
}

TEST_F(JournalFileTest, RecordsWrittenWhileASyncRunsAreNotClaimedByIt) {
  auto writer = Create(real_);
  writer->Append(Completed('a', 1));
  ASSERT_TRUE(writer->Write().ok());
  ASSERT_TRUE(writer->needs_sync());
  const JournalWriter::SyncJob job = writer->PrepareSync();
  const std::uint64_t during = writer->bytes();
  writer->Append(Upsert('a', 1));  // written by the loop while the sync runs elsewhere
  ASSERT_TRUE(writer->Write().ok());
  writer->Synced(job.through, job.Run());
  EXPECT_FALSE(writer->needs_sync());
  writer->Append(Upsert('a', 2));  // goes out after the marker
  ASSERT_TRUE(writer->Write().ok());
  std::string bytes = testing::ReadAll(dir_.File(kName));

  std::string torn = bytes;
  torn[during + 9] ^= 0x40;  // in the record written during the sync: never claimed durable
  auto contents = ParseJournal(torn);
  ASSERT_TRUE(contents.ok()) << contents.error();
  EXPECT_EQ(contents->entries.size(), 1u);

  std::string corrupt = bytes;
  corrupt[during - 3] ^= 0x40;  // in the completion the sync covered
  EXPECT_FALSE(ParseJournal(corrupt).ok());
}

TEST_F(JournalFileTest, ACompletionWrittenDuringASyncStillNeedsOne) {
  auto writer = Create(real_);
  writer->Append(Completed('a', 1));
  ASSERT_TRUE(writer->Write().ok());
  const JournalWriter::SyncJob job = writer->PrepareSync();
  writer->Append(Completed('a', 2));
  ASSERT_TRUE(writer->Write().ok());
  writer->Synced(job.through, job.Run());
  EXPECT_TRUE(writer->needs_sync());
}

TEST_F(JournalFileTest, AFailedBackgroundSyncBreaksTheWriter) {
  FaultyFileOps faulty(real_);
  auto writer = Create(faulty);
  faulty.FailNth(FaultyFileOps::Op::kSync, 1);
  writer->Append(Completed('a', 1));
  ASSERT_TRUE(writer->Write().ok());
  const JournalWriter::SyncJob job = writer->PrepareSync();
  writer->Synced(job.through, job.Run());
  EXPECT_TRUE(writer->broken());
  writer->Append(Upsert('a', 1));
  EXPECT_FALSE(writer->Write().ok());
}

TEST_F(JournalFileTest, CreateReplacesAnOldJournalAtomically) {
  auto first = Create(real_);
  first->Append(Completed('a', 9));
  ASSERT_TRUE(first->Commit().ok());
  FaultyFileOps faulty(real_);
  faulty.FailNth(FaultyFileOps::Op::kRename, 1);
  EXPECT_FALSE(JournalWriter::Create(faulty, dir_.path(), kHeader).ok());
  auto contents = Read();
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->entries.size(), 1u);  // the old journal survives a failed rotation
  EXPECT_FALSE(real_.Exists(dir_.File(kName + ".tmp")));
}

// The journal replaced for good (the one named `.journal.prev`) is unlinked but handed back
// open, so that the caller picks the thread that frees its blocks (the last close).
TEST_F(JournalFileTest, CreateHandsBackTheJournalItReplacesForGoodStillOpen) {
  FaultyFileOps faulty(real_);
  ASSERT_TRUE(CreateAt(faulty, 1).ok());
  std::unique_ptr<UnlinkedFile> replaced;
  ASSERT_TRUE(CreateAt(faulty, 2, &replaced).ok());
  EXPECT_EQ(replaced, nullptr) << "there was no `.journal.prev` yet";
  ASSERT_TRUE(CreateAt(faulty, 3, &replaced).ok());
  ASSERT_NE(replaced, nullptr);
  EXPECT_EQ(GenerationOf(kName), 3u);
  EXPECT_EQ(GenerationOf(kName + ".prev"), 2u);  // generation 1 has no name left
  EXPECT_EQ(faulty.releases(), 0) << "Create must not close the journal it hands back";
  replaced.reset();
  EXPECT_EQ(faulty.releases(), 1);
}

TEST_F(JournalFileTest, CreateFreesTheReplacedJournalItselfWhenTheCallerTakesNone) {
  FaultyFileOps faulty(real_);
  for (std::uint64_t generation : {1, 2, 3}) ASSERT_TRUE(CreateAt(faulty, generation).ok());
  EXPECT_EQ(faulty.releases(), 1);
  EXPECT_EQ(GenerationOf(kName + ".prev"), 2u);
}

TEST_F(JournalFileTest, AJournalPrevThatCannotBeUnlinkedFailsTheCreationAndKeepsTheOldFiles) {
  ASSERT_TRUE(CreateAt(real_, 1).ok());
  ASSERT_TRUE(CreateAt(real_, 2).ok());
  FaultyFileOps faulty(real_);
  faulty.FailNth(FaultyFileOps::Op::kRemove, 1);  // the unlink of `.journal.prev`
  std::unique_ptr<UnlinkedFile> replaced;
  auto third = CreateAt(faulty, 3, &replaced);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error(), "creating journal " + dir_.File(kName) + ": injected fault");
  EXPECT_EQ(replaced, nullptr);
  EXPECT_EQ(GenerationOf(kName), 2u);
  EXPECT_EQ(GenerationOf(kName + ".prev"), 1u);
  EXPECT_FALSE(real_.Exists(dir_.File(kName + ".tmp")));
}

TEST_F(JournalFileTest, AFailureAfterTheUnlinkStillHandsBackTheUnlinkedJournal) {
  ASSERT_TRUE(CreateAt(real_, 1).ok());
  ASSERT_TRUE(CreateAt(real_, 2).ok());
  FaultyFileOps faulty(real_);
  faulty.FailNth(FaultyFileOps::Op::kLink, 1);  // `.journal` cannot get its second name
  std::unique_ptr<UnlinkedFile> replaced;
  EXPECT_FALSE(CreateAt(faulty, 3, &replaced).ok());
  EXPECT_NE(replaced, nullptr) << "the name is gone: the caller must still free the file";
  EXPECT_EQ(faulty.releases(), 0);
  EXPECT_EQ(GenerationOf(kName), 2u);  // still in force
  EXPECT_FALSE(real_.Exists(dir_.File(kName + ".prev")));
  EXPECT_FALSE(real_.Exists(dir_.File(kName + ".tmp")));
}

}  // namespace
}  // namespace shardtrack
