#include "shard/persistence/journal_file.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "shard/persistence/frame_reader.h"
#include "shard/persistence/record_framing.h"
#include "shard/persistence/replace_keeping_previous.h"
#include "shard/persistence/shard_file_name.h"
#include "shard/persistence/snapshot_file.h"

namespace shardtrack {

Result<std::unique_ptr<JournalWriter>> JournalWriter::Create(
    FileOps& ops, const std::string& dir, const FileHeader& header, const EncodedRecords& records,
    std::unique_ptr<UnlinkedFile>* replaced) {
  ShardFileName name{header.index, header.count, ShardFileKind::kJournal};
  std::string target = JoinPath(dir, name.ToString());
  std::string temp = JoinPath(dir, name.As(ShardFileKind::kJournalTemp).ToString());
  std::string previous = JoinPath(dir, name.As(ShardFileKind::kPreviousJournal).ToString());
  std::string bytes;
  AppendPreamble(bytes, kJournalMagic, kJournalVersion);
  AppendFrame(bytes, RecordType::kJournalHeader, EncodeFileHeader(header));
  bytes += records.bytes;
  std::unique_ptr<WritableFile> file;
  Status status = WriteWholeFile(ops, temp, bytes, &file);
  std::unique_ptr<UnlinkedFile> freed_here;  // the old `.journal.prev` when the caller takes none
  std::unique_ptr<UnlinkedFile>& old_previous = replaced != nullptr ? *replaced : freed_here;
  if (status) status = ReplaceKeepingPrevious(ops, temp, target, previous, old_previous);
  if (!status) {
    Status removed = ops.Remove(temp);
    (void)removed;  // the next start removes it
    return Error{"creating journal " + target + ": " + status.error()};
  }
  // Renamed: this journal is in force from here on (the replaced one is `.journal.prev`, which
  // the next rotation unlinks), whatever the directory sync says; the caller retries a failed one.
  file->Renamed(target);
  auto writer = std::make_unique<JournalWriter>(OnlyCreate{}, std::move(file), bytes.size());
  if (Status synced = ops.SyncDir(dir); !synced) {
    writer->directory_sync_ = Error{"creating journal " + target + ": " + synced.error()};
  }
  return writer;
}

Status StartFirstJournal(FileOps& ops, const std::string& dir, std::uint32_t index,
                         std::uint32_t count, UnixSeconds now) {
  for (auto kind :
       {ShardFileKind::kJournal, ShardFileKind::kSnapshot, ShardFileKind::kPreviousSnapshot}) {
    if (ops.Exists(JoinPath(dir, ShardFileName{index, count, kind}.ToString()))) return OkStatus();
  }
  auto journal = JournalWriter::Create(ops, dir, FileHeader{index, count, 0, now});
  return journal ? (*journal)->directory_sync() : Status(Error{journal.error()});
}

void JournalWriter::Append(const JournalEntry& entry) {
  const std::size_t start = pending_.size();
  AppendJournalEntry(pending_, entry);
  if (copying_) {
    copy_.bytes.append(pending_, start);
    ++copy_.count;
  }
  pending_completions_ |= entry.op == JournalOp::kCompleted;
  if (pending_.size() > max_turn_bytes_ && start > 0) {  // the records before it make a turn
    AppendFrame(sealed_, RecordType::kJournalTurn, std::string_view(pending_).substr(0, start));
    pending_.erase(0, start);
  }
}

Status JournalWriter::Write() {
  if (broken_) return Error{"journal " + file_->path() + " failed earlier; waiting for a snapshot"};
  if (pending_.empty() && markers_.empty()) return OkStatus();
  writing_.assign(markers_);
  writing_ += sealed_;
  if (!pending_.empty()) AppendFrame(writing_, RecordType::kJournalTurn, pending_);
  if (Status status = file_->Append(writing_); !status) {
    broken_ = true;
    return status;
  }
  bytes_ += writing_.size();
  if (pending_completions_) completions_written_through_ = bytes_;
  pending_.clear();
  sealed_.clear();
  markers_.clear();
  pending_completions_ = false;
  return OkStatus();
}

EncodedRecords JournalWriter::TakeCopy() {
  copying_ = false;
  return std::exchange(copy_, EncodedRecords{});
}

void JournalWriter::Synced(std::uint64_t through, const Status& status) {
  if (!status) {
    broken_ = true;
    return;
  }
  ++syncs_;
  if (through <= synced_through_) return;
  synced_through_ = through;
  markers_ += EncodeSyncedMarker(through);  // evidence for a reader; needs no sync of its own
}

Status JournalWriter::Commit() {
  if (Status written = Write(); !written) return written;
  if (!needs_sync()) return OkStatus();
  const SyncJob job = PrepareSync();
  Status synced = job.Run();
  Synced(job.through, synced);
  return synced;
}

namespace {

// The change records a frame holds (a turn's, or one record's) into `entries`; false when it
// holds none that decode.
bool EntriesOf(const FrameCursor::Frame& frame, std::vector<JournalEntry>& entries) {
  if (frame.type == RecordType::kJournalTurn) return DecodeJournalTurn(frame.fields, entries);
  entries.clear();
  auto entry = DecodeJournalEntry(frame.type, frame.fields);
  if (entry) entries.push_back(*entry);
  return entry.has_value();
}

// An intact, decodable journal record, turn or marker at `pos` of `rest` (the file from offset
// `base` on), or nullopt. Looks at no more than the largest journal record (a larger turn is not
// seen, but the markers this looks for are never inside one), so scanning a damaged file
// byte by byte stays linear. `end`: where the record ends in `rest`.
std::optional<FrameCursor::Frame> RecordAt(std::string_view rest, std::uint64_t base,
                                           std::size_t pos, std::size_t& end) {
  if (rest.size() - pos < kFrameHeaderSize) return std::nullopt;
  const std::size_t body = std::min(rest.size() - pos - kFrameHeaderSize, kMaxJournalRecordBody);
  FrameCursor cursor(rest.substr(0, pos + kFrameHeaderSize + body), pos, base);
  FrameCursor::Frame frame;
  if (cursor.Next(frame) != FrameCursor::Step::kFrame) return std::nullopt;
  std::vector<JournalEntry> scratch;
  const bool decodes = frame.type == RecordType::kJournalSynced
                           ? DecodeSyncedMarker(frame.fields).has_value()
                           : EntriesOf(frame, scratch);
  if (!decodes) return std::nullopt;
  end = cursor.offset() - base;
  return frame;
}

// `rest`: the file from damage at offset `damage` on. The offset of a marker after the damage
// saying the damaged bytes had been synced (see the header), or nullopt.
std::optional<std::uint64_t> SyncedMarkerAfter(std::string_view rest, std::uint64_t damage) {
  std::size_t pos = 1;
  while (pos < rest.size()) {
    std::size_t end = 0;
    auto frame = RecordAt(rest, damage, pos, end);
    if (!frame) {
      ++pos;
      continue;
    }
    if (frame->type == RecordType::kJournalSynced && *DecodeSyncedMarker(frame->fields) > damage) {
      return frame->offset;
    }
    pos = end;
  }
  return std::nullopt;
}

// Damage at `damage` (a bad frame, or an intact one that does not decode): corruption when a
// later marker says it had been synced, else a torn tail.
Status ClassifyDamage(FrameReader& reader, std::uint64_t damage, const std::string& what,
                      JournalContents& contents) {
  auto rest = reader.ReadRest(damage);
  if (!rest) return Error{rest.error()};
  if (auto marker = SyncedMarkerAfter(*rest, damage)) {
    return Error{what + ", in bytes a later marker (offset " + std::to_string(*marker) +
                 ") says were synced"};
  }
  contents.torn_tail_bytes = rest->size();
  return OkStatus();
}

}  // namespace

Result<JournalContents> ReadJournal(SequentialFile& file, const JournalSink& sink,
                                    std::uint64_t max_records,
                                    std::optional<JournalContents>* before_damage) {
  FrameReader reader(file);
  auto header = ReadFileHeader(reader, kJournalMagic, kJournalVersion, RecordType::kJournalHeader);
  if (!header) return Error{header.error()};
  JournalContents contents{*header, {}, 0, 0};
  auto fail = [&](const std::string& error) -> Result<JournalContents> {
    if (before_damage) *before_damage = contents;
    return Error{error};
  };
  FrameCursor::Frame frame;
  std::vector<JournalEntry> entries;  // a frame's, reused
  while (contents.records < max_records) {
    const FrameCursor::Step step = reader.Next(frame);
    if (step == FrameCursor::Step::kEnd) return contents;
    if (reader.read_failed()) return fail(reader.error());
    if (step == FrameCursor::Step::kFrame && frame.type == RecordType::kJournalSynced &&
        DecodeSyncedMarker(frame.fields)) {
      continue;
    }
    if (step != FrameCursor::Step::kFrame || !EntriesOf(frame, entries)) {
      const bool bad = step == FrameCursor::Step::kBad;
      const std::uint64_t damage = bad ? reader.offset() : frame.offset;
      const std::string what =
          bad ? reader.error() : "bad journal record at offset " + std::to_string(damage);
      if (Status classified = ClassifyDamage(reader, damage, what, contents); !classified) {
        return fail(classified.error());
      }
      return contents;
    }
    for (const JournalEntry& entry : entries) {
      if (contents.records == max_records) break;
      ++contents.records;
      if (sink) sink(entry);
    }
  }
  return contents;
}

Result<JournalContents> ParseJournal(std::string_view file) {
  StringFile bytes(file);
  std::vector<JournalEntry> entries;
  auto contents = ReadJournal(bytes, [&](const JournalEntry& entry) { entries.push_back(entry); });
  if (contents) contents->entries = std::move(entries);
  return contents;
}

}  // namespace shardtrack
