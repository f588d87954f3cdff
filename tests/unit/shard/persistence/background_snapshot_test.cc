// The periodic snapshot written by a forked child while the shard keeps serving: what it leaves
// on disk must give back the live store after a kill -9, whether the child succeeded, failed, or
// the install was cut short after the journal rotation. The new journal's creation unlinks the
// oldest journal and the install the oldest snapshot, but freeing them (their last close) is left
// to a cleanup job for another thread; a child that cannot move to its CPUs still writes the
// snapshot.
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <thread>

#include "shard/persistence/faulty_file_ops.h"
#include "shard/persistence/shard_persistence.h"
#include "tests/unit/shard/persistence/persistent_shard_test_base.h"

namespace shardtrack {
namespace {

using testing::AnnounceRequest;

// Every torrent of a store, peers sorted, for comparing a reloaded store with the live one.
std::map<InfoHash, TorrentRecord> Contents(const SwarmStore& store) {
  std::map<InfoHash, TorrentRecord> out;
  store.ForEachTorrent([&](const TorrentRecord& torrent) {
    TorrentRecord sorted = torrent;
    std::sort(sorted.peers.begin(), sorted.peers.end(),
              [](const PeerRecord& a, const PeerRecord& b) { return a.ip.raw() < b.ip.raw(); });
    out[torrent.info_hash] = sorted;
  });
  return out;
}

bool Readable(int fd) {
  pollfd ready{fd, POLLIN, 0};
  return ::poll(&ready, 1, 30'000) == 1;
}

ino_t Inode(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? info.st_ino : 0;
}

// Names of the files in `dir` that this process still holds open after their last name was
// removed: their blocks are not freed yet. Seen through /proc, as the kernel reports them.
std::vector<std::string> OpenButUnlinked(const std::string& dir) {
  const std::string prefix = dir + "/";
  const std::string suffix = " (deleted)";
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const std::string target = std::filesystem::read_symlink(entry.path(), error).string();
    if (error || !target.starts_with(prefix) || !target.ends_with(suffix)) continue;
    names.push_back(target.substr(prefix.size(), target.size() - prefix.size() - suffix.size()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

class BackgroundSnapshotTest : public testing::PersistentShardTest {
 protected:
  // Serve, expecting the commit to succeed.
  void Serve(Shard& shard, std::vector<proto::Request> requests) {
    Status committed = PersistentShardTest::Serve(shard, std::move(requests));
    EXPECT_TRUE(committed.ok()) << committed.error();
  }
  // Starts a background snapshot, serves `meanwhile` while it runs, then finishes it.
  Status SnapshotWhileServing(Shard& shard, std::vector<proto::Request> meanwhile) {
    auto fd = shard.persistence->StartSnapshot(shard.store, kStart);
    EXPECT_TRUE(fd.ok()) << (fd.ok() ? "" : fd.error());
    if (!fd.ok()) return Error{fd.error()};
    Serve(shard, std::move(meanwhile));
    EXPECT_TRUE(Readable(*fd));
    return shard.persistence->FinishSnapshot();
  }
  // "kill -9": drops the shard without a final snapshot, then starts another from the files,
  // which must hold the store as it was. Returns the restarted shard (nullptr on a failure).
  // Opened, one completion served and a snapshot written on the loop: the files a rotation
  // test starts from (a `.prev` snapshot and a `.journal.prev` to retire). nullptr on failure.
  std::unique_ptr<Shard> OpenWithASnapshot(FileOps& ops) {
    auto shard = Open(ops);
    if (shard == nullptr) return nullptr;
    Serve(*shard, {AnnounceRequest('a', 1, proto::EVENT_COMPLETED, 0)});
    Status saved = shard->persistence->SaveSnapshot(shard->store, kStart);
    EXPECT_TRUE(saved.ok()) << (saved.ok() ? "" : saved.error());
    return saved.ok() ? std::move(shard) : nullptr;
  }
  std::unique_ptr<Shard> RestartKeepsTheStore(std::unique_ptr<Shard> shard) {
    const auto live = Contents(shard->store);
    shard.reset();
    auto restarted = Open(real_);
    EXPECT_NE(restarted, nullptr);
    if (restarted != nullptr) {
      EXPECT_EQ(Contents(restarted->store), live);
    }
    return restarted;
  }
};

TEST_F(BackgroundSnapshotTest, AKillAfterTheInstallLosesNoChangeFromBeforeOrAfterTheFork) {
  auto shard = Open(real_);
  Serve(*shard, {AnnounceRequest('a', 1, proto::EVENT_STARTED, 100),
                 AnnounceRequest('a', 2, proto::EVENT_COMPLETED, 0),
                 AnnounceRequest('b', 3, proto::EVENT_STARTED, 50)});
  const std::uint64_t generation = shard->persistence->generation();
  ASSERT_TRUE(SnapshotWhileServing(*shard, {AnnounceRequest('a', 1, proto::EVENT_COMPLETED, 0),
                                            AnnounceRequest('b', 3, proto::EVENT_STOPPED, 50),
                                            AnnounceRequest('c', 4, proto::EVENT_STARTED, 10)})
                  .ok());
  EXPECT_EQ(shard->persistence->generation(), generation + 1);
  EXPECT_EQ(shard->persistence->stats().snapshots, 2u);  // the first one at start
  EXPECT_GT(shard->persistence->stats().last_snapshot_bytes, 0u);
  EXPECT_FALSE(shard->persistence->snapshot_running());
  Serve(*shard, {AnnounceRequest('c', 5, proto::EVENT_COMPLETED, 0)});
  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.completed(), 3u);
  EXPECT_EQ(restarted->store.peers(), 4u);
  EXPECT_NE(restarted->persistence->recovery().summary.find("generation " +
                                                            std::to_string(generation + 1)),
            std::string::npos)
      << restarted->persistence->recovery().summary;
}

TEST_F(BackgroundSnapshotTest, AFailedChildKeepsTheOldFilesInForceAndTheNextSnapshotWorks) {
  auto shard = Open(real_);
  Serve(*shard, {AnnounceRequest('a', 1, proto::EVENT_COMPLETED, 0)});
  const std::uint64_t generation = shard->persistence->generation();
  // The child cannot create its temp file: a directory is in the way.
  const std::string temp = dir_.File("shard-0-of-1.snapshot.tmp");
  ASSERT_EQ(::mkdir(temp.c_str(), 0700), 0);
  ASSERT_TRUE(
      SnapshotWhileServing(*shard, {AnnounceRequest('a', 2, proto::EVENT_COMPLETED, 0)}).ok());
  EXPECT_EQ(shard->persistence->generation(), generation);
  EXPECT_EQ(shard->persistence->stats().snapshot_failures, 1u);
  ASSERT_EQ(::rmdir(temp.c_str()), 0);
  Serve(*shard, {AnnounceRequest('a', 3, proto::EVENT_STARTED, 5)});
  const auto after_failure = Contents(shard->store);
  {
    // What a kill -9 right now would find: the old snapshot and its journal, nothing lost.
    SwarmStore reloaded;
    auto loaded = LoadShardState(real_, {dir_.path(), 0, 1, OnCorrupt::kRefuse, kStart});
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    for (const TorrentRecord& torrent : loaded->torrents) reloaded.Restore(torrent);
    EXPECT_EQ(Contents(reloaded), after_failure);
  }

  ASSERT_TRUE(
      SnapshotWhileServing(*shard, {AnnounceRequest('a', 4, proto::EVENT_STARTED, 5)}).ok());
  EXPECT_EQ(shard->persistence->generation(), generation + 1);
  EXPECT_EQ(shard->persistence->stats().snapshot_failures, 1u);
  EXPECT_FALSE(real_.Exists(temp));
  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.completed(), 2u);
  EXPECT_EQ(restarted->store.peers(), 4u);
}

TEST_F(BackgroundSnapshotTest, AnInstallCutShortAfterTheJournalRotationLosesNothing) {
  FaultyFileOps faulty(real_);
  auto shard = Open(faulty);
  Serve(*shard, {AnnounceRequest('a', 1, proto::EVENT_STARTED, 100),
                 AnnounceRequest('a', 2, proto::EVENT_COMPLETED, 0)});
  // Renames at the finish: the new journal's (1st), then the snapshot's (2nd), which fails as if
  // the process died right before it. The shard must stop: its files are in order for a restart.
  faulty.FailNth(FaultyFileOps::Op::kRename, 2);
  EXPECT_FALSE(SnapshotWhileServing(*shard, {AnnounceRequest('a', 1, proto::EVENT_STOPPED, 100),
                                             AnnounceRequest('b', 3, proto::EVENT_COMPLETED, 0)})
                   .ok());
  EXPECT_TRUE(real_.Exists(dir_.File("shard-0-of-1.journal.prev")));
  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.completed(), 2u);
  EXPECT_EQ(restarted->store.peers(), 2u);
}

TEST_F(BackgroundSnapshotTest, AJournalThatCannotBeStartedKeepsTheOldFilesInForce) {
  FaultyFileOps faulty(real_);
  auto shard = Open(faulty);
  Serve(*shard, {AnnounceRequest('a', 1, proto::EVENT_COMPLETED, 0)});
  const std::uint64_t generation = shard->persistence->generation();
  // The first rename at the finish is the new journal's: without it the snapshot is not installed.
  faulty.FailNth(FaultyFileOps::Op::kRename, 1);
  ASSERT_TRUE(
      SnapshotWhileServing(*shard, {AnnounceRequest('b', 2, proto::EVENT_STARTED, 5)}).ok());
  EXPECT_EQ(shard->persistence->generation(), generation);
  EXPECT_EQ(shard->persistence->stats().snapshot_failures, 1u);
  EXPECT_FALSE(real_.Exists(dir_.File("shard-0-of-1.snapshot.tmp")));
  Serve(*shard, {AnnounceRequest('b', 3, proto::EVENT_COMPLETED, 0)});
  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.completed(), 2u);
}

TEST_F(BackgroundSnapshotTest, ASaveTimerWhileAChildRunsCannotStartASecond) {
  auto shard = Open(real_);
  auto fd = shard->persistence->StartSnapshot(shard->store, kStart);
  ASSERT_TRUE(fd.ok()) << fd.error();
  EXPECT_FALSE(shard->persistence->StartSnapshot(shard->store, kStart).ok());
  EXPECT_TRUE(shard->persistence->FinishSnapshot().ok());
  EXPECT_FALSE(shard->persistence->snapshot_running());
}

// What RestoreMissingFiles says: what was missing, or "error: " and why it cannot be put back.
std::string Missing(ShardPersistence& persistence) {
  auto missing = persistence.RestoreMissingFiles();
  return missing ? *missing : "error: " + missing.error();
}

// Someone removes the data directory (or some of its files) while the shard runs: the check puts
// the directory and the lock back and names what was missing; the snapshot that follows writes
// everything again from memory, so that a kill -9 after it loses nothing.
TEST_F(BackgroundSnapshotTest, FilesRemovedWhileRunningAreNamedAndWrittenAgainFromMemory) {
  auto shard = Open(real_);
  Serve(*shard, {AnnounceRequest('a', 1, proto::EVENT_COMPLETED, 0),
                 AnnounceRequest('b', 2, proto::EVENT_STARTED, 50)});
  EXPECT_EQ(Missing(*shard->persistence), "");
  std::filesystem::remove(dir_.File("shard-0-of-1.journal"));
  EXPECT_EQ(Missing(*shard->persistence), "shard-0-of-1.journal");

  std::filesystem::remove_all(dir_.path());
  EXPECT_EQ(Missing(*shard->persistence),
            "the data directory " + dir_.path() +
                ", shardtrack.lock, shard-0-of-1.snapshot, shard-0-of-1.journal");
  EXPECT_TRUE(real_.Exists(dir_.File("shardtrack.lock")));
  SwarmStore other;
  auto second = ShardPersistence::Open(real_, {dir_.path(), 0, 1, OnCorrupt::kRefuse, 2700, {}},
                                       kStart, other);
  ASSERT_FALSE(second.ok()) << "the lock was taken again";
  EXPECT_NE(second.error().find("already runs on it"), std::string::npos) << second.error();

  ASSERT_TRUE(
      SnapshotWhileServing(*shard, {AnnounceRequest('c', 3, proto::EVENT_COMPLETED, 0)}).ok());
  EXPECT_EQ(Missing(*shard->persistence), "");
  Serve(*shard, {AnnounceRequest('a', 4, proto::EVENT_COMPLETED, 0)});
  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.completed(), 3u);
}

// The directory goes while a child writes its temp file there: the server abandons that child
// and starts another in the directory made again (installing the first would fail and stop it).
TEST_F(BackgroundSnapshotTest, AChildWhoseDirectoryWentIsAbandonedForANewOne) {
  auto shard = Open(real_);
  Serve(*shard, {AnnounceRequest('a', 1, proto::EVENT_COMPLETED, 0)});
  ASSERT_TRUE(shard->persistence->StartSnapshot(shard->store, kStart).ok());
  const std::string gone = dir_.path() + ".gone";  // where the child goes on writing
  std::filesystem::rename(dir_.path(), gone);
  EXPECT_NE(Missing(*shard->persistence), "");
  shard->persistence->AbandonSnapshot();
  ASSERT_TRUE(
      SnapshotWhileServing(*shard, {AnnounceRequest('b', 2, proto::EVENT_COMPLETED, 0)}).ok());
  auto restarted = RestartKeepsTheStore(std::move(shard));
  std::filesystem::remove_all(gone);
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.completed(), 2u);
}

