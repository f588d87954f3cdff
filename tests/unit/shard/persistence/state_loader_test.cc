#include "shard/persistence/state_loader.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/routing.h"
#include "shard/persistence/faulty_file_ops.h"
#include "shard/persistence/journal_file.h"
#include "shard/persistence/record_codec.h"
#include "shard/persistence/shard_file_name.h"
#include "shard/persistence/snapshot_file.h"
#include "tests/unit/shard/persistence/pass_through_file_ops.h"
#include "tests/unit/shard/persistence/persistence_test_util.h"

namespace shardtrack {
namespace {

using testing::Peer;
using testing::ScratchDir;
using testing::Torrent;

// The `n`th infohash (counting from 0) that `count` shards route to `index`.
InfoHash HashOn(std::uint32_t index, std::uint32_t count, int n) {
  for (int i = 0;; ++i) {
    InfoHash hash = testing::Hash(static_cast<char>('a' + i % 20), static_cast<char>(i / 20));
    if (ShardFor(hash, count) == index && n-- == 0) return hash;
  }
}

class StateLoaderTest : public ::testing::Test {
 protected:
  void Snapshot(std::uint32_t index, std::uint32_t count, std::uint64_t generation,
                const std::vector<TorrentRecord>& torrents) {
    testing::WriteShardSnapshot(ops_, dir_.path(), {index, count, generation, 0}, torrents);
  }
  // Shard 0 of 1's journal that follows `generation`, holding `entries` (the journal there
  // becomes `.journal.prev`).
  void Journal(std::uint64_t generation, const std::vector<JournalEntry>& entries) {
    auto journal = JournalWriter::Create(ops_, dir_.path(), {0, 1, generation, 0});
    ASSERT_TRUE(journal.ok()) << journal.error();
    for (const JournalEntry& entry : entries) (*journal)->Append(entry);
    ASSERT_TRUE((*journal)->Commit().ok());
  }
  // Generation 3: a snapshot in which `hash` has 5 completions and a journal that makes them 6.
  void SnapshotAndJournal(const InfoHash& hash) {
    Snapshot(0, 1, 3, {Torrent(hash, 5)});
    Journal(3, {{JournalOp::kCompleted, hash, 6, {}}});
  }
  // Cuts the trailer of shard 0 of 1's current snapshot (its torrent records stay intact); returns
  // what is left.
  std::string CutSnapshotTrailer() {
    const std::string path = dir_.File("shard-0-of-1.snapshot");
    std::string bytes = testing::ReadAll(path);
    bytes.resize(bytes.size() - 3);
    testing::WriteAll(path, bytes);
    return bytes;
  }
  Result<LoadedState> Load(std::uint32_t index, std::uint32_t count,
                           OnCorrupt on_corrupt = OnCorrupt::kRefuse) {
    return LoadShardState(ops_, {dir_.path(), index, count, on_corrupt, 1234});
  }

