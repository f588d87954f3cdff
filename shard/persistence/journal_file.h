// Journal files: the changes since the current snapshot that must not be lost, appended and
// group-committed. JournalWriter: loop thread only. ParseJournal: pure; ReadJournal: pure apart
// from the file it reads.
//
// Layout: preamble "STJRNL" v1, a kJournalHeader record (its generation is the snapshot the
// journal follows), then kCompleted / kPeerUpsert / kPeerRemove / kForget records. Counts are
// absolute, so replaying a record twice changes nothing. Each Write() puts its records in one
// kJournalTurn frame: a turn torn by a crash or a full disk is ignored whole, so a replay never
// holds part of a turn whose replies were not sent (say a seeder without its completion, whose
// client's retry would then not be counted). A turn whose records would not fit one frame
// (kMaxFrameBody, which a reader takes for damage beyond) goes in as several turns, split
// between records. Records outside turns (the start of a journal that
// follows a background snapshot; journals of builds before 2026-12-04) are read one by one.
//
// Durability: Write() puts every pending record in the file (the page cache: it survives kill -9
// of the shard, not a power loss). Records that must survive a power loss (a kCompleted, whose
// reply waits for it) are made durable by an fdatasync, which may run on another thread while
// the loop goes on writing (SyncJob). Each successful sync is recorded in the file by a
// kJournalSynced marker naming the offset it covered, written (unsynced) with the next records.
//
// Copying: while a snapshot is written beside the loop (a forked child), the writer keeps a copy
// of every change record appended (not the markers, whose offsets belong to this file); they
// become the start of the journal that follows that snapshot.
//
// Reading: every intact record up to the first damage is replayed. The damage is corruption, and
// fails the parse, when an intact marker after it says the damaged bytes had been synced.
// Otherwise the damage lies where nothing was known durable (a crash or a power loss during the
// last writes: a torn record, a hole of zeros) and the rest of the file is ignored and reported
// as a torn tail.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/record_codec.h"

namespace shardtrack {

inline constexpr std::string_view kJournalMagic = "STJRNL";
inline constexpr std::uint16_t kJournalVersion = 1;

// Encoded change records (AppendJournalEntry) and how many.
struct EncodedRecords {
  std::string bytes;
  std::uint64_t count = 0;
};

class JournalWriter {
  struct OnlyCreate {  // a key only Create can make: the constructor is public for make_unique
    explicit OnlyCreate() = default;
  };

 public:
  // Replaces `shard-<index>-of-<count>.journal` in `dir` by one holding `header` and `records`
  // (written to a temp file, fsynced, renamed, directory fsynced), and keeps it open for
  // appending. The replaced journal keeps a second name `.journal.prev` (what the previous
  // snapshot lacks). The journal that had that name is replaced for good: it is unlinked but
  // kept open (FileOps::Unlink), and freed when `*replaced` is destroyed, so that the caller
  // picks the thread; without `replaced` it is freed right here. `*replaced` is set as soon as
  // the unlink happened, even when a later step fails (the name is gone either way). Once the
  // renames are done the new journal is returned even if the directory sync then fails (it is
  // in force): see directory_sync().
  static Result<std::unique_ptr<JournalWriter>> Create(
      FileOps& ops, const std::string& dir, const FileHeader& header,
      const EncodedRecords& records = {}, std::unique_ptr<UnlinkedFile>* replaced = nullptr);
  JournalWriter(OnlyCreate, std::unique_ptr<WritableFile> file, std::uint64_t bytes)
      : file_(std::move(file)), max_turn_bytes_(kMaxFrameBody), bytes_(bytes) {}

  // What a sync on another thread needs: fdatasync the file, covering every byte written so far.
  struct SyncJob {
    WritableFile* file = nullptr;  // owned by the writer, which must outlive the job
    std::uint64_t through = 0;     // file offset the sync covers
    Status Run() const { return file->Sync(); }
  };

