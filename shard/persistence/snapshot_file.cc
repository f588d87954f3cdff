#include "shard/persistence/snapshot_file.h"

#include <algorithm>
#include <span>

#include "shard/persistence/frame_reader.h"
#include "shard/persistence/record_framing.h"
#include "shard/persistence/replace_keeping_previous.h"
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
    const std::span<const PeerRecord> peers = torrent.peers;
    std::size_t written = 0;
    do {  // a torrent without peers still takes one record
      const std::size_t part = std::min(kPeersPerTorrentRecord, peers.size() - written);
      builder.Add(RecordType::kTorrent, EncodeTorrent(torrent, peers.subspan(written, part)));
      written += part;
    } while (written < peers.size());
  });
  builder.Add(RecordType::kSnapshotTrailer, EncodeTrailer({stats.torrents, stats.peers}));
  builder.Flush();
  stats.bytes = builder.bytes();
  if (!builder.status()) return builder.status();
  return (*file)->Sync();
}

struct SnapshotPaths {
  std::string target, temp, previous;
};

SnapshotPaths PathsOf(const std::string& dir, std::uint32_t index, std::uint32_t count) {
  ShardFileName name{index, count, ShardFileKind::kSnapshot};
  return {JoinPath(dir, name.ToString()),
          JoinPath(dir, name.As(ShardFileKind::kSnapshotTemp).ToString()),
          JoinPath(dir, name.As(ShardFileKind::kPreviousSnapshot).ToString())};
}

}  // namespace

Result<SnapshotStats> WriteSnapshotTemp(FileOps& ops, const std::string& dir,
                                        const FileHeader& header, const ForEachTorrent& for_each) {
  const SnapshotPaths paths = PathsOf(dir, header.index, header.count);
  SnapshotStats stats;
  if (Status status = WriteTemp(ops, paths.temp, header, for_each, stats); !status) {
    RemoveSnapshotTemp(ops, dir, header.index, header.count);
    return Error{"writing snapshot " + paths.temp + ": " + status.error()};
  }
  return stats;
}

Result<std::unique_ptr<UnlinkedFile>> InstallSnapshot(FileOps& ops, const std::string& dir,
                                                      std::uint32_t index, std::uint32_t count) {
  const SnapshotPaths paths = PathsOf(dir, index, count);
  std::unique_ptr<UnlinkedFile> replaced;
  Status installed =
      ReplaceKeepingPrevious(ops, paths.temp, paths.target, paths.previous, replaced);
  if (!installed) {
    RemoveSnapshotTemp(ops, dir, index, count);
    return Error{"installing snapshot " + paths.target + ": " + installed.error()};
  }
  return replaced;
}

void RemoveSnapshotTemp(FileOps& ops, const std::string& dir, std::uint32_t index,
                        std::uint32_t count) {
  Status removed = ops.Remove(PathsOf(dir, index, count).temp);
  (void)removed;  // a crashed or failing disk may refuse; the next start removes it
}

Result<SnapshotStats> WriteSnapshot(FileOps& ops, const std::string& dir, const FileHeader& header,
                                    const ForEachTorrent& for_each) {
  auto stats = WriteSnapshotTemp(ops, dir, header, for_each);
  if (!stats) return stats;
  auto installed = InstallSnapshot(ops, dir, header.index, header.count);
  if (!installed) return Error{installed.error()};
  // Failed, the sync leaves the renamed snapshot in force: whole, but maybe not after a power loss.
  if (Status synced = ops.SyncDir(dir); !synced) {
    return Error{"installing snapshot " + PathsOf(dir, header.index, header.count).target + ": " +
                 synced.error()};
  }
  return stats;
}

