// The accounting files a shard hands to a private tracker's site, in <data-dir>/accounting/:
// one per flush, named shard<index>-<unix seconds>-<n, 10 digits>.tsv (names sort by time
// within a shard; n starts at a random number in each run of the shard, so that a name is
// never used twice, even by runs within one second, and an importer may key on it).
// Each holds a comment line, then one line per member and torrent, tab-separated: passkey,
// infohash (40 hex digits), bytes uploaded, bytes downloaded, completions, seconds seeded,
// announces, all since the shard's previous file. A file is prepared under a temporary name
// (shard<index>-of-<count>-<n>.tsv.tmp, n being the last credit log it takes up: credit_log.h),
// synced, and only then handed over: renamed to its final name (checked free first) and the
// directory synced, so a file under its final name is whole and durable, and one found under its
// temporary name was never handed over. The site imports files in name order and deletes each
// once imported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "shard/accounting/transfer_ledger.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/shard_file_name.h"

namespace shardtrack {

inline constexpr const char* kAccountingDir = "accounting";
inline constexpr const char* kAccountingHeader =
    "# passkey\tinfo_hash\tuploaded\tdownloaded\tcompleted\tseeding_seconds\tannounces\n";

// The file's text.
std::string FormatAccounting(const std::vector<TransferLedger::Entry>& entries);

inline constexpr std::string_view kPreparedSuffix = ".tsv.tmp";

// Writes `entries` under the temporary name `prepared` in `dir` (created if missing), anew, and
// syncs it.
Status PrepareAccountingFile(FileOps& files, const std::string& dir,
                             const NumberedShardFile& prepared,
                             const std::vector<TransferLedger::Entry>& entries);
// Hands a prepared file over under a new name stamped `now`; `sequence` (the caller's, advanced
// past every name tried) keeps names apart. Returns its path. An error means it is still only
// prepared; once it has its name, a failure to sync the directory is only logged, so the totals
// are never handed over twice.
Result<std::string> HandOverAccountingFile(FileOps& files, const std::string& dir,
                                           const NumberedShardFile& prepared, UnixSeconds now,
                                           std::uint64_t& sequence);

}  // namespace shardtrack
