#include "shard/persistence/journal_file.h"

#include "shard/persistence/record_framing.h"
#include "shard/persistence/shard_file_name.h"
#include "shard/persistence/snapshot_file.h"

namespace shardtrack {

Result<std::unique_ptr<JournalWriter>> JournalWriter::Create(FileOps& ops, const std::string& dir,
                                                             const FileHeader& header) {
  ShardFileName name{header.index, header.count, ShardFileKind::kJournal};
  std::string target = JoinPath(dir, name.ToString());
  std::string temp = JoinPath(dir, name.As(ShardFileKind::kJournalTemp).ToString());
  std::string previous = JoinPath(dir, name.As(ShardFileKind::kPreviousJournal).ToString());
  std::string bytes;
  AppendPreamble(bytes, kJournalMagic, kJournalVersion);
  AppendFrame(bytes, RecordType::kJournalHeader, EncodeFileHeader(header));
  auto file = ops.OpenWritable(temp, FileOps::OpenMode::kTruncate);
  Status status = file ? (*file)->Append(bytes) : Status(Error{file.error()});
  if (status) status = (*file)->Sync();
  if (status && ops.Exists(target)) {
    status = ops.Remove(previous);
    if (status) status = ops.Link(target, previous);
  }
  if (status) status = ops.Rename(temp, target);
  if (status) status = ops.SyncDir(dir);
  if (!status) {
    Status removed = ops.Remove(temp);
    (void)removed;  // the next start removes it
    return Error{"creating journal " + target + ": " + status.error()};
  }
  // The open file now carries the target's name; appends go to the new journal.
  return std::unique_ptr<JournalWriter>(new JournalWriter(std::move(*file), bytes.size()));
}

void JournalWriter::Append(const JournalEntry& entry) {
  pending_ += EncodeJournalEntry(entry);
  ++pending_records_;
  if (entry.op == JournalOp::kCompleted) pending_needs_sync_ = true;
}

Status JournalWriter::Commit() {
  if (broken_) return Error{"journal " + file_->path() + " failed earlier; waiting for a snapshot"};
  if (pending_.empty()) return OkStatus();
  Status status = file_->Append(pending_);
  if (status && pending_needs_sync_) {
    status = file_->Sync();
    ++syncs_;
  }
  if (!status) {
    broken_ = true;
    return status;
  }
  bytes_ += pending_.size();
  records_ += pending_records_;
  pending_.clear();
  pending_records_ = 0;
  pending_needs_sync_ = false;
  return OkStatus();
}

Result<JournalContents> ParseJournal(std::string_view file) {
  auto header = ParseFileHeader(file, kJournalMagic, kJournalVersion, RecordType::kJournalHeader);
  if (!header) return Error{header.error()};
  JournalContents contents{*header, {}, 0};
  FrameCursor cursor(file, kPreambleSize);
  FrameCursor::Frame frame;
  (void)cursor.Next(frame);  // the header, checked above
  while (true) {
    FrameCursor::Step step = cursor.Next(frame);
    if (step == FrameCursor::Step::kEnd) return contents;
    if (step == FrameCursor::Step::kBad) {
      if (!cursor.BadFrameIsTail()) return Error{cursor.error() + ", followed by intact records"};
      contents.torn_tail_bytes = file.size() - cursor.offset();
      return contents;
    }
    auto entry = DecodeJournalEntry(frame.type, frame.fields);
    if (!entry) return Error{"bad journal record at offset " + std::to_string(frame.offset)};
    contents.entries.push_back(*entry);
  }
}

}  // namespace shardtrack