  ScratchDir dir_;
  PosixFileOps ops_;
};

TEST_F(StateLoaderTest, AnEmptyDirectoryIsAFreshStart) {
  auto loaded = Load(0, 1);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_TRUE(loaded->torrents.empty());
  EXPECT_EQ(loaded->max_generation, 0u);
}

TEST_F(StateLoaderTest, ReplaysTheJournalOverTheSnapshot) {
  const InfoHash hash = HashOn(0, 1, 0);
  Snapshot(0, 1, 4, {Torrent(hash, 2, {Peer(1, 10, 100)})});
  auto journal = JournalWriter::Create(ops_, dir_.path(), {0, 1, 4, 0});
  ASSERT_TRUE(journal.ok());
  JournalEntry upsert{JournalOp::kPeerUpsert, hash, 0, Peer(1, 10, 200, true)};
  upsert.peer.completed = true;
  (*journal)->Append(upsert);
  (*journal)->Append({JournalOp::kCompleted, hash, 3, {}});
  (*journal)->Append({JournalOp::kPeerUpsert, hash, 0, Peer(2, 20, 210)});
  (*journal)->Append({JournalOp::kPeerRemove, hash, 0, Peer(2, 20, 0)});
  ASSERT_TRUE((*journal)->Commit().ok());

  auto loaded = Load(0, 1);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_EQ(loaded->torrents.size(), 1u);
  EXPECT_EQ(loaded->torrents[0], Torrent(hash, 3, {upsert.peer}));
  EXPECT_NE(loaded->Summary().find("replayed 4 of 4 records"), std::string::npos)
      << loaded->Summary();
}

TEST_F(StateLoaderTest, AForgottenTorrentIsGoneUntilItsNextRecord) {
  const InfoHash gone = HashOn(0, 1, 0);
  const InfoHash back = HashOn(0, 1, 1);
  Snapshot(0, 1, 4, {Torrent(gone, 2, {}), Torrent(back, 5, {})});
  Journal(4, {{JournalOp::kForget, gone, 0, {}},
              {JournalOp::kForget, back, 0, {}},
              {JournalOp::kPeerUpsert, back, 0, Peer(1, 10, 300)}});  // a newcomer

  auto loaded = Load(0, 1);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_EQ(loaded->torrents.size(), 1u);
  EXPECT_EQ(loaded->torrents[0], Torrent(back, 0, {Peer(1, 10, 300)}));
}

TEST_F(StateLoaderTest, ASwarmWrittenInSeveralRecordsLoadsWhole) {
  const InfoHash hash = HashOn(0, 1, 0);
  const std::vector<PeerRecord> peers = testing::ManyPeers(kPeersPerTorrentRecord + 10);
  Snapshot(0, 1, 4, {Torrent(hash, 5, peers)});
  auto loaded = Load(0, 1);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_EQ(loaded->torrents.size(), 1u);
  EXPECT_EQ(loaded->torrents[0].completed, 5u);
  EXPECT_EQ(loaded->torrents[0].peers.size(), peers.size());
}

TEST_F(StateLoaderTest, SkipsAJournalOlderThanTheSnapshot) {
  const InfoHash hash = HashOn(0, 1, 0);
  Journal(4, {{JournalOp::kPeerUpsert, hash, 0, Peer(9, 90, 100)}});
  // A crash between installing snapshot 5 and starting its journal: 5 holds the changes.
  Snapshot(0, 1, 5, {Torrent(hash, 1)});
  auto loaded = Load(0, 1);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_EQ(loaded->torrents.size(), 1u);
  EXPECT_TRUE(loaded->torrents[0].peers.empty());
}

TEST_F(StateLoaderTest, ReplaysThePreviousJournalBeforeAJournalNewerThanTheSnapshot) {
  const InfoHash hash = HashOn(0, 1, 0);
  Snapshot(0, 1, 4, {Torrent(hash, 1, {Peer(1, 10, 100)})});
  auto journal = JournalWriter::Create(ops_, dir_.path(), {0, 1, 4, 0});
  ASSERT_TRUE(journal.ok());
  (*journal)->Append({JournalOp::kPeerUpsert, hash, 0, Peer(2, 20, 200)});  // before the fork
  ASSERT_TRUE((*journal)->Commit().ok());
  // A snapshot of generation 5 is written beside the loop; changes after the fork are copied.
  auto temp = WriteSnapshotTemp(ops_, dir_.path(), {0, 1, 5, 0}, [&](const TorrentVisitor& visit) {
    visit(Torrent(hash, 1, {Peer(1, 10, 100), Peer(2, 20, 200)}));
  });
  ASSERT_TRUE(temp.ok()) << temp.error();
  (*journal)->StartCopying();
  (*journal)->Append({JournalOp::kPeerRemove, hash, 0, Peer(1, 10, 0)});
  (*journal)->Append({JournalOp::kCompleted, hash, 2, {}});
  ASSERT_TRUE((*journal)->Commit().ok());
  // The journal of generation 5 is started, then the crash comes before the snapshot's rename.
  auto next = JournalWriter::Create(ops_, dir_.path(), {0, 1, 5, 0}, (*journal)->TakeCopy());
  ASSERT_TRUE(next.ok()) << next.error();
  (*next)->Append({JournalOp::kPeerUpsert, hash, 0, Peer(3, 30, 300)});
  ASSERT_TRUE((*next)->Commit().ok());

  auto loaded = Load(0, 1);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_EQ(loaded->torrents.size(), 1u);
  EXPECT_EQ(loaded->torrents[0], Torrent(hash, 2, {Peer(2, 20, 200), Peer(3, 30, 300)}));
  EXPECT_EQ(loaded->max_generation, 5u);
  EXPECT_NE(loaded->Summary().find("replayed shard-0-of-1.journal.prev (follows generation 4"),
            std::string::npos)
      << loaded->Summary();
}

// Real files, but the journal is replaced by `replacement` just before it is opened a second
// time: a rotation beside the tools, which load while the shard runs.
class JournalSwappingFileOps : public PassThroughFileOps {
 public:
  JournalSwappingFileOps(std::string journal, std::string replacement)
      : journal_(std::move(journal)), replacement_(std::move(replacement)) {}
  Result<std::unique_ptr<SequentialFile>> OpenSequential(const std::string& path) override {
    if (path == journal_ && ++opens_ == 2) {
      std::filesystem::copy_file(replacement_, journal_,
                                 std::filesystem::copy_options::overwrite_existing);
    }
    return PassThroughFileOps::OpenSequential(path);
  }