  void Append(const JournalEntry& entry);
  // The most bytes of records one turn frame holds: kMaxFrameBody; tests lower it.
  void LimitTurnBytes(std::size_t bytes) { max_turn_bytes_ = bytes; }
  // Writes every pending record. After a failed write or sync the file may hold a torn record
  // and the page cache cannot be trusted, so the writer stays broken: every later Write and
  // Commit fails until the journal is replaced (by the next snapshot).
  Status Write();
  // A written kCompleted record is not known durable yet.
  bool needs_sync() const { return completions_written_through_ > synced_through_; }
  SyncJob PrepareSync() { return {file_.get(), bytes_}; }
  // The result of a PrepareSync()'s job, back on the writer's thread.
  void Synced(std::uint64_t through, const Status& status);
  // Write(), then fdatasync right here when needs_sync().
  Status Commit();
  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t syncs() const { return syncs_; }
  bool broken() const { return broken_; }
  // The directory sync after Create's renames. Failed (out of descriptors, a failing disk), the
  // renames are not durable until the directory is synced again: a power loss could bring back
  // the journal this one replaced. A kill -9 could not: the kernel has the renames.
  const Status& directory_sync() const { return directory_sync_; }

  // From now on, every appended change record is also kept in copy() (see the header).
  void StartCopying() { copying_ = true; }
  // Stops copying and hands over (and forgets) what was copied.
  EncodedRecords TakeCopy();
  bool copying() const { return copying_; }

 private:
  std::unique_ptr<WritableFile> file_;
  std::string pending_;  // encoded records not written yet: the next turn's
  std::string sealed_;   // turn frames of this Write's records that filled a frame already
  std::size_t max_turn_bytes_;
  std::string markers_;  // kJournalSynced frames not written yet, which go before the turn
  std::string writing_;  // the bytes of one Write (reused)
  bool pending_completions_ = false;               // pending_ holds a kCompleted
  std::uint64_t completions_written_through_ = 0;  // end of the last Write holding a kCompleted
  std::uint64_t synced_through_ = 0;               // end of what the last good sync covered
  std::uint64_t bytes_ = 0;
  std::uint64_t syncs_ = 0;
  bool broken_ = false;
  bool copying_ = false;
  EncodedRecords copy_;
  Status directory_sync_ = OkStatus();
};

// A set's first file: unless shard `index` of `count` has a journal or a snapshot in `dir`
// already, an empty journal that follows generation 0, so that no snapshot is ever on disk
// without a journal beside it and a missing journal can be told from a new set (see
// state_loader.cc). Beside a snapshot it writes none: that would hide a journal someone removed,
// or one quarantined by a start that failed before its snapshot.
Status StartFirstJournal(FileOps& ops, const std::string& dir, std::uint32_t index,
                         std::uint32_t count, UnixSeconds now);

struct JournalContents {
  FileHeader header;
  std::vector<JournalEntry> entries;  // ParseJournal only
  std::uint64_t records = 0;          // intact change records (replayed)
  std::uint64_t torn_tail_bytes = 0;  // ignored damage at the end
};

// Takes each change record of a journal read record by record.
using JournalSink = std::function<void(const JournalEntry&)>;

// Reads a journal a record at a time (FrameReader), so that the file is never held whole, with
// the same checks and errors as ParseJournal; `entries` stays empty. Hands the first
// `max_records` intact change records to `sink` (may be empty: a check only) and stops there,
// so a second read can replay what a first one found intact. A read error is reported as such.
// When corruption or a read error past an intact header fails the read, `*before_damage` (if
// given) gets that header and the count of intact change records before the damage.
Result<JournalContents> ReadJournal(SequentialFile& file, const JournalSink& sink,
                                    std::uint64_t max_records = UINT64_MAX,
                                    std::optional<JournalContents>* before_damage = nullptr);
// The error names what is wrong and its offset, never the file name.
Result<JournalContents> ParseJournal(std::string_view file);

}  // namespace shardtrack
