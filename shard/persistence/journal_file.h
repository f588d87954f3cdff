// Journal files: the changes since the current snapshot that must not be lost, appended and
// group-committed. JournalWriter: loop thread only. ParseJournal: pure.
//
// Layout: preamble "STJRNL" v1, a kJournalHeader record (its generation is the snapshot the
// journal follows), then kCompleted / kPeerUpsert / kPeerRemove records. Counts are absolute, so
// replaying a record twice changes nothing.
//
// Durability: a commit holding a kCompleted record is written and fdatasynced before it returns
// (group commit: one fdatasync for a whole reactor turn); a commit of peer records only is
// written (it survives kill -9, from the page cache) and reaches the disk with the next
// fdatasync or the kernel's writeback. A commit writes its peer records first and its kCompleted
// records last, so a kCompleted followed by another kind of record marks the end of a synced
// commit.
//
// Reading: every intact record up to the first damage is replayed. The damage is corruption, and
// fails the parse, when intact records after it show that a later commit began after a synced one
// (a kCompleted, then another kind): that commit's fdatasync had made everything before it
// durable. Otherwise the damage lies where no acknowledged commit had been synced yet (a crash or
// a power loss during the last commits: a torn record, a hole of zeros) and the rest of the file
// is ignored and reported as a torn tail.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/record_codec.h"

namespace shardtrack {

inline constexpr std::string_view kJournalMagic = "STJRNL";
inline constexpr std::uint16_t kJournalVersion = 1;

class JournalWriter {
 public:
  // Replaces `shard-<index>-of-<count>.journal` in `dir` by one holding only `header` (written to
  // a temp file, fsynced, renamed, directory fsynced), and keeps it open for appending. The
  // replaced journal keeps a second name `.journal.prev` (what the previous snapshot lacks).
  static Result<std::unique_ptr<JournalWriter>> Create(FileOps& ops, const std::string& dir,
                                                       const FileHeader& header);

  void Append(const JournalEntry& entry);
  bool has_pending() const { return pending_records_ > 0; }
  // Writes every pending record, and fdatasyncs when one of them is a kCompleted. After a failure
  // the file may hold a torn record and the page cache cannot be trusted, so the writer stays
  // broken: every later Commit fails until the journal is replaced (by the next snapshot).
  Status Commit();
  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t records() const { return records_; }
  std::uint64_t syncs() const { return syncs_; }
  bool broken() const { return broken_; }

 private:
  JournalWriter(std::unique_ptr<WritableFile> file, std::uint64_t bytes)
      : file_(std::move(file)), bytes_(bytes) {}

  std::unique_ptr<WritableFile> file_;
  std::string pending_;            // peer records
  std::string pending_completed_;  // kCompleted records, written after the peer records
  std::uint64_t pending_records_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t syncs_ = 0;
  bool broken_ = false;
};

struct JournalContents {
  FileHeader header;
  std::vector<JournalEntry> entries;
  std::uint64_t torn_tail_bytes = 0;  // ignored damage at the end
};

// The error names what is wrong and its offset, never the file name.
Result<JournalContents> ParseJournal(std::string_view file);

}  // namespace shardtrack
