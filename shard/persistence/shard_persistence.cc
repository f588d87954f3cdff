#include "shard/persistence/shard_persistence.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <utility>

#include "shard/peer_announce.h"
#include "shard/persistence/data_dir_lock.h"
#include "shard/persistence/load_into_store.h"
#include "shard/persistence/shard_file_name.h"

namespace shardtrack {
namespace {

// Said when files that vanished cannot be put back.
constexpr const char* kLostSinceVanished =
    " (what it held since the files vanished is lost; make the data directory writable and its "
    "own)";

// Removes this shard's leftover temp files (a crash while writing them).
void RemoveTempFiles(FileOps& ops, const PersistenceOptions& options) {
  for (auto kind : {ShardFileKind::kSnapshotTemp, ShardFileKind::kJournalTemp}) {
    const std::string path =
        JoinPath(options.data_dir, ShardFileName{options.index, options.count, kind}.ToString());
    if (!ops.Exists(path)) continue;
    if (Status removed = ops.Remove(path); !removed) spdlog::warn("{}", removed.error());
  }
}

JournalEntry PeerEntry(const PeerAnnounce& announce, UnixSeconds now) {
  JournalEntry entry;
  entry.op =
      announce.event == proto::EVENT_STOPPED ? JournalOp::kPeerRemove : JournalOp::kPeerUpsert;
  entry.info_hash = announce.info_hash;
  entry.peer.peer_id = announce.peer_id;
  entry.peer.ip = announce.ip;
  entry.peer.port = announce.port;
  entry.peer.seeder = announce.seeder;
  entry.peer.completed = announce.event == proto::EVENT_COMPLETED;  // the mark (AsApplied)
  entry.replaces_completed = true;
  entry.peer.partial_seed = announce.partial_seed;
  entry.peer.last_seen = now;
  return entry;
}

}  // namespace

Result<std::unique_ptr<ShardPersistence>> ShardPersistence::Open(
    FileOps& ops, const PersistenceOptions& options, UnixSeconds now, SwarmStore& store,
    const std::function<Status(const StoreLoad&)>& before_first_snapshot) {
  if (Status created = ops.CreateDir(options.data_dir); !created) return Error{created.error()};
  auto lock = DataDirLock::Take(options.data_dir, options.index, options.count);
  if (!lock) return Error{lock.error()};
  RemoveTempFiles(ops, options);
  const LoadOptions load{options.data_dir, options.index, options.count, options.on_corrupt, now};
  auto loaded = LoadIntoStore(ops, load, options.peer_timeout, store);
  if (!loaded) return Error{loaded.error()};
  auto persistence = std::make_unique<ShardPersistence>(OnlyOpen{}, ops, options);
  persistence->lock_ = std::move(*lock);
  persistence->generation_ = loaded->max_generation;
  persistence->recovery_ = std::move(*loaded);
  if (before_first_snapshot) {
    if (Status settled = before_first_snapshot(persistence->recovery_); !settled) {
      return Error{settled.error()};
    }
  }
  if (Status started = StartFirstJournal(ops, options.data_dir, options.index, options.count, now);
      !started) {
    return Error{started.error()};
  }
  if (Status saved = persistence->SaveSnapshot(store, now); !saved) return Error{saved.error()};
  return persistence;
}

FileHeader ShardPersistence::Header(std::uint64_t generation, UnixSeconds now) const {
  return FileHeader{options_.index, options_.count, generation, now};
}

Status ShardPersistence::OpenJournal(UnixSeconds now) {
  auto journal = JournalWriter::Create(ops_, options_.data_dir, Header(generation_, now));
  if (!journal) return Error{journal.error()};
  journal_ = std::move(*journal);
  NoteDirectorySync(journal_->directory_sync());
  return OkStatus();
}

void ShardPersistence::NoteDirectorySync(const Status& synced) {
  if (!synced && !directory_unsynced_) {
    spdlog::error(
        "{}; the files are in force, and the directory sync is retried before each "
        "journal write (until then a power loss could undo their renames)",
        synced.error());
  } else if (synced && directory_unsynced_) {
    spdlog::info("data directory {} synced again", options_.data_dir);
  }
  directory_unsynced_ = !synced;
}

void ShardPersistence::SyncDirectoryIfDue() {
  if (directory_unsynced_) NoteDirectorySync(ops_.SyncDir(options_.data_dir));
}

void ShardPersistence::Record(const std::vector<PeerAnnounce>& applied,
                              const std::vector<CountedCompletion>& completions, UnixSeconds now) {
  for (const PeerAnnounce& announce : applied) queued_.push_back(PeerEntry(announce, now));
  last_now_ = now;
  for (const CountedCompletion& completion : completions) {
    JournalEntry entry;
    entry.info_hash = completion.info_hash;
    entry.completed = completion.completed;
    queued_.push_back(entry);
  }
}

void ShardPersistence::RecordForgotten(const std::vector<InfoHash>& forgotten) {
  for (const InfoHash& info_hash : forgotten) {
    JournalEntry entry;
    entry.op = JournalOp::kForget;
    entry.info_hash = info_hash;
    queued_.push_back(entry);
  }
}

namespace {
double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

Status ShardPersistence::Write() {
  if (queued_.empty()) return OkStatus();
  const auto start = std::chrono::steady_clock::now();
  Status written = WriteQueued();
  stats_.last_commit_seconds = SecondsSince(start);
  stats_.last_commit_at = last_now_;
  ++(written ? stats_.commits : stats_.commit_failures);
  return written;
}

Status ShardPersistence::WriteQueued() {
  SyncDirectoryIfDue();
  if (!journal_) {
    // The last rotation failed: the file on disk follows an older snapshot. Start a new one.
    if (Status opened = OpenJournal(last_now_); !opened) return opened;
  }
  for (const JournalEntry& entry : queued_) journal_->Append(entry);
  queued_.clear();
  return journal_->Write();
}

std::function<Status()> ShardPersistence::PrepareSync() {
  sync_started_ = std::chrono::steady_clock::now();
  sync_ = journal_->PrepareSync();
  return [job = sync_] { return job.Run(); };
}

void ShardPersistence::Synced(const Status& status) {
  stats_.last_sync_seconds = SecondsSince(sync_started_);
  ++(status ? stats_.syncs : stats_.commit_failures);
  journal_->Synced(sync_.through, status);
}

Status ShardPersistence::Commit() {
  if (Status written = Write(); !written) return written;
  if (!NeedsSync()) return OkStatus();
  Status synced = PrepareSync()();
  Synced(synced);
  return synced;
}

Status ShardPersistence::SaveSnapshot(const SwarmStore& store, UnixSeconds now) {
  if (child_) {
    if (Status finished = FinishSnapshot(); !finished) return finished;
  }
  retired_.clear();  // this one pauses the loop anyway (start, shutdown)
  const auto start = std::chrono::steady_clock::now();
  Status saved = WriteSnapshotAndRotate(store, now);
  stats_.last_snapshot_seconds = SecondsSince(start);
  if (saved) {
    ++stats_.snapshots;
    stats_.last_snapshot_at = now;
  } else {
    ++stats_.snapshot_failures;
  }
  return saved;
}

Status ShardPersistence::WriteSnapshotAndRotate(const SwarmStore& store, UnixSeconds now) {
  if (!queued_.empty()) {
    if (Status committed = Commit(); !committed) return committed;
  }
  const std::uint64_t generation = generation_ + 1;
  auto saved = WriteSnapshot(ops_, options_.data_dir, Header(generation, now),
                             [&](const TorrentVisitor& visit) { store.ForEachTorrent(visit); });
  if (!saved) return Error{saved.error()};
  generation_ = generation;
  stats_.last_snapshot_bytes = saved->bytes;
  journal_.reset();  // follows the previous snapshot: never append to it again
  // The damaged journals quarantined at start, now that a snapshot holds their intact records.
  if (Status moved = SetAsideReplayed(ops_, options_.data_dir, recovery_.set_aside_later); !moved) {
    return moved;
  }
  recovery_.set_aside_later.clear();
  if (Status opened = OpenJournal(now); !opened) return opened;
  spdlog::debug("snapshot generation {}: {} torrents, {} peers, {} bytes", generation,
                saved->torrents, saved->peers, saved->bytes);
  return OkStatus();
}

Result<int> ShardPersistence::StartSnapshot(const SwarmStore& store, UnixSeconds now) {
  if (child_) return Error{"a snapshot is being written already"};
  if (Status written = Write(); !written) return Error{written.error()};
  if (!journal_) {
    if (Status opened = OpenJournal(now); !opened) return Error{opened.error()};
  }
  const FileHeader header = Header(generation_ + 1, now);
  const auto started = std::chrono::steady_clock::now();
  // Runs in the child, on its image of the store as it is at the fork.
  auto child = SnapshotChild::Start(
      [&]() -> Result<std::string> {
        auto saved =
            WriteSnapshotTemp(ops_, options_.data_dir, header,
                              [&](const TorrentVisitor& visit) { store.ForEachTorrent(visit); });
        if (!saved) return Error{saved.error()};
        return std::string(reinterpret_cast<const char*>(&*saved), sizeof(SnapshotStats));
      },
      options_.snapshot_cpus);
  if (!child) {
    ++stats_.snapshot_failures;
    return Error{"cannot start the snapshot child: " + child.error()};
  }
  stats_.last_fork_seconds = SecondsSince(started);
  journal_->StartCopying();
  child_ = std::move(*child);
  child_header_ = header;
  child_started_ = started;
  return child_->done_fd();
}

Status ShardPersistence::FinishSnapshot() {
  if (!child_) return OkStatus();
  auto result = child_->Wait();
  if (!child_->affinity_error().empty()) {
    ++stats_.snapshot_affinity_failures;
    spdlog::warn(
        "snapshot generation {}: the child could not move to --snapshot-cpus ({}); it "
        "ran on the shard's CPUs",
        child_header_.generation, child_->affinity_error());
  }
  child_.reset();
  auto saved = result
                   ? DecodeChildCounts(*result)
                   : Result<SnapshotStats>(Error{"the snapshot child failed: " + result.error()});
  Status rotated = saved ? StartJournalOfChild() : Status(Error{saved.error()});
  if (journal_ && journal_->copying()) (void)journal_->TakeCopy();
  stats_.last_snapshot_seconds = SecondsSince(child_started_);
  if (!rotated) {
    RemoveSnapshotTemp(ops_, options_.data_dir, options_.index, options_.count);
    ++stats_.snapshot_failures;
    spdlog::error(
        "snapshot generation {}: {} (the previous snapshot and the journal stay in force)",
        child_header_.generation, rotated.error());
    return OkStatus();
  }
  // The new journal's renames durable first, if its own sync failed: a power loss must not keep
  // the snapshot's rename without them. Still failing, the install's sync covers both; a
  // filesystem that journals its metadata (ext4, xfs) keeps renames in order meanwhile.
  SyncDirectoryIfDue();
  auto installed = InstallSnapshot(ops_, options_.data_dir, options_.index, options_.count);
  if (!installed) {
    // The files are in order for a restart (as after a crash right here), but the next journal
    // rotation would drop `.journal.prev`, which the snapshot in force still needs: fatal.
    RemoveSnapshotTemp(ops_, options_.data_dir, options_.index, options_.count);
    ++stats_.snapshot_failures;
    return Error{installed.error() + " after the journal of generation " +
                 std::to_string(child_header_.generation) + " was started"};
  }
  NoteDirectorySync(ops_.SyncDir(options_.data_dir));  // covers the journal's renames too
  Retire(std::move(*installed));  // closed by TakeCleanup()'s job, off the loop
  generation_ = child_header_.generation;
  ++stats_.snapshots;
  stats_.last_snapshot_at = child_header_.written_at;
  stats_.last_snapshot_bytes = saved->bytes;
  spdlog::debug(
      "snapshot generation {} (background): {} torrents, {} peers, {} bytes; its journal "
      "started with {} bytes",
      generation_, saved->torrents, saved->peers, saved->bytes, journal_->bytes());
  return OkStatus();
}

std::function<Status()> ShardPersistence::TakeCleanup() {
  if (retired_.empty()) return {};
  auto files =
      std::make_shared<std::vector<std::unique_ptr<UnlinkedFile>>>(std::exchange(retired_, {}));
  return [files] {
    files->clear();  // the last closes: the file system frees the blocks now
    return OkStatus();
  };
}

void ShardPersistence::AbandonSnapshot() {
  if (!child_) return;
  child_.reset();  // killed and reaped
  if (journal_ && journal_->copying()) (void)journal_->TakeCopy();
  RemoveSnapshotTemp(ops_, options_.data_dir, options_.index, options_.count);
  spdlog::info("snapshot generation {}: abandoned for another", child_header_.generation);
}

Result<std::string> ShardPersistence::RestoreMissingFiles() {
  std::string missing;
  const auto note = [&missing](const std::string& what) {
    missing += (missing.empty() ? "" : ", ") + what;
  };
  const std::string& dir = options_.data_dir;
  if (Status same = lock_->OnItsFilesystem(dir); !same) {
    volume_lost_ = true;
    return Error{same.error()};
  }
  if (!ops_.Exists(dir)) {
    note("the data directory " + dir);
    Status created = ops_.CreateDir(dir);
    // Its name in the parent must outlast a power loss too, as the files inside it will.
    if (created) created = ops_.SyncDir(ParentOf(dir));
    if (!created) {
      return Error{missing + " vanished and cannot be made again: " + created.error() +
                   kLostSinceVanished};
    }
  }
  if (!lock_->InPlace(dir)) {
    note(DataDirLock::kFileName);
    auto lock = DataDirLock::Take(dir, options_.index, options_.count);
    if (!lock) {
      return Error{missing + " vanished and cannot be locked again: " + lock.error() +
                   kLostSinceVanished};
    }
    lock_ = std::move(*lock);
  }
  for (auto kind : {ShardFileKind::kSnapshot, ShardFileKind::kJournal}) {
    const std::string name = ShardFileName{options_.index, options_.count, kind}.ToString();
    if (!ops_.Exists(JoinPath(dir, name))) note(name);
  }
  return missing;
}

void ShardPersistence::Retire(std::unique_ptr<UnlinkedFile> file) {
  if (file) retired_.push_back(std::move(file));
}

Result<SnapshotStats> ShardPersistence::DecodeChildCounts(const std::string& child_result) {
  SnapshotStats saved;
  if (child_result.size() != sizeof saved) return Error{"the snapshot child sent no counts"};
  std::memcpy(&saved, child_result.data(), sizeof saved);
  return saved;
}

// Every change since the fork, synced in the new journal before the snapshot is installed. On a
// failure the journal of the old generation stays the one written to. The oldest journal it
// replaces is retired (also after a failure that came after its unlink).
Status ShardPersistence::StartJournalOfChild() {
  std::unique_ptr<UnlinkedFile> replaced;
  auto journal = JournalWriter::Create(ops_, options_.data_dir, child_header_, journal_->TakeCopy(),
                                       &replaced);
  Retire(std::move(replaced));
  if (!journal) return Error{journal.error()};
  journal_ = std::move(*journal);  // in force even when its directory sync failed
  NoteDirectorySync(journal_->directory_sync());
  return OkStatus();
}

}  // namespace shardtrack