// Out of descriptors, the directory sync after the new journal's renames fails, rotation after
// rotation: that journal is in force all the same (the old one is `.journal.prev` now), so it is
// the one written to, and the next rotation retires no journal a restart still needs.
TEST_F(BackgroundSnapshotTest, AJournalWhoseDirectorySyncFailedIsInForceAndKeepsEveryChange) {
  FaultyFileOps faulty(real_);
  auto shard = OpenWithASnapshot(faulty);
  ASSERT_NE(shard, nullptr);
  for (char torrent : {'b', 'c'}) {
    faulty.FailNth(FaultyFileOps::Op::kSyncDir, 1);  // the new journal's, after its renames
    (void)SnapshotWhileServing(*shard, {AnnounceRequest(torrent, 2, proto::EVENT_COMPLETED, 0)});
    Serve(*shard, {AnnounceRequest(torrent, 3, proto::EVENT_COMPLETED, 0)});
  }
  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.completed(), 5u);
}

// Every directory sync of a rotation failing (the journal's, its retry, the install's), the
// next journal write syncs the directory first, once, and then no more.
TEST_F(BackgroundSnapshotTest, AFailedDirectorySyncIsRetriedBeforeTheNextJournalWrite) {
  FaultyFileOps faulty(real_);
  auto shard = OpenWithASnapshot(faulty);
  ASSERT_NE(shard, nullptr);
  faulty.FailNext(FaultyFileOps::Op::kSyncDir, 3);
  ASSERT_TRUE(SnapshotWhileServing(*shard, {AnnounceRequest('b', 2, proto::EVENT_COMPLETED, 0)})
                  .ok());  // in force: its renames are done
  const int syncs = faulty.calls(FaultyFileOps::Op::kSyncDir);
  Serve(*shard, {AnnounceRequest('c', 3, proto::EVENT_COMPLETED, 0)});
  EXPECT_EQ(faulty.calls(FaultyFileOps::Op::kSyncDir), syncs + 1);
  Serve(*shard, {AnnounceRequest('d', 4, proto::EVENT_COMPLETED, 0)});
  EXPECT_EQ(faulty.calls(FaultyFileOps::Op::kSyncDir), syncs + 1);
  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.completed(), 4u);
}

