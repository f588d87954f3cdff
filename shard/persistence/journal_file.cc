#include "shard/persistence/journal_file.h"

#include <algorithm>
#include <optional>

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
  (entry.op == JournalOp::kCompleted ? pending_completed_ : pending_) += EncodeJournalEntry(entry);
  ++pending_records_;
}

Status JournalWriter::Commit() {
  if (broken_) return Error{"journal " + file_->path() + " failed earlier; waiting for a snapshot"};
  if (pending_records_ == 0) return OkStatus();
  const bool sync = !pending_completed_.empty();
  pending_ += pending_completed_;
  Status status = file_->Append(pending_);
  if (status && sync) {
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
  pending_completed_.clear();
  pending_records_ = 0;
  return OkStatus();
}

namespace {

// An intact, decodable journal record at `pos`, or nullopt. Looks at no more than the largest
// journal record, so scanning a damaged file byte by byte stays linear.
std::optional<FrameCursor::Frame> RecordAt(std::string_view file, std::size_t pos,
                                           std::size_t& end) {
  if (file.size() - pos < kFrameHeaderSize) return std::nullopt;
  FrameCursor cursor(
      file.substr(0, pos + kFrameHeaderSize +
                         std::min(file.size() - pos - kFrameHeaderSize, kMaxJournalRecordBody)),
      pos);
  FrameCursor::Frame frame;
  if (cursor.Next(frame) != FrameCursor::Step::kFrame) return std::nullopt;
  if (!DecodeJournalEntry(frame.type, frame.fields)) return std::nullopt;
  end = cursor.offset();
  return frame;
}

// After damage at `from`: the offset of a record proving that a synced commit came after the
// damage (see the header), or nullopt.
std::optional<std::size_t> LaterCommitAfter(std::string_view file, std::size_t from) {
  bool completed_seen = false;
  std::size_t pos = from + 1;
  while (pos < file.size()) {
    std::size_t end = 0;
    auto frame = RecordAt(file, pos, end);
    if (!frame) {
      ++pos;
      continue;
    }
    if (frame->type == RecordType::kCompleted) {
      completed_seen = true;
    } else if (completed_seen) {
      return frame->offset;
    }
    pos = end;
  }
  return std::nullopt;
}

}  // namespace

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
    auto entry = step == FrameCursor::Step::kFrame ? DecodeJournalEntry(frame.type, frame.fields)
                                                   : std::nullopt;
    if (!entry) {
      const std::size_t damage = step == FrameCursor::Step::kFrame ? frame.offset : cursor.offset();
      if (auto later = LaterCommitAfter(file, damage)) {
        return Error{(step == FrameCursor::Step::kBad
                          ? cursor.error()
                          : "bad journal record at offset " + std::to_string(damage)) +
                     ", followed by records of later commits (from offset " +
                     std::to_string(*later) + ")"};
      }
      contents.torn_tail_bytes = file.size() - damage;
      return contents;
    }
    contents.entries.push_back(*entry);
  }
}

}  // namespace shardtrack