 private:
  std::string journal_, replacement_;
  int opens_ = 0;
};

// A journal that follows a newer generation under the same name, with as many records, is not
// replayed over the snapshot it does not follow: the load fails, for the tools to try again.
TEST_F(StateLoaderTest, AJournalReplacedBetweenItsReadsIsNotReplayed) {
  const InfoHash hash = HashOn(0, 1, 0);
  SnapshotAndJournal(hash);  // generation 3
  ScratchDir elsewhere;
  auto newer = JournalWriter::Create(ops_, elsewhere.path(), {0, 1, 4, 0});
  ASSERT_TRUE(newer.ok()) << newer.error();
  (*newer)->Append({JournalOp::kCompleted, hash, 9, {}});
  ASSERT_TRUE((*newer)->Commit().ok());
  const std::string name = ShardFileName{0, 1, ShardFileKind::kJournal}.ToString();
  JournalSwappingFileOps swapping(dir_.path() + "/" + name, elsewhere.path() + "/" + name);

  auto loaded = LoadShardState(swapping, {dir_.path(), 0, 1, OnCorrupt::kRefuse, 1234});
  ASSERT_FALSE(loaded.ok()) << "completed " << loaded->torrents[0].completed;
  EXPECT_NE(loaded.error().find("changed while loading"), std::string::npos) << loaded.error();
}

TEST_F(StateLoaderTest, ResizingFromTwoToThreeShardsGivesEveryTorrentToItsNewOwner) {
  std::vector<TorrentRecord> all;
  for (std::uint32_t old_index = 0; old_index < 2; ++old_index) {
    std::vector<TorrentRecord> mine;
    for (int n = 0; n < 12; ++n) {
      mine.push_back(Torrent(HashOn(old_index, 2, n), 10 * old_index + n + 1,
                             {Peer(static_cast<std::uint8_t>(n + 1), 7000, 500)}));
    }
    Snapshot(old_index, 2, 3 + old_index, mine);
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::size_t served = 0;
  for (std::uint32_t index = 0; index < 3; ++index) {
    auto loaded = Load(index, 3);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_EQ(loaded->max_generation, 4u);
    for (const TorrentRecord& torrent : loaded->torrents) {
      EXPECT_EQ(ShardFor(torrent.info_hash, 3), index);
      EXPECT_NE(std::find(all.begin(), all.end(), torrent), all.end());
    }
    served += loaded->torrents.size();
  }
  EXPECT_EQ(served, all.size());
}

TEST_F(StateLoaderTest, TheNewestOwningLayoutSpeaksForATorrent) {
  const InfoHash moved = HashOn(2, 3, 0);  // owned by 2-of-3, and by some shard of 2 before
  const std::uint32_t old_owner = ShardFor(moved, 2);
  Snapshot(old_owner, 2, 3, {Torrent(moved, 5, {Peer(1, 10, 100), Peer(2, 20, 100)})});
  Snapshot(1 - old_owner, 2, 3, {});  // layouts are read whole
  // At 3 shards the torrent gained a completion and lost a peer.
  Snapshot(2, 3, 6, {Torrent(moved, 6, {Peer(2, 20, 150)})});
  for (std::uint32_t index = 0; index < 2; ++index) Snapshot(index, 3, 6, {});
  auto loaded = Load(0, 1);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_EQ(loaded->torrents.size(), 1u);
  EXPECT_EQ(loaded->torrents[0], Torrent(moved, 6, {Peer(2, 20, 150)}));
  // The sets read say so too, for whatever else speaks by them (the accounting's baselines).
  const std::vector<FileSet> read = {{0, 2, 3}, {1, 2, 3}, {0, 3, 6}, {1, 3, 6}, {2, 3, 6}};
  EXPECT_EQ(loaded->sets, read);
  EXPECT_EQ(*SpeakerFor(loaded->sets, moved), (FileSet{2, 3, 6}));
}

TEST_F(StateLoaderTest, ATorrentForgottenByItsNewestOwnerStaysForgotten) {
  const InfoHash gone = HashOn(2, 3, 0);
  Snapshot(ShardFor(gone, 2), 2, 3, {Torrent(gone, 0, {Peer(1, 10, 100)})});
  Snapshot(1 - ShardFor(gone, 2), 2, 3, {});
  for (std::uint32_t index = 0; index < 3; ++index) {
    Snapshot(index, 3, 6, {});  // shard 2: its peers stopped and the shard forgot it
  }
  auto loaded = Load(0, 1);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_TRUE(loaded->torrents.empty());
}

// --torrent-retention forgot it with its completions: an older layout's count stays behind.
TEST_F(StateLoaderTest, ATorrentRetiredByItsNewestOwnerStaysRetiredWhateverOlderFilesCount) {
  const InfoHash retired = HashOn(2, 3, 0);
  const InfoHash kept = HashOn(2, 3, 1);
  Snapshot(ShardFor(retired, 2), 2, 3, {Torrent(retired, 5, {Peer(1, 10, 100)})});
  Snapshot(ShardFor(kept, 2), 2, 4, {Torrent(kept, 9, {})});
  Snapshot(2, 3, 6, {Torrent(kept, 9, {})});
  auto journal = JournalWriter::Create(ops_, dir_.path(), {2, 3, 6, 0});
  ASSERT_TRUE(journal.ok());
  (*journal)->Append({JournalOp::kForget, kept, 0, {}});  // retired after that snapshot
  ASSERT_TRUE((*journal)->Commit().ok());
  auto loaded = Load(2, 3);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_TRUE(loaded->torrents.empty());
}

TEST_F(StateLoaderTest, RefusesACorruptSnapshotNamingTheFileAndTheChoices) {
  Snapshot(0, 1, 1, {Torrent(HashOn(0, 1, 0), 1)});
  const std::string path = dir_.File("shard-0-of-1.snapshot");
  std::string bytes = testing::ReadAll(path);
  bytes[bytes.size() / 2] ^= 0x01;
  testing::WriteAll(path, bytes);
  auto loaded = Load(0, 1);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().find(path), std::string::npos) << loaded.error();
  EXPECT_NE(loaded.error().find("--on-corrupt=refuse"), std::string::npos);
  EXPECT_NE(loaded.error().find("--on-corrupt=quarantine"), std::string::npos);
  EXPECT_EQ(testing::ReadAll(path), bytes);  // untouched
}

TEST_F(StateLoaderTest, AFileThatCannotBeOpenedIsRefusedEvenUnderQuarantine) {
  Snapshot(0, 1, 1, {Torrent(HashOn(0, 1, 0), 1)});
  const std::string path = dir_.File("shard-0-of-1.snapshot");
  const std::string bytes = testing::ReadAll(path);
  FaultyFileOps faulty(ops_);  // as a permission error or the open-file limit would
  faulty.FailNth(FaultyFileOps::Op::kOpenToRead, 1);
  auto loaded = LoadShardState(faulty, {dir_.path(), 0, 1, OnCorrupt::kQuarantine, 1234});
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().find("cannot load " + path + ": injected fault; "), std::string::npos)
      << loaded.error();
  EXPECT_EQ(testing::ReadAll(path), bytes);  // not set aside: nothing is wrong with it
  EXPECT_TRUE(Load(0, 1).ok());
}

// Every journal past generation 0 follows a snapshot written before it, so one without any means
// the snapshot was removed by hand: refused by default, said loudly under quarantine.
TEST_F(StateLoaderTest, AJournalWhoseSnapshotWasRemovedIsRefusedOrReplayedAlone) {
  const InfoHash hash = HashOn(0, 1, 0);
  SnapshotAndJournal(hash);
  std::filesystem::remove(dir_.File("shard-0-of-1.snapshot"));

  auto refused = Load(0, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("no snapshot of shard 0 of 1 is in " + dir_.path() +
                                 " though its journal follows generation 3: someone removed it; "
                                 "put it back, or start the shard with --on-corrupt=quarantine"),
            std::string::npos)
      << refused.error();
  auto alone = Load(0, 1, OnCorrupt::kQuarantine);
  ASSERT_TRUE(alone.ok()) << alone.error();
  EXPECT_EQ(alone->missing_files, 1u);
  ASSERT_EQ(alone->torrents.size(), 1u);
  EXPECT_EQ(alone->torrents[0].completed, 6u);  // the journal's record, absolute
  EXPECT_NE(alone->Summary().find("started from the journals alone"), std::string::npos);
}

// A snapshot is never written without a journal beside it, so one alone means the journal was
// removed by hand, and with it every change since the snapshot.
TEST_F(StateLoaderTest, ASnapshotWhoseJournalWasRemovedIsRefusedOrLoadedAlone) {
  const InfoHash hash = HashOn(0, 1, 0);
  SnapshotAndJournal(hash);
  std::filesystem::remove(dir_.File("shard-0-of-1.journal"));

  auto refused = Load(0, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("no journal of shard 0 of 1 is in " + dir_.path() +
                                 " though its snapshot is: someone removed it, or a start with "
                                 "--on-corrupt=quarantine set a corrupt one aside and stopped "
                                 "before writing another; put it back, or start the shard with "
                                 "--on-corrupt=quarantine"),
            std::string::npos)
      << refused.error();
  auto alone = Load(0, 1, OnCorrupt::kQuarantine);
  ASSERT_TRUE(alone.ok()) << alone.error();
  EXPECT_EQ(alone->missing_files, 1u);
  ASSERT_EQ(alone->torrents.size(), 1u);
  EXPECT_EQ(alone->torrents[0].completed, 5u);
  EXPECT_NE(alone->Summary().find("started from the snapshot alone"), std::string::npos);
}

// The previous snapshot and journals are left when the current snapshot and journal are gone:
// replaying them would silently lose what the current journal held.
TEST_F(StateLoaderTest, OnlyThePrevFilesLeftIsRefused) {
  const InfoHash hash = HashOn(0, 1, 0);
  Snapshot(0, 1, 1, {Torrent(hash, 1)});
  ASSERT_TRUE(JournalWriter::Create(ops_, dir_.path(), {0, 1, 1, 0}).ok());
  Snapshot(0, 1, 2, {Torrent(hash, 2)});
  ASSERT_TRUE(JournalWriter::Create(ops_, dir_.path(), {0, 1, 2, 0}).ok());
  std::filesystem::remove(dir_.File("shard-0-of-1.snapshot"));
  std::filesystem::remove(dir_.File("shard-0-of-1.journal"));
  auto refused = Load(0, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("no journal of shard 0 of 1"), std::string::npos)
      << refused.error();
}

// What a first start leaves when it stops before its first snapshot is installed.
TEST_F(StateLoaderTest, AFirstJournalAloneLoadsAsNothing) {
  ASSERT_TRUE(StartFirstJournal(ops_, dir_.path(), 0, 1, 0).ok());
  auto loaded = Load(0, 1);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_TRUE(loaded->torrents.empty());
  EXPECT_EQ(loaded->missing_files, 0u);
}

// Another layout's files are history: a set of them without a journal (an import by an older
// build, a retire cut short) loads from its snapshot, for the shards of the layout in force and
// for the tools; the layout in force must have its journals.
TEST_F(StateLoaderTest, OnlyTheLayoutInForceMustHaveItsJournals) {
  const InfoHash hash = HashOn(0, 1, 0);
  Snapshot(0, 1, 1, {Torrent(hash, 4)});
  std::filesystem::remove(dir_.File("shard-0-of-1.journal"));  // as an older import left it
  Snapshot(0, 2, 2, {});
  Snapshot(1, 2, 2, {});
  auto loaded = Load(ShardFor(hash, 2), 2);
  EXPECT_TRUE(loaded.ok()) << loaded.error();
  auto all = LoadAllState(ops_, dir_.path());
  EXPECT_TRUE(all.ok()) << all.error();
  EXPECT_FALSE(Load(0, 1).ok()) << "to shard 0 of 1, its own set lacks its journal";
}

// A copy that left out shard 1 of 2: the shards of 3 that may own its torrents refuse to start
// without it (their first snapshot would outrank it for good), or, under quarantine, start
// without it and say so. The tools refuse such a directory too, once a newer layout runs there.
TEST_F(StateLoaderTest, AMissingShardOfAnotherLayoutIsRefusedOrStartedWithoutOnPurpose) {
  Snapshot(0, 2, 3, {Torrent(HashOn(0, 2, 0), 4)});
  auto refused = Load(2, 3);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("no file of shard 1 of 2 is in " + dir_.path() +
                                 " though shard 0 of 2's are: it may hold torrents shard 2 of 3 "
                                 "owns that no newer files speak for"),
            std::string::npos)
      << refused.error();
  EXPECT_NE(refused.error().find("put it back, or start the shard with --on-corrupt=quarantine"),
            std::string::npos)
      << refused.error();
  EXPECT_TRUE(Load(0, 3).ok()) << "shard 0 of 3 owns none of shard 1 of 2's torrents";
  EXPECT_TRUE(LoadAllState(ops_, dir_.path()).ok()) << "shard 1 of 2 may be yet to start";