TEST_F(BackgroundSnapshotTest, ADirectoryMadeAgainIsSyncedIntoItsParent) {
  FaultyFileOps faulty(real_);
  auto shard = Open(faulty);
  std::filesystem::remove_all(dir_.path());
  faulty.FailNth(FaultyFileOps::Op::kSyncDir, 1);  // the parent's: a power loss would lose it
  const std::string missing = Missing(*shard->persistence);
  EXPECT_EQ(
      missing.rfind(
          "error: the data directory " + dir_.path() + " vanished and cannot be made again: ", 0),
      0u)
      << missing;
}

TEST_F(BackgroundSnapshotTest, FilesThatCannotBePutBackAreAnError) {
  auto shard = Open(real_);
  std::filesystem::remove(dir_.File("shardtrack.lock"));
  auto usurper = DataDirLock::Take(dir_.path(), 0, 1);  // a second shard, in the gap
  ASSERT_TRUE(usurper.ok()) << usurper.error();
  const std::string locked = Missing(*shard->persistence);
  EXPECT_EQ(locked.rfind("error: shardtrack.lock vanished and cannot be locked again: data "
                         "directory " +
                             dir_.path() + " is in use",
                         0),
            0u)
      << locked;
  usurper->reset();

  std::filesystem::remove_all(dir_.path());
  testing::WriteAll(dir_.path(), "a file where the directory was");
  const std::string blocked = Missing(*shard->persistence);
  EXPECT_EQ(blocked.rfind("error: ", 0), 0u) << blocked;
  EXPECT_NE(blocked.find("--data-dir must name a directory, not a file"), std::string::npos)
      << blocked;
  std::filesystem::remove(dir_.path());
}

