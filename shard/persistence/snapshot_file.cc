#include "shard/persistence/snapshot_file.h"

#include "shard/persistence/record_framing.h"
#include "shard/persistence/shard_file_name.h"

namespace shardtrack {
namespace {

constexpr std::size_t kFlushBytes = 1 << 20;

// Streams frames into a temp file, remembering the first failure.
class SnapshotBuilder {
 public:
  explicit SnapshotBuilder(WritableFile& file) : file_(file) {}
  void Add(RecordType type, std::string_view fields) {
    AppendFrame(buffer_, type, fields);
    if (buffer_.size() >= kFlushBytes) Flush();
  }
  void Flush() {
    if (status_.ok() && !buffer_.empty()) status_ = file_.Append(buffer_);
    bytes_ += buffer_.size();
    buffer_.clear();
  }
  void AddPreamble() { AppendPreamble(buffer_, kSnapshotMagic, kSnapshotVersion); }
  const Status& status() const { return status_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  WritableFile& file_;
  std::string buffer_;
  std::uint64_t bytes_ = 0;
  Status status_ = OkStatus();
};

Status WriteTemp(FileOps& ops, const std::string& temp, const FileHeader& header,
                 const ForEachTorrent& for_each, SnapshotStats& stats) {
  auto file = ops.OpenWritable(temp, FileOps::OpenMode::kTruncate);
  if (!file) return Error{file.error()};
  SnapshotBuilder builder(**file);
  builder.AddPreamble();
  builder.Add(RecordType::kSnapshotHeader, EncodeFileHeader(header));
  for_each([&](const TorrentRecord& torrent) {
    ++stats.torrents;
    stats.peers += torrent.peers.size();
    stats.completed_total += torrent.completed;
    builder.Add(RecordType::kTorrent, EncodeTorrent(torrent));
  });
  builder.Add(RecordType::kSnapshotTrailer, EncodeTrailer({stats.torrents, stats.peers}));
  builder.Flush();
  stats.bytes = builder.bytes();
  if (!builder.status()) return builder.status();
  return (*file)->Sync();
}

// Gives the current snapshot the name `.prev`, then renames the temp file over it.
Status Install(FileOps& ops, const std::string& temp, const std::string& target,
               const std::string& previous) {
  if (ops.Exists(target)) {
    if (Status removed = ops.Remove(previous); !removed) return removed;
    if (Status linked = ops.Link(target, previous); !linked) return linked;
  }
  return ops.Rename(temp, target);
}

}  // namespace

Result<SnapshotStats> WriteSnapshot(FileOps& ops, const std::string& dir, const FileHeader& header,
                                    const ForEachTorrent& for_each) {
  ShardFileName name{header.index, header.count, ShardFileKind::kSnapshot};
  std::string target = JoinPath(dir, name.ToString());
  std::string temp = JoinPath(dir, name.As(ShardFileKind::kSnapshotTemp).ToString());
  std::string previous = JoinPath(dir, name.As(ShardFileKind::kPreviousSnapshot).ToString());
  SnapshotStats stats;
  Status status = WriteTemp(ops, temp, header, for_each, stats);
  if (status) status = Install(ops, temp, target, previous);
  if (!status) {
    Status removed = ops.Remove(temp);
    (void)removed;  // a crashed or failing disk may refuse; the next start removes it
    return Error{"writing snapshot " + target + ": " + status.error()};
  }
  if (Status synced = ops.SyncDir(dir); !synced) {
    return Error{"writing snapshot " + target + ": " + synced.error()};
  }
  return stats;
}

Result<FileHeader> ParseFileHeader(std::string_view file_prefix, std::string_view magic,
                                   std::uint16_t version, RecordType type) {
  if (Status preamble = CheckPreamble(file_prefix, magic, version); !preamble) {
    return Error{preamble.error()};
  }
  FrameCursor cursor(file_prefix, kPreambleSize);
  FrameCursor::Frame frame;
  if (cursor.Next(frame) != FrameCursor::Step::kFrame) {
    return Error{cursor.offset() == file_prefix.size() ? "missing header record" : cursor.error()};
  }
  auto header = frame.type == type ? DecodeFileHeader(frame.fields) : std::nullopt;
  if (!header) return Error{"bad header record at offset " + std::to_string(kPreambleSize)};
  return *header;
}

Result<SnapshotContents> ParseSnapshot(std::string_view file, const KeepTorrent& keep) {
  auto header =
      ParseFileHeader(file, kSnapshotMagic, kSnapshotVersion, RecordType::kSnapshotHeader);
  if (!header) return Error{header.error()};
  SnapshotContents contents{*header, {}, {}};
  contents.stats.bytes = file.size();
  FrameCursor cursor(file, kPreambleSize);
  FrameCursor::Frame frame;
  (void)cursor.Next(frame);  // the header, checked above
  while (true) {
    FrameCursor::Step step = cursor.Next(frame);
    if (step == FrameCursor::Step::kEnd) {
      return Error{"truncated: no trailer record at offset " + std::to_string(file.size())};
    }
    if (step == FrameCursor::Step::kBad) return Error{cursor.error()};
    std::string where = " at offset " + std::to_string(frame.offset);
    if (frame.type == RecordType::kSnapshotTrailer) {
      auto trailer = DecodeTrailer(frame.fields);
      if (!trailer) return Error{"bad trailer record" + where};
      if (trailer->torrents != contents.stats.torrents || trailer->peers != contents.stats.peers) {
        return Error{"trailer counts disagree with the records" + where};
      }
      if (cursor.offset() != file.size()) {
        return Error{"bytes after the trailer at offset " + std::to_string(cursor.offset())};
      }
      return contents;
    }
    if (frame.type != RecordType::kTorrent) return Error{"unexpected record type" + where};
    auto torrent = DecodeTorrent(frame.fields);  // decoded even when skipped: counts must match
    if (!torrent) return Error{"bad torrent record" + where};
    ++contents.stats.torrents;
    contents.stats.peers += torrent->peers.size();
    if (keep(torrent->info_hash)) {
      contents.stats.completed_total += torrent->completed;
      contents.torrents.push_back(std::move(*torrent));
    }
  }
}

}  // namespace shardtrack