  auto without = Load(2, 3, OnCorrupt::kQuarantine);
  ASSERT_TRUE(without.ok()) << without.error();
  EXPECT_EQ(without->missing_files, 1u);
  EXPECT_NE(without->Summary().find("(started without it: "), std::string::npos)
      << without->Summary();
  // What that start then wrote speaks for its torrents from now on.
  Snapshot(2, 3, 4, {});
  ASSERT_TRUE(JournalWriter::Create(ops_, dir_.path(), {2, 3, 4, 0}).ok());
  auto again = Load(2, 3);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->missing_files, 0u);
  auto all = LoadAllState(ops_, dir_.path());
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.error().find("no file of shard 1 of 2 is in " + dir_.path() +
                             " though shard 0 of 2's are: it may hold torrents that"),
            std::string::npos)
      << all.error();
}

// The first journal replayed must follow the snapshot loaded: one that follows a newer
// generation alone leaves out what changed in between. Refused, or (quarantine) said.
TEST_F(StateLoaderTest, AJournalThatFollowsANewerSnapshotThanTheOneLoadedIsAGap) {
  const InfoHash hash = HashOn(0, 1, 0);
  Snapshot(0, 1, 3, {Torrent(hash, 5)});
  Journal(4, {{JournalOp::kCompleted, hash, 7, {}}});
  std::filesystem::remove(dir_.File("shard-0-of-1.journal.prev"));  // it followed 3
  auto refused = Load(0, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("changed between generation 3 and 4 is in no file"),
            std::string::npos)
      << refused.error();
  auto loaded = Load(0, 1, OnCorrupt::kQuarantine);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->torrents[0].completed, 7u);
  EXPECT_EQ(loaded->missing_files, 1u);
}