TEST_F(BackgroundSnapshotTest, AnAbandonedChildLeavesTheFilesAsTheyWereAndNoTempFile) {
  auto shard = Open(real_);
  Serve(*shard, {AnnounceRequest('a', 1, proto::EVENT_COMPLETED, 0)});
  const std::uint64_t generation = shard->persistence->generation();
  ASSERT_TRUE(shard->persistence->StartSnapshot(shard->store, kStart).ok());
  shard->persistence->AbandonSnapshot();
  EXPECT_FALSE(shard->persistence->snapshot_running());
  EXPECT_FALSE(real_.Exists(dir_.File("shard-0-of-1.snapshot.tmp")));
  EXPECT_EQ(shard->persistence->generation(), generation);
  Serve(*shard, {AnnounceRequest('b', 2, proto::EVENT_COMPLETED, 0)});
  ASSERT_TRUE(shard->persistence->SaveSnapshot(shard->store, kStart).ok());  // the final one
  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.completed(), 2u);
}

TEST_F(BackgroundSnapshotTest, TheOldestSnapshotAndJournalAreUnlinkedAndClosedByTheCleanupJob) {
  FaultyFileOps faulty(real_);
  auto shard = Open(faulty);  // generation 1
  Serve(*shard, {AnnounceRequest('a', 1, proto::EVENT_COMPLETED, 0)});
  ASSERT_TRUE(shard->persistence->SaveSnapshot(shard->store, kStart).ok());  // 2; 1 is `.prev`
  const int released = faulty.releases();  // the first journal, by a snapshot on the loop
  const std::string previous = dir_.File("shard-0-of-1.snapshot.prev");
  const std::string journal = dir_.File("shard-0-of-1.journal");
  const std::string previous_journal = dir_.File("shard-0-of-1.journal.prev");
  const ino_t oldest = Inode(previous);
  const ino_t oldest_journal = Inode(previous_journal);  // follows generation 1
  const ino_t current_journal = Inode(journal);          // follows generation 2
  ASSERT_NE(oldest, 0u);
  ASSERT_NE(oldest_journal, 0u);
  EXPECT_FALSE(shard->persistence->TakeCleanup()) << "nothing retired by a snapshot on the loop";

  ASSERT_TRUE(
      SnapshotWhileServing(*shard, {AnnounceRequest('b', 2, proto::EVENT_STARTED, 5)}).ok());
  EXPECT_NE(Inode(previous), oldest) << "`.prev` is now generation 2";
  EXPECT_EQ(Inode(previous_journal), current_journal) << "`.journal.prev` follows generation 2";
  std::vector<ino_t> in_dir;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    in_dir.push_back(Inode(entry.path().string()));
  }
  EXPECT_EQ(std::count(in_dir.begin(), in_dir.end(), oldest), 0);
  EXPECT_EQ(std::count(in_dir.begin(), in_dir.end(), oldest_journal), 0);
  EXPECT_EQ(faulty.releases(), released) << "the finish itself must not close what it retired";
  EXPECT_EQ(OpenButUnlinked(dir_.path()),
            (std::vector<std::string>{"shard-0-of-1.journal.prev", "shard-0-of-1.snapshot.prev"}));

  auto cleanup = shard->persistence->TakeCleanup();
  ASSERT_TRUE(cleanup);
  EXPECT_FALSE(shard->persistence->TakeCleanup()) << "one job per finish";
  std::thread::id worker;
  std::thread thread([&] {
    worker = std::this_thread::get_id();
    EXPECT_TRUE(cleanup().ok());
  });
  thread.join();
  EXPECT_EQ(faulty.releases(), released + 2) << "both closed by the job, none before it";
  EXPECT_EQ(faulty.last_release_thread(), worker);
  EXPECT_EQ(OpenButUnlinked(dir_.path()), std::vector<std::string>{});
  cleanup = nullptr;
  EXPECT_EQ(faulty.releases(), released + 2);

  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.peers(), 2u);
}