Result<FileHeader> ReadFileHeader(FrameReader& reader, std::string_view magic,
                                  std::uint16_t version, RecordType type) {
  if (Status preamble = reader.ReadPreamble(magic, version); !preamble) {
    return Error{preamble.error()};
  }
  FrameCursor::Frame frame;
  const FrameCursor::Step step = reader.Next(frame);
  if (step == FrameCursor::Step::kEnd) return Error{"missing header record"};
  if (step == FrameCursor::Step::kBad) return Error{reader.error()};
  auto header = frame.type == type ? DecodeFileHeader(frame.fields) : std::nullopt;
  if (!header) return Error{"bad header record at offset " + std::to_string(kPreambleSize)};
  return *header;
}

Result<FileHeader> ParseFileHeader(std::string_view file_prefix, std::string_view magic,
                                   std::uint16_t version, RecordType type) {
  StringFile bytes(file_prefix);
  FrameReader reader(bytes);
  return ReadFileHeader(reader, magic, version, type);
}

namespace {

// The trailer at `frame` must match the counts, and end the file.
Status CheckTrailer(FrameReader& reader, const FrameCursor::Frame& frame,
                    const SnapshotStats& stats) {
  const std::string where = " at offset " + std::to_string(frame.offset);
  auto trailer = DecodeTrailer(frame.fields);
  if (!trailer) return Error{"bad trailer record" + where};
  if (trailer->torrents != stats.torrents || trailer->peers != stats.peers) {
    return Error{"trailer counts disagree with the records" + where};
  }
  const std::uint64_t end = reader.offset();
  FrameCursor::Frame after;
  const FrameCursor::Step step = reader.Next(after);
  if (reader.read_failed()) return Error{reader.error()};
  if (step != FrameCursor::Step::kEnd) {
    return Error{"bytes after the trailer at offset " + std::to_string(end)};
  }
  return OkStatus();
}

}  // namespace

Result<SnapshotContents> ReadSnapshot(SequentialFile& file, const KeepTorrent& keep,
                                      const TorrentSink& sink) {
  FrameReader reader(file);
  auto header =
      ReadFileHeader(reader, kSnapshotMagic, kSnapshotVersion, RecordType::kSnapshotHeader);
  if (!header) return Error{header.error()};
  SnapshotContents contents{*header, {}, {}};
  InfoHash previous;
  FrameCursor::Frame frame;
  while (true) {
    const FrameCursor::Step step = reader.Next(frame);
    if (step == FrameCursor::Step::kEnd) {
      return Error{"truncated: no trailer record at offset " + std::to_string(reader.offset())};
    }
    if (step == FrameCursor::Step::kBad) return Error{reader.error()};
    if (frame.type == RecordType::kSnapshotTrailer) {
      if (Status trailer = CheckTrailer(reader, frame, contents.stats); !trailer) {
        return Error{trailer.error()};
      }
      contents.stats.bytes = reader.offset();
      return contents;
    }
    const auto at = [&frame] { return " at offset " + std::to_string(frame.offset); };
    if (frame.type != RecordType::kTorrent) return Error{"unexpected record type" + at()};
    auto torrent = DecodeTorrent(frame.fields);  // decoded even when skipped: counts must match
    if (!torrent) return Error{"bad torrent record" + at()};
    // A record with the info hash of the one before continues that torrent's peers.
    if (contents.stats.torrents == 0 || torrent->info_hash != previous) ++contents.stats.torrents;
    previous = torrent->info_hash;
    contents.stats.peers += torrent->peers.size();
    if (keep(torrent->info_hash)) {
      contents.stats.completed_total += torrent->completed;
      sink(std::move(*torrent));
    }
  }
}

Result<SnapshotContents> ParseSnapshot(std::string_view file, const KeepTorrent& keep) {
  StringFile bytes(file);
  std::vector<TorrentRecord> torrents;
  auto contents = ReadSnapshot(bytes, keep, [&](TorrentRecord&& torrent) {
    if (!torrents.empty() && torrents.back().info_hash == torrent.info_hash) {
      auto& peers = torrents.back().peers;
      peers.insert(peers.end(), torrent.peers.begin(), torrent.peers.end());
    } else {
      torrents.push_back(std::move(torrent));
    }
  });
  if (contents) contents->torrents = std::move(torrents);
  return contents;
}

}  // namespace shardtrack