// A crash between starting a journal and installing its snapshot, a start that took both
// journals in and wrote its own snapshot, and that snapshot damaged later: the previous snapshot
// is no longer followed by the previous journal, which a quarantined start says.
TEST_F(StateLoaderTest, QuarantineAfterACrashMidRotationSaysWhatNoFileHolds) {
  const InfoHash hash = HashOn(0, 1, 0);
  Snapshot(0, 1, 2, {Torrent(hash, 1)});
  ASSERT_TRUE(JournalWriter::Create(ops_, dir_.path(), {0, 1, 2, 0}).ok());
  ASSERT_TRUE(JournalWriter::Create(ops_, dir_.path(), {0, 1, 3, 0}).ok());  // the crash
  Snapshot(0, 1, 4, {Torrent(hash, 2)});                                     // the next start's
  ASSERT_TRUE(JournalWriter::Create(ops_, dir_.path(), {0, 1, 4, 0}).ok());
  CutSnapshotTrailer();
  auto loaded = Load(0, 1, OnCorrupt::kQuarantine);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_NE(loaded->Summary().find("changed between generation 2 and 3 is in no file"),
            std::string::npos)
      << loaded->Summary();
}

TEST_F(StateLoaderTest, QuarantineMovesTheCorruptSnapshotAsideAndUsesThePreviousOne) {
  const InfoHash hash = HashOn(0, 1, 0);
  Snapshot(0, 1, 1, {Torrent(hash, 1)});
  Snapshot(0, 1, 2, {Torrent(hash, 2)});
  const std::string bytes = CutSnapshotTrailer();
  const std::string path = dir_.File("shard-0-of-1.snapshot");
  auto loaded = Load(0, 1, OnCorrupt::kQuarantine);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_EQ(loaded->torrents.size(), 1u);
  EXPECT_EQ(loaded->torrents[0].completed, 1u);
  EXPECT_FALSE(ops_.Exists(path));
  EXPECT_EQ(testing::ReadAll(path + ".corrupt-1234"), bytes);
}

