#include "shard/accounting/layout_credits.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "shard/accounting/accounting_file.h"
#include "shard/accounting/baseline_file.h"
#include "shard/accounting/credit_log.h"

namespace shardtrack {
namespace {

// Its baselines, when it saved any; an error when they cannot be read.
Status ReadBaselinesOf(FileOps& files, const std::string& accounting_dir,
                       const std::vector<std::string>& names, ShardLayout layout,
                       SavedBaselines& saved) {
  saved.index = layout.index;
  saved.count = layout.count;
  if (!Listed(names, BaselineFileName(layout.index, layout.count))) return OkStatus();
  if (Status read = ReadBaselineFile(files, accounting_dir, saved); !read) {
    return Error{"its baselines cannot be read: " + read.error()};
  }
  return OkStatus();
}

// The file those baselines committed goes out first, if it still waits for its name: newer
// baselines would no longer say it is committed.
Status HandOverCommittedFile(FileOps& files, const std::string& accounting_dir,
                             const std::vector<std::string>& names,
                             const NumberedShardFile& committed, UnixSeconds now,
                             std::uint64_t& sequence) {
  if (committed.number == 0 || !Listed(names, committed.ToString(kPreparedSuffix))) {
    return OkStatus();
  }
  auto handed = HandOverAccountingFile(files, accounting_dir, committed, now, sequence);
  return handed ? OkStatus() : Status{Error{handed.error()}};
}

}  // namespace

Result<FinishedCredits> FinishLayoutCredits(FileOps& files, const std::string& accounting_dir,
                                            const std::vector<std::string>& names,
                                            ShardLayout layout, UnixSeconds now,
                                            TransferLedger& ledger, std::uint64_t& sequence) {
  SavedBaselines saved;
  if (Status read = ReadBaselinesOf(files, accounting_dir, names, layout, saved); !read) {
    return Error{read.error()};
  }
  const std::uint64_t through = saved.through.value_or(0);
  if (Status handed = HandOverCommittedFile(files, accounting_dir, names,
                                            {layout.index, layout.count, through}, now, sequence);
      !handed) {
    return Error{handed.error()};
  }
  if (saved.through) ledger.SetClientKey(saved.client_key);
  for (const auto& baseline : saved.baselines) ledger.AddBaseline(baseline);
  // Every announce: they were credited before any later layout ran (its start finishes them, or
  // removes them when it cannot).
  auto replayed = ReplayCreditLogs(
      files, accounting_dir, {layout.index, layout.count, saved.since}, through,
      [](const InfoHash&, std::uint64_t) { return true; }, ledger);
  if (!replayed) return Error{replayed.error()};
  // Not saved: at a bound, the start that loads them would let expired clients take live ones'
  // room.
  ledger.ForgetExpired(now);
  FinishedCredits out{replayed->announces, replayed->unread, ""};
  if (replayed->files == 0) {  // those left are included: a crash, or a removal that failed
    if (Status removed =
            RemoveCreditLogs(files, accounting_dir, names, layout.index, layout.count, through);
        !removed) {
      out.after_commit = removed.error();
    }
    return out;
  }

  // The later of the run that saved the baselines and the one that wrote the last log.
  const ShardRun run{layout.index, layout.count, std::max(saved.since, replayed->since)};
  const NumberedShardFile prepared{layout.index, layout.count, replayed->last_number};
  const bool with_file = !ledger.empty();
  if (with_file) {
    if (Status written = PrepareAccountingFile(files, accounting_dir, prepared,
                                               TransferLedger::Entries(ledger.TakeTable()));
        !written) {
      return Error{written.error()};
    }
  }
  if (Status committed = SaveBaselines(files, accounting_dir, run, prepared.number, ledger);
      !committed) {
    return Error{committed.error()};
  }
  if (with_file) {
    auto handed = HandOverAccountingFile(files, accounting_dir, prepared, now, sequence);
    if (!handed) out.after_commit = handed.error();
  }
  if (Status removed = RemoveCreditLogs(files, accounting_dir, names, layout.index, layout.count,
                                        prepared.number);
      !removed) {
    out.after_commit += (out.after_commit.empty() ? "" : "; ") + removed.error();
  }
  return out;
}

}  // namespace shardtrack
