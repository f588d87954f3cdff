#include "shard/accounting/baseline_file.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <vector>

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

// Every shard of the layout tries; whichever comes first removes a file (a file already gone is
// no error). The lock on the data directory keeps the old layout from running meanwhile.
void RemoveOtherLayouts(FileOps& files, const std::string& accounting_dir, std::uint32_t count) {
  auto names = files.ListDir(accounting_dir);
  if (!names) return;  // no directory yet: nothing saved
  const std::string own_layout = fmt::format("-of-{}.baselines", count);
  bool removed = false;
  for (const std::string& name : *names) {
    if (!name.starts_with("shard") || !name.ends_with(".baselines") || name.ends_with(own_layout)) {
      continue;
    }
    if (Status gone = files.Remove(JoinPath(accounting_dir, name)); gone) {
      spdlog::info("removed {} unread: its baselines are another layout's", name);
      removed = true;
    } else {
      spdlog::warn("{}: delete it before that layout runs again, which would credit twice",
                   gone.error());
    }
  }
  // Else a power loss could bring them back, for a rollback to that layout to load.
  if (removed && !files.SyncDir(accounting_dir)) {
    spdlog::warn("cannot sync {}: removed baseline files may come back after a power loss",
                 accounting_dir);
  }
}

}  // namespace

std::string BaselineFilePath(const std::string& accounting_dir, std::uint32_t shard,
                             std::uint32_t count) {
  return JoinPath(accounting_dir, fmt::format("shard{}-of-{}.baselines", shard, count));
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

Result<std::size_t> LoadBaselines(FileOps& files, const std::string& accounting_dir,
                                  std::uint32_t shard, std::uint32_t count, UnixSeconds cutoff,
                                  TransferLedger& ledger) {
  RemoveOtherLayouts(files, accounting_dir, count);
  const std::string path = BaselineFilePath(accounting_dir, shard, count);
  if (!files.Exists(path)) return std::size_t{0};
  auto text = files.ReadFile(path);
  if (!text) return Error{text.error()};
  std::vector<TransferLedger::PeerBaseline> baselines;
  SipHashKey client_key{};
  const bool older_form = std::any_of(
      std::begin(kOlderVersions), std::end(kOlderVersions),
      [&text](std::uint16_t version) { return CheckPreamble(*text, kMagic, version).ok(); });
  const Status parsed = older_form ? OkStatus() : Parse(*text, cutoff, client_key, baselines);
  // Kept while it matches the accounting files (the next one replaces it first); a damaged file
  // or an older build's goes, so that the next start does not read it again.
  if (older_form || !parsed) {
    for (Status step : {files.Remove(path), files.SyncDir(accounting_dir)}) {
      if (!step) return Error{step.error() + "; its baselines are not used: delete " + path};
    }
  }
  if (older_form) {
    spdlog::info(
        "removed {} unread: an older build saved its baselines in another form; each client's "
        "next announce sets where its counters stand",
        path);
    return std::size_t{0};
  }
  if (!baselines.empty()) ledger.SetClientKey(client_key);
  for (const auto& baseline : baselines) ledger.AddBaseline(baseline);
  if (!parsed) return Error{path + ": " + parsed.error()};
  return baselines.size();
}

}  // namespace shardtrack
