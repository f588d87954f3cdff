#include "shard/accounting/accounting_file.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace shardtrack {
namespace {

// A name taken already (a restart within the same second) is skipped, never written over.
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

Status PrepareAccountingFile(FileOps& files, const std::string& dir,
                             const NumberedShardFile& prepared,
                             const std::vector<TransferLedger::Entry>& entries) {
  if (Status created = files.CreateDir(dir); !created) return created;
  return WriteWholeFile(files, JoinPath(dir, prepared.ToString(kPreparedSuffix)),
                        FormatAccounting(entries));
}

Result<std::string> HandOverAccountingFile(FileOps& files, const std::string& dir,
                                           const NumberedShardFile& prepared, UnixSeconds now,
                                           std::uint64_t& sequence) {
  for (int tries = 0; tries < kNamesToTry; ++tries) {
    const std::string path = JoinPath(dir, fmt::format("shard{}-{}-{:010}.tsv", prepared.index, now,
                                                       sequence++ % 10'000'000'000));
    if (files.Exists(path)) continue;
    if (Status renamed = files.Rename(JoinPath(dir, prepared.ToString(kPreparedSuffix)), path);
        !renamed) {
      return Error{renamed.error()};
    }
    // Handed over: from here a failure must not make the caller hand these totals over again.
    if (Status synced = files.SyncDir(dir); !synced) {
      spdlog::warn("accounting file {} written, but: {}", path, synced.error());
    }
    return path;
  }
  return Error{"no free name for an accounting file in " + dir};
}

}  // namespace shardtrack