TEST_F(StateLoaderTest, QuarantiningTheCurrentSnapshotLosesNothingThePrevFilesHold) {
  const InfoHash hash = HashOn(0, 1, 0);
  Snapshot(0, 1, 1, {Torrent(hash, 1)});
  Journal(1, {{JournalOp::kCompleted, hash, 2, {}}});
  Snapshot(0, 1, 2, {Torrent(hash, 2)});
  Journal(2, {{JournalOp::kPeerUpsert, hash, 0, Peer(1, 10, 100)}});  // the first becomes .prev
  testing::WriteAll(dir_.File("shard-0-of-1.snapshot"), "garbage");
  auto loaded = Load(0, 1, OnCorrupt::kQuarantine);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_EQ(loaded->torrents.size(), 1u);
  EXPECT_EQ(loaded->torrents[0], Torrent(hash, 2, {Peer(1, 10, 100)}));
  EXPECT_NE(loaded->Summary().find("shard-0-of-1.journal.prev"), std::string::npos)
      << loaded->Summary();
}

TEST_F(StateLoaderTest, ACorruptSnapshotSetAsideLeavesNoneOfItsTorrentsBehind) {
  const InfoHash kept = HashOn(0, 1, 0);
  const InfoHash only_in_corrupt = HashOn(0, 1, 1);
  Snapshot(0, 1, 1, {Torrent(kept, 1, {Peer(1, 10, 100)})});
  Snapshot(0, 1, 2, {Torrent(kept, 2, {Peer(2, 20, 200)}), Torrent(only_in_corrupt, 5)});
  CutSnapshotTrailer();
  auto loaded = Load(0, 1, OnCorrupt::kQuarantine);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->torrents, (std::vector<TorrentRecord>{Torrent(kept, 1, {Peer(1, 10, 100)})}));
}

