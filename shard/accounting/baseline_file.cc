#include "shard/accounting/baseline_file.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

#include "common/routing.h"
#include "shard/persistence/byte_codec.h"
#include "shard/persistence/record_framing.h"

namespace shardtrack {
namespace {

constexpr std::string_view kMagic = "STBASE";
constexpr std::uint16_t kVersion = 4;
constexpr std::uint16_t kVersionWithoutFamily = 3;  // read, every baseline IPv4
constexpr std::uint16_t kOlderVersions[] = {1, 2};  // read as nothing
constexpr std::uint8_t kSeeder = 1;
constexpr std::uint8_t kCompleted = 2;
constexpr std::uint8_t kIpv6 = 4;

void EncodeClientKey(const SipHashKey& key, std::string& out) {
  const std::size_t frame = BeginFrame(out, RecordType::kAccountingClientKey);
  ByteWriter(out).U64(key[0]).U64(key[1]);
  FinishFrame(out, frame);
}

void Encode(const TransferLedger::PeerBaseline& baseline, std::string& out) {
  const std::size_t frame = BeginFrame(out, RecordType::kAccountingBaseline);
  ByteWriter(out)
      .Bytes(baseline.info_hash.view())
      .U64(baseline.client)
      .U64(baseline.member)
      .U64(baseline.uploaded)
      .U64(baseline.downloaded)
      .I64(baseline.last_seen)
      .U8((baseline.seeder ? kSeeder : 0) | (baseline.completed ? kCompleted : 0) |
          (baseline.ipv6 ? kIpv6 : 0));
  FinishFrame(out, frame);
}

Result<TransferLedger::PeerBaseline> Decode(std::string_view fields) {
  ByteReader in(fields);
  TransferLedger::PeerBaseline baseline;
  auto info_hash = InfoHash::FromRaw(in.Bytes(InfoHash::kSize));
  baseline.client = in.U64();
  baseline.member = in.U64();
  baseline.uploaded = in.U64();
  baseline.downloaded = in.U64();
  baseline.last_seen = in.I64();
  const std::uint8_t flags = in.U8();
  if (!in.ok() || (flags & ~(kSeeder | kCompleted | kIpv6)) != 0 || !in.AtEnd() || !info_hash) {
    return Error{"a malformed baseline record"};
  }
  baseline.info_hash = *info_hash;
  baseline.seeder = (flags & kSeeder) != 0;
  baseline.completed = (flags & kCompleted) != 0;
  baseline.ipv6 = (flags & kIpv6) != 0;
  return baseline;
}

// The client key, then the records last seen after `cutoff`, into `out`; an error leaves those
// before the damage.
Status Parse(std::string_view file, UnixSeconds cutoff, SipHashKey& client_key,
             std::vector<TransferLedger::PeerBaseline>& out) {
  if (Status preamble = CheckPreamble(file, kMagic, kVersion); !preamble) {
    if (!CheckPreamble(file, kMagic, kVersionWithoutFamily)) return preamble;
  }
  FrameCursor cursor(file, kPreambleSize);
  FrameCursor::Frame frame;
  if (cursor.Next(frame) != FrameCursor::Step::kFrame ||
      frame.type != RecordType::kAccountingClientKey) {
    return Error{"no client key at its start"};
  }
  ByteReader key(frame.fields);
  client_key = {key.U64(), key.U64()};
  if (!key.ok() || !key.AtEnd()) return Error{"a malformed client key"};
  while (true) {
    switch (cursor.Next(frame)) {
      case FrameCursor::Step::kEnd:
        return OkStatus();
      case FrameCursor::Step::kBad:
        return Error{cursor.error()};
      case FrameCursor::Step::kFrame:
        if (frame.type != RecordType::kAccountingBaseline) return Error{"an unexpected record"};
        auto baseline = Decode(frame.fields);
        if (!baseline) return Error{baseline.error()};
        if (baseline->last_seen > cutoff) out.push_back(*baseline);
    }
  }
}

// The (index, count) a baselines file name (or its .tmp) names, if it is one.
std::optional<std::pair<std::uint32_t, std::uint32_t>> BaselineFileLayout(std::string_view name) {
  if (name.ends_with(".tmp")) name.remove_suffix(4);
  if (!name.starts_with("shard") || !name.ends_with(".baselines")) return std::nullopt;
  name = name.substr(5, name.size() - 5 - std::string_view(".baselines").size());
  std::uint32_t index = 0, count = 0;
  const char* end = name.data() + name.size();
  auto [after_index, index_error] = std::from_chars(name.data(), end, index);
  if (index_error != std::errc() || !std::string_view(after_index, end).starts_with("-of-")) {
    return std::nullopt;
  }
  auto [after_count, count_error] = std::from_chars(after_index + 4, end, count);
  if (count_error != std::errc() || after_count != end) return std::nullopt;
  return std::pair{index, count};
}

// Removes this shard index's files of other shard counts, and the file an older build named by
// the index alone: a snapshot of this layout now speaks for all their torrents, so they can only
// be stale. Other indexes' files wait for the shards that read them.
void RemoveSuperseded(FileOps& files, const std::string& accounting_dir,
                      const std::vector<std::string>& names, std::uint32_t shard,
                      std::uint32_t count) {
  const std::string older_build = fmt::format("shard{}.baselines", shard);
  bool removed = false;
  for (const std::string& name : names) {
    const auto layout = BaselineFileLayout(name);
    const bool superseded =
        name == older_build || (layout && layout->first == shard && layout->second != count);
    if (!superseded) continue;
    if (Status gone = files.Remove(JoinPath(accounting_dir, name)); gone) {
      spdlog::info("removed {}: this layout's snapshots speak for its torrents now", name);
      removed = true;
    } else {
      spdlog::warn("{}: delete it by hand (the speaking snapshots keep it from being read)",
                   gone.error());
    }
  }
  if (removed && !files.SyncDir(accounting_dir)) {
    spdlog::warn("cannot sync {}: removed baseline files may come back after a power loss",
                 accounting_dir);
  }
}

// Of the sets of this shard's index that saved baselines, the newest: its file holds the newest
// counters of the torrents it speaks for. Null if none saved any.
const FileSet* NewestSavedSet(const std::vector<std::string>& names, std::uint32_t shard,
                              const std::vector<FileSet>& sets) {
  const FileSet* newest = nullptr;
  for (const FileSet& set : sets) {
    if (set.index != shard || (newest != nullptr && set.generation <= newest->generation)) continue;
    if (std::ranges::find(names, BaselineFileName(set.index, set.count)) != names.end()) {
      newest = &set;
    }
  }
  return newest;
}

// This layout's own file must hold no more than the ledger loaded, since a snapshot of this start
// speaks for its torrents from now on (a file left older would credit twice after a crash).
Status ReplaceOwnFile(FileOps& files, const std::string& accounting_dir, std::uint32_t shard,
                      std::uint32_t count, bool own_file_exists, const TransferLedger& ledger) {
  if (ledger.baselines() > 0) {
    if (SaveBaselines(files, accounting_dir, shard, count, ledger)) return OkStatus();
  } else if (!own_file_exists) {
    return OkStatus();
  }
  return RemoveBaselines(files, accounting_dir, shard, count);
}

// Reads `path`'s baselines last seen after `cutoff`, removing the file when it is damaged or an
// older build's (nothing is read from those); an error leaves the records before the damage.
Status ReadBaselineFile(FileOps& files, const std::string& accounting_dir, const std::string& path,
                        UnixSeconds cutoff, SipHashKey& client_key,
                        std::vector<TransferLedger::PeerBaseline>& baselines) {
  auto text = files.ReadFile(path);
  if (!text) return Error{text.error()};
  const bool older_form = std::any_of(
      std::begin(kOlderVersions), std::end(kOlderVersions),
      [&text](std::uint16_t version) { return CheckPreamble(*text, kMagic, version).ok(); });
  const Status parsed = older_form ? OkStatus() : Parse(*text, cutoff, client_key, baselines);
  // Kept while it matches the accounting files (the next one replaces it first); a damaged file
  // or an older build's goes, so that the next start does not read it again.
  if (older_form || !parsed) {
    for (Status step : {files.Remove(path), files.SyncDir(accounting_dir)}) {
      if (!step) {
        baselines.clear();
        return Error{step.error() + "; its baselines are not used: delete " + path};
      }
    }
  }
  if (older_form) {
    spdlog::info(
        "removed {} unread: an older build saved its baselines in another form; each client's "
        "next announce sets where its counters stand",
        path);
  }
  if (!parsed) return Error{path + ": " + parsed.error()};
  return OkStatus();
}

}  // namespace

std::string BaselineFileName(std::uint32_t shard, std::uint32_t count) {
  return fmt::format("shard{}-of-{}.baselines", shard, count);
}

std::string BaselineFilePath(const std::string& accounting_dir, std::uint32_t shard,
                             std::uint32_t count) {
  return JoinPath(accounting_dir, BaselineFileName(shard, count));
}

Status SaveBaselines(FileOps& files, const std::string& accounting_dir, std::uint32_t shard,
                     std::uint32_t count, const TransferLedger& ledger) {
  return SaveBaselines(files, accounting_dir, shard, count, ledger.client_key(),
                       ledger.Baselines());
}

Status SaveBaselines(FileOps& files, const std::string& accounting_dir, std::uint32_t shard,
                     std::uint32_t count, const SipHashKey& client_key,
                     const std::vector<TransferLedger::PeerBaseline>& baselines) {
  if (Status created = files.CreateDir(accounting_dir); !created) return created;
  std::string out;
  AppendPreamble(out, kMagic, kVersion);
  EncodeClientKey(client_key, out);
  for (const auto& baseline : baselines) Encode(baseline, out);
  const std::string path = BaselineFilePath(accounting_dir, shard, count);
  {
    auto file = files.OpenWritable(path + ".tmp", FileOps::OpenMode::kTruncate);
    if (!file) return Error{file.error()};
    if (Status written = (*file)->Append(out); !written) return written;
    if (Status synced = (*file)->Sync(); !synced) return synced;
  }
  if (Status renamed = files.Rename(path + ".tmp", path); !renamed) return renamed;
  return files.SyncDir(accounting_dir);
}

Status RemoveBaselines(FileOps& files, const std::string& accounting_dir, std::uint32_t shard,
                       std::uint32_t count) {
  // Not asked whether it exists first: a stat that fails would pass for "no file".
  if (Status removed = files.Remove(BaselineFilePath(accounting_dir, shard, count)); !removed) {
    return removed;  // a missing file is no error
  }
  return files.SyncDir(accounting_dir);
}

Result<std::vector<std::string>> RetireOtherCountBaselines(FileOps& files,
                                                           const std::string& accounting_dir,
                                                           std::uint32_t count) {
  std::vector<std::string> removed;
  auto names = files.ListDir(accounting_dir);
  if (!names) return removed;
  for (const std::string& name : *names) {
    const auto layout = BaselineFileLayout(name);
    if (!layout || layout->second == count) continue;
    if (Status gone = files.Remove(JoinPath(accounting_dir, name)); !gone) {
      return Error{gone.error()};
    }
    removed.push_back(name);
  }
  if (!removed.empty()) {
    if (Status synced = files.SyncDir(accounting_dir); !synced) return Error{synced.error()};
  }
  return removed;
}

Result<std::size_t> LoadBaselines(FileOps& files, const std::string& accounting_dir,
                                  std::uint32_t shard, std::uint32_t count,
                                  const std::vector<FileSet>& sets, UnixSeconds cutoff,
                                  TransferLedger& ledger) {
  const auto names = files.ListDir(accounting_dir);
  if (!names) return std::size_t{0};  // no directory yet: nothing saved
  const FileSet* source = NewestSavedSet(*names, shard, sets);
  std::vector<TransferLedger::PeerBaseline> baselines;
  SipHashKey client_key{};
  Status read = OkStatus();
  if (source != nullptr) {
    read = ReadBaselineFile(files, accounting_dir,
                            BaselineFilePath(accounting_dir, shard, source->count), cutoff,
                            client_key, baselines);
  }
  // A baseline counts only where its set still speaks for its torrent: a newer layout's
  // snapshot means that layout credited the torrent since, and this file is stale for it.
  const std::size_t read_count = baselines.size();
  std::erase_if(baselines, [&](const TransferLedger::PeerBaseline& baseline) {
    return ShardFor(baseline.info_hash, count) != shard ||
           SpeakerFor(sets, baseline.info_hash) != source;
  });
  if (!baselines.empty()) ledger.SetClientKey(client_key);
  for (const auto& baseline : baselines) ledger.AddBaseline(baseline);
  const bool own_file_whole =
      source != nullptr && source->count == count && read.ok() && baselines.size() == read_count;
  Status replaced = OkStatus();
  if (!own_file_whole) {
    const bool own_file_exists =
        std::ranges::find(*names, BaselineFileName(shard, count)) != names->end();
    replaced = ReplaceOwnFile(files, accounting_dir, shard, count, own_file_exists, ledger);
  }
  RemoveSuperseded(files, accounting_dir, *names, shard, count);
  if (!read) return Error{read.error()};
  if (!replaced) {
    return Error{"cannot replace " + BaselineFilePath(accounting_dir, shard, count) + ": " +
                 replaced.error() + "; delete it before the next start, which would credit twice"};
  }
  return baselines.size();
}

}  // namespace shardtrack