TEST_F(BackgroundSnapshotTest, AKillBeforeTheCleanupJobRanLosesNothing) {
  FaultyFileOps faulty(real_);
  auto shard = OpenWithASnapshot(faulty);
  ASSERT_NE(shard, nullptr);
  ASSERT_TRUE(
      SnapshotWhileServing(*shard, {AnnounceRequest('b', 2, proto::EVENT_COMPLETED, 0)}).ok());
  Serve(*shard, {AnnounceRequest('b', 3, proto::EVENT_STARTED, 5)});
  ASSERT_EQ(OpenButUnlinked(dir_.path()).size(), 2u);
  // The job is never run: the process dies, and its descriptors are closed with it.
  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.completed(), 2u);
  EXPECT_EQ(restarted->store.peers(), 3u);
}

TEST_F(BackgroundSnapshotTest, AnOldestJournalThatCannotBeUnlinkedKeepsTheOldFilesInForce) {
  FaultyFileOps faulty(real_);
  auto shard = OpenWithASnapshot(faulty);
  ASSERT_NE(shard, nullptr);
  const std::uint64_t generation = shard->persistence->generation();
  const ino_t journal = Inode(dir_.File("shard-0-of-1.journal"));
  const ino_t previous_journal = Inode(dir_.File("shard-0-of-1.journal.prev"));
  ASSERT_NE(previous_journal, 0u);
  // The first removal at the finish is the unlink of `.journal.prev`, for the new journal: the
  // snapshot is dropped like after any failed rotation (logged, counted, not fatal).
  faulty.FailNth(FaultyFileOps::Op::kRemove, 1);
  ASSERT_TRUE(
      SnapshotWhileServing(*shard, {AnnounceRequest('b', 2, proto::EVENT_STARTED, 5)}).ok());
  EXPECT_EQ(shard->persistence->generation(), generation);
  EXPECT_EQ(shard->persistence->stats().snapshot_failures, 1u);
  EXPECT_EQ(Inode(dir_.File("shard-0-of-1.journal")), journal);
  EXPECT_EQ(Inode(dir_.File("shard-0-of-1.journal.prev")), previous_journal);
  EXPECT_FALSE(real_.Exists(dir_.File("shard-0-of-1.journal.tmp")));
  EXPECT_FALSE(real_.Exists(dir_.File("shard-0-of-1.snapshot.tmp")));
  EXPECT_FALSE(shard->persistence->TakeCleanup());
  Serve(*shard, {AnnounceRequest('b', 3, proto::EVENT_COMPLETED, 0)});
  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.completed(), 2u);
  EXPECT_EQ(restarted->store.peers(), 3u);
}