// Generation 4: a snapshot of `hash` with peer 1, and a journal of three turns: peer 2 joins;
// peer 1 leaves and a completion (synced); peer 3 joins after the sync's marker. Returns the
// offset of the second turn, whose damage is then in synced bytes: corruption.
std::uint64_t ThreeTurnJournal(FileOps& ops, const std::string& dir, const InfoHash& hash) {
  auto journal = JournalWriter::Create(ops, dir, {0, 1, 4, 0});
  EXPECT_TRUE(journal.ok());
  (*journal)->Append({JournalOp::kPeerUpsert, hash, 0, Peer(2, 20, 200)});
  EXPECT_TRUE((*journal)->Commit().ok());
  const std::uint64_t second_turn = (*journal)->bytes();
  (*journal)->Append({JournalOp::kPeerRemove, hash, 0, Peer(1, 10, 0)});
  (*journal)->Append({JournalOp::kCompleted, hash, 2, {}});
  EXPECT_TRUE((*journal)->Commit().ok());
  (*journal)->Append({JournalOp::kPeerUpsert, hash, 0, Peer(3, 30, 300)});
  EXPECT_TRUE((*journal)->Commit().ok());
  return second_turn;
}

TEST_F(StateLoaderTest, QuarantineReplaysTheTurnsBeforeTheDamageOfACorruptJournal) {
  const InfoHash hash = HashOn(0, 1, 0);
  Snapshot(0, 1, 4, {Torrent(hash, 1, {Peer(1, 10, 100)})});
  const std::uint64_t damaged = ThreeTurnJournal(ops_, dir_.path(), hash);
  const std::string path = dir_.File("shard-0-of-1.journal");
  std::string bytes = testing::ReadAll(path);
  bytes[damaged + kFrameHeaderSize + 3] ^= 0x01;
  testing::WriteAll(path, bytes);

  auto refused = Load(0, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("says were synced"), std::string::npos) << refused.error();

  auto loaded = Load(0, 1, OnCorrupt::kQuarantine);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  // The first turn, and none of the damaged one or what follows it.
  EXPECT_EQ(loaded->torrents,
            (std::vector<TorrentRecord>{Torrent(hash, 1, {Peer(1, 10, 100), Peer(2, 20, 200)})}));
  EXPECT_EQ(loaded->quarantined, 1u);
  // Moved aside only once a snapshot holds what it gave.
  EXPECT_EQ(testing::ReadAll(path), bytes);
  ASSERT_TRUE(SetAsideReplayed(ops_, dir_.path(), loaded->set_aside_later).ok());
  EXPECT_FALSE(ops_.Exists(path));
  EXPECT_TRUE(ops_.Exists(path + ".corrupt-1234"));
  EXPECT_NE(loaded->Summary().find("replayed shard-0-of-1.journal (follows generation 4): "
                                   "replayed 1 of 1 records"),
            std::string::npos)
      << loaded->Summary();
  EXPECT_NE(loaded->Summary().find("quarantined shard-0-of-1.journal"), std::string::npos)
      << loaded->Summary();
}

TEST_F(StateLoaderTest, ThePreviousJournalsTurnsBeforeItsDamageAreReplayedToo) {
  const InfoHash hash = HashOn(0, 1, 0);
  Snapshot(0, 1, 4, {Torrent(hash, 1, {Peer(1, 10, 100)})});
  const std::uint64_t damaged = ThreeTurnJournal(ops_, dir_.path(), hash);
  const std::string path = dir_.File("shard-0-of-1.journal.prev");
  // A crash came between starting the journal of snapshot 5 and installing that snapshot.
  auto journal = JournalWriter::Create(ops_, dir_.path(), {0, 1, 5, 0});
  std::string bytes = testing::ReadAll(path);
  bytes[damaged + kFrameHeaderSize + 3] ^= 0x01;
  testing::WriteAll(path, bytes);
  ASSERT_TRUE(journal.ok());
  (*journal)->Append({JournalOp::kPeerUpsert, hash, 0, Peer(4, 40, 400)});
  ASSERT_TRUE((*journal)->Commit().ok());

  auto loaded = Load(0, 1, OnCorrupt::kQuarantine);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  // Peer 2 from .journal.prev's intact turn, peer 4 from the journal.
  EXPECT_EQ(loaded->torrents,
            (std::vector<TorrentRecord>{
                Torrent(hash, 1, {Peer(1, 10, 100), Peer(2, 20, 200), Peer(4, 40, 400)})}));
  EXPECT_EQ(loaded->quarantined, 1u);
  EXPECT_EQ(loaded->set_aside_later.size(), 1u);
}

