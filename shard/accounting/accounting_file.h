// The accounting files a shard hands to a private tracker's site, in <data-dir>/accounting/:
// one per flush, named shard<index>-<unix seconds>-<n, 10 digits>.tsv (names sort by time
// within a shard; n starts at a random number in each run of the shard, so that a name is
// never used twice, even by runs within one second, and an importer may key on it).
// Each holds a comment line, then one line per member and torrent, tab-separated: passkey,
// infohash (40 hex digits), bytes uploaded, bytes downloaded, completions, seconds seeded,
// announces, all since the shard's previous file. A file is
// written under a .tmp name, synced, and only then given its final name (a link, which never
// replaces an existing file) and the directory synced: a file under its final name is whole
// and durable. The site imports files in name order and deletes each once imported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "shard/accounting/transfer_ledger.h"
#include "shard/persistence/file_ops.h"

namespace shardtrack {

inline constexpr const char* kAccountingDir = "accounting";
inline constexpr const char* kAccountingHeader =
    "# passkey\tinfo_hash\tuploaded\tdownloaded\tcompleted\tseeding_seconds\tannounces\n";

// The file's text.
std::string FormatAccounting(const std::vector<TransferLedger::Entry>& entries);

// Writes `entries` as a new file in `dir` (created if missing) stamped `now`; `sequence` (the
// caller's, advanced past every name tried) keeps names apart. Returns the file's path. An
// error means no file holds these totals; once the file has its name, a failure to remove the
// temporary file or sync the directory is only logged, so the totals are never written twice.
Result<std::string> WriteAccountingFile(FileOps& files, const std::string& dir, std::uint32_t shard,
                                        UnixSeconds now, std::uint64_t& sequence,
                                        const std::vector<TransferLedger::Entry>& entries);

}  // namespace shardtrack