TEST_F(BackgroundSnapshotTest, ARotationFailingAfterTheUnlinkStillLeavesTheCloseToTheJob) {
  FaultyFileOps faulty(real_);
  auto shard = OpenWithASnapshot(faulty);
  ASSERT_NE(shard, nullptr);
  const std::uint64_t generation = shard->persistence->generation();
  const int released = faulty.releases();       // the first journal, by a snapshot on the loop
  faulty.FailNth(FaultyFileOps::Op::kLink, 1);  // the new journal's: `.journal.prev` is gone
  ASSERT_TRUE(
      SnapshotWhileServing(*shard, {AnnounceRequest('b', 2, proto::EVENT_STARTED, 5)}).ok());
  EXPECT_EQ(shard->persistence->generation(), generation);
  EXPECT_EQ(shard->persistence->stats().snapshot_failures, 1u);
  EXPECT_EQ(faulty.releases(), released);
  auto cleanup = shard->persistence->TakeCleanup();
  ASSERT_TRUE(cleanup);
  EXPECT_TRUE(cleanup().ok());
  EXPECT_EQ(faulty.releases(), released + 1);
  Serve(*shard, {AnnounceRequest('b', 3, proto::EVENT_COMPLETED, 0)});
  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.completed(), 2u);
  EXPECT_EQ(restarted->store.peers(), 3u);
}