TEST_F(StateLoaderTest, AJournalWithoutAnIntactHeaderIsSetAsideWhole) {
  const InfoHash hash = HashOn(0, 1, 0);
  Snapshot(0, 1, 4, {Torrent(hash, 1, {Peer(1, 10, 100)})});
  ThreeTurnJournal(ops_, dir_.path(), hash);
  const std::string path = dir_.File("shard-0-of-1.journal");
  std::string bytes = testing::ReadAll(path);
  bytes[kPreambleSize + kFrameHeaderSize + 2] ^= 0x01;  // in the header record
  testing::WriteAll(path, bytes);
  auto loaded = Load(0, 1, OnCorrupt::kQuarantine);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->torrents, (std::vector<TorrentRecord>{Torrent(hash, 1, {Peer(1, 10, 100)})}));
  EXPECT_EQ(loaded->quarantined, 1u);
}

// Every shard of a new layout reads the old layout's files: one that set a damaged file aside
// would hide what the others own in it. So the file stays where it is, and each replays its own
// torrents' records from the turns before the damage.
TEST_F(StateLoaderTest, ADamagedJournalOfAnotherLayoutStaysForEveryShardOfTheNewOne) {
  std::vector<InfoHash> moving;  // shard 1 of 2's, staying on shard 1 of 3 and going to 2
  for (std::uint32_t to : {1u, 2u}) {
    for (int n = 0;; ++n) {
      const InfoHash hash = HashOn(1, 2, n);
      if (ShardFor(hash, 3) != to) continue;
      moving.push_back(hash);
      break;
    }
  }
  Snapshot(1, 2, 4, {});
  auto journal = JournalWriter::Create(ops_, dir_.path(), {1, 2, 4, 0});
  ASSERT_TRUE(journal.ok());
  for (const InfoHash& hash : moving) (*journal)->Append({JournalOp::kCompleted, hash, 7, {}});
  ASSERT_TRUE((*journal)->Commit().ok());
  const std::uint64_t damaged = (*journal)->bytes();
  for (const InfoHash& hash : moving) (*journal)->Append({JournalOp::kCompleted, hash, 8, {}});
  ASSERT_TRUE((*journal)->Commit().ok());
  (*journal)->Append({JournalOp::kCompleted, moving[0], 9, {}});
  ASSERT_TRUE((*journal)->Commit().ok());
  const std::string path = dir_.File("shard-1-of-2.journal");
  std::string bytes = testing::ReadAll(path);
  bytes[damaged + kFrameHeaderSize + 3] ^= 0x01;
  testing::WriteAll(path, bytes);

  for (std::uint32_t index : {1u, 2u}) {
    auto loaded = Load(index, 3, OnCorrupt::kQuarantine);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_EQ(loaded->torrents, (std::vector<TorrentRecord>{Torrent(moving[index - 1], 7)}));
    EXPECT_EQ(loaded->quarantined, 1u);
    EXPECT_NE(loaded->Summary().find("left shard-1-of-2.journal in place"), std::string::npos)
        << loaded->Summary();
    ASSERT_TRUE(SetAsideReplayed(ops_, dir_.path(), loaded->set_aside_later).ok());
    EXPECT_EQ(testing::ReadAll(path), bytes);
  }
}

// The same for a file with nothing intact to replay: a snapshot whose header is damaged.
// Skipped, but there: reported as damaged, not also as a shard of its layout gone missing.
TEST_F(StateLoaderTest, ADamagedSnapshotOfAnotherLayoutStaysInPlace) {
  Snapshot(0, 2, 1, {});
  Snapshot(1, 2, 1, {Torrent(HashOn(1, 2, 0), 1)});
  const std::string path = dir_.File("shard-1-of-2.snapshot");
  testing::WriteAll(path, "STSNAP garbage");
  auto loaded = Load(2, 3, OnCorrupt::kQuarantine);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->quarantined, 1u);
  EXPECT_EQ(loaded->missing_files, 0u) << loaded->Summary();
  EXPECT_EQ(testing::ReadAll(path), "STSNAP garbage");
}

TEST_F(StateLoaderTest, RefusesACorruptFileOfAnotherLayoutToo) {
  Snapshot(1, 2, 1, {Torrent(HashOn(1, 2, 0), 1)});
  testing::WriteAll(dir_.File("shard-1-of-2.snapshot"), "STSNAP garbage");
  auto loaded = Load(0, 3);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().find("shard-1-of-2.snapshot"), std::string::npos) << loaded.error();
}

}  // namespace
}  // namespace shardtrack
