#include "shard/accounting/accounting_file.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace shardtrack {
namespace {

// A name taken already (a restart within the same second) is skipped, never overwritten.
constexpr int kNamesToTry = 1000;

}  // namespace

std::string FormatAccounting(const std::vector<TransferLedger::Entry>& entries) {
  std::string text = kAccountingHeader;
  for (const TransferLedger::Entry& entry : entries) {
    const TransferLedger::Totals& totals = entry.totals;
    fmt::format_to(std::back_inserter(text), "{}\t{}\t{}\t{}\t{}\t{}\t{}\n", entry.passkey,
                   entry.info_hash.ToHex(), totals.uploaded, totals.downloaded, totals.completed,
                   totals.seeding_seconds, totals.announces);
  }
  return text;
}

Result<std::string> WriteAccountingFile(FileOps& files, const std::string& dir, std::uint32_t shard,
                                        UnixSeconds now, std::uint64_t& sequence,
                                        const std::vector<TransferLedger::Entry>& entries) {
  if (Status created = files.CreateDir(dir); !created) return Error{created.error()};
  const std::string temporary = JoinPath(dir, fmt::format("shard{}.tsv.tmp", shard));
  // A temporary name still linked to the last file handed over (a crash, or a failed Remove,
  // right after its link) must not be truncated: that would rewrite a file the site may not
  // have imported. Writing starts from a new file.
  if (files.Exists(temporary)) {
    if (Status removed = files.Remove(temporary); !removed) return Error{removed.error()};
  }
  {
    auto file = files.OpenWritable(temporary, FileOps::OpenMode::kTruncate);
    if (!file) return Error{file.error()};
    if (Status written = (*file)->Append(FormatAccounting(entries)); !written) {
      return Error{written.error()};
    }
    if (Status synced = (*file)->Sync(); !synced) return Error{synced.error()};
  }
  for (int tries = 0; tries < kNamesToTry; ++tries) {
    const std::string path = JoinPath(
        dir, fmt::format("shard{}-{}-{:010}.tsv", shard, now, sequence++ % 10'000'000'000));
    if (files.Exists(path)) continue;
    if (Status linked = files.Link(temporary, path); !linked) return Error{linked.error()};
    // Handed over: from here a failure must not make the caller write these totals again.
    for (Status step : {files.Remove(temporary), files.SyncDir(dir)}) {
      if (!step) spdlog::warn("accounting file {} written, but: {}", path, step.error());
    }
    return path;
  }
  return Error{"no free name for an accounting file in " + dir};
}

}  // namespace shardtrack
