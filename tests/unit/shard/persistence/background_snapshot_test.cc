// The periodic snapshot written by a forked child while the shard keeps serving: what it leaves
// on disk must give back the live store after a kill -9, whether the child succeeded, failed, or
// the install was cut short after the journal rotation. The install unlinks the oldest snapshot
// but leaves freeing it (its last close) to a cleanup job for another thread; a child that cannot
// move to its CPUs still writes the snapshot.
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
  EXPECT_NE(restarted->persistence->recovery_summary().find("generation " +
                                                            std::to_string(generation + 1)),
            std::string::npos)
      << restarted->persistence->recovery_summary();
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

TEST_F(BackgroundSnapshotTest, TheOldestSnapshotIsUnlinkedAtTheInstallAndClosedByTheCleanupJob) {
  FaultyFileOps faulty(real_);
  auto shard = Open(faulty);  // generation 1
  Serve(*shard, {AnnounceRequest('a', 1, proto::EVENT_COMPLETED, 0)});
  ASSERT_TRUE(shard->persistence->SaveSnapshot(shard->store, kStart).ok());  // 2; 1 is `.prev`
  const std::string previous = dir_.File("shard-0-of-1.snapshot.prev");
  struct stat oldest;
  ASSERT_EQ(::stat(previous.c_str(), &oldest), 0);
  EXPECT_FALSE(shard->persistence->TakeCleanup()) << "nothing retired by a snapshot on the loop";

  ASSERT_TRUE(
      SnapshotWhileServing(*shard, {AnnounceRequest('b', 2, proto::EVENT_STARTED, 5)}).ok());
  struct stat now_previous;
  ASSERT_EQ(::stat(previous.c_str(), &now_previous), 0);
  EXPECT_NE(now_previous.st_ino, oldest.st_ino) << "`.prev` is now generation 2";
  EXPECT_EQ(faulty.releases(), 0) << "the install itself must not close the oldest snapshot";

  auto cleanup = shard->persistence->TakeCleanup();
  ASSERT_TRUE(cleanup);
  EXPECT_FALSE(shard->persistence->TakeCleanup()) << "one job per install";
  std::thread::id worker;
  std::thread thread([&] {
    worker = std::this_thread::get_id();
    EXPECT_TRUE(cleanup().ok());
  });
  thread.join();
  cleanup = nullptr;
  EXPECT_EQ(faulty.releases(), 1);
  EXPECT_EQ(faulty.last_release_thread(), worker);

  auto restarted = RestartKeepsTheStore(std::move(shard));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.peers(), 2u);
}

TEST_F(BackgroundSnapshotTest, ACleanupJobNotTakenIsDoneByTheNextSnapshot) {
  FaultyFileOps faulty(real_);
  auto shard = Open(faulty);
  ASSERT_TRUE(shard->persistence->SaveSnapshot(shard->store, kStart).ok());
  ASSERT_TRUE(SnapshotWhileServing(*shard, {}).ok());
  EXPECT_EQ(faulty.releases(), 0);
  // Generation 1 (retired by the background install, its job not taken), then generation 2
  // (retired by this install, on the loop like everything in a snapshot written here).
  ASSERT_TRUE(shard->persistence->SaveSnapshot(shard->store, kStart).ok());
  EXPECT_EQ(faulty.releases(), 2);
  EXPECT_EQ(faulty.last_release_thread(), std::this_thread::get_id());
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
