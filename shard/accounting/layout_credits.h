// Finishing the accounting of a run of another shard count that stopped without writing its last
// accounting file (kill -9, a crash, and then a resize): its credit logs (credit_log.h) hold
// announces that no accounting file holds, and the resized shards remove them unreplayed.
// The resized shard of the same index does (AccountingFlusher::FinishesFor: of an index the new
// count lacks, the shard it falls to), at start, before it loads that layout's baselines
// (LoadBaselines): it replays them on those baselines, writes their totals as the accounting
// file that run would have written next, and commits it the same way (the file prepared, the
// baselines saved naming the last log, the file handed over, the logs removed). So nothing they
// held is lost, and the baselines it then loads do not credit their transfer a second time.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "shard/accounting/transfer_ledger.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/shard_file_name.h"

namespace shardtrack {

// What FinishLayoutCredits replayed: announces, and the logs it could not read (a damaged one is
// replayed up to the damage); what failed after the commit, which loses nothing (a committed file
// is handed over by the next start that finds it, logs it includes are removed then).
struct FinishedCredits {
  std::size_t announces = 0;
  std::string unread;
  std::string after_commit;
};

// Finishes `layout`'s credit logs, if it has any, into `ledger` (empty, crediting as the shard's:
// TransferLedger::EmptyLike). `names`: the directory's (what is there is taken from the listing,
// not from a stat that could fail; the baselines are taken as saved, for the logs were written
// on them); `sequence`: HandOverAccountingFile's. An error (before the commit) leaves the files as
// they were or as a crash there would: what the logs hold is in no file yet.
Result<FinishedCredits> FinishLayoutCredits(FileOps& files, const std::string& accounting_dir,
                                            const std::vector<std::string>& names,
                                            ShardLayout layout, UnixSeconds now,
                                            TransferLedger& ledger, std::uint64_t& sequence);

}  // namespace shardtrack