TEST_F(BackgroundSnapshotTest, ACleanupJobNotTakenIsDoneByTheNextSnapshot) {
  FaultyFileOps faulty(real_);
  auto shard = Open(faulty);
  ASSERT_TRUE(shard->persistence->SaveSnapshot(shard->store, kStart).ok());
  const int released = faulty.releases();  // the first journal, by a snapshot on the loop
  ASSERT_TRUE(SnapshotWhileServing(*shard, {}).ok());
  EXPECT_EQ(faulty.releases(), released);
  // The snapshot and journal of generation 1 (retired by the background snapshot, its job not
  // taken), then those of generation 2 (replaced by this snapshot, on the loop like everything in
  // a snapshot written here).
  ASSERT_TRUE(shard->persistence->SaveSnapshot(shard->store, kStart).ok());
  EXPECT_EQ(faulty.releases(), released + 4);
  EXPECT_EQ(faulty.last_release_thread(), std::this_thread::get_id());
  EXPECT_FALSE(shard->persistence->TakeCleanup());
}

TEST_F(BackgroundSnapshotTest, AChildThatCannotMoveToItsCpusStillWritesTheSnapshot) {
  snapshot_cpus_ = {CPU_SETSIZE - 1};  // no test machine has it
  auto shard = Open(real_);
  Serve(*shard, {AnnounceRequest('a', 1, proto::EVENT_COMPLETED, 0)});
  const std::uint64_t generation = shard->persistence->generation();
  ASSERT_TRUE(
      SnapshotWhileServing(*shard, {AnnounceRequest('a', 2, proto::EVENT_STARTED, 5)}).ok());
  EXPECT_EQ(shard->persistence->generation(), generation + 1);
  EXPECT_EQ(shard->persistence->stats().snapshot_affinity_failures, 1u);
  EXPECT_EQ(shard->persistence->stats().snapshot_failures, 0u);
  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
}

TEST_F(BackgroundSnapshotTest, AChildOnACpuItCanUseCountsNoAffinityFailure) {
  cpu_set_t allowed;
  ASSERT_EQ(::sched_getaffinity(0, sizeof allowed, &allowed), 0);
  int cpu = 0;
  while (!CPU_ISSET(cpu, &allowed)) ++cpu;
  snapshot_cpus_ = {cpu};
  auto shard = Open(real_);
  ASSERT_TRUE(SnapshotWhileServing(*shard, {}).ok());
  EXPECT_EQ(shard->persistence->stats().snapshots, 2u);
  EXPECT_EQ(shard->persistence->stats().snapshot_affinity_failures, 0u);
}

}  // namespace
}  // namespace shardtrack
