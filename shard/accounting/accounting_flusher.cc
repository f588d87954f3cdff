#include "shard/accounting/accounting_flusher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <set>
#include <utility>

#include "shard/accounting/accounting_file.h"
#include "shard/accounting/baseline_file.h"
#include "shard/accounting/layout_credits.h"
#include "shard/persistence/shard_file_name.h"

namespace shardtrack {

AccountingFlusher::AccountingFlusher(EventLoop& loop, FileOps& files, Options options,
                                     TransferLedger& ledger)
    : loop_(loop),
      files_(files),
      options_(std::move(options)),
      ledger_(ledger),
      sequence_(std::random_device{}()),
      log_(files, options_.dir, Run(), 1),
      worker_(loop) {}

AccountingFlusher::~AccountingFlusher() {
  loop_.Cancel(timer_);
  loop_.Cancel(expiry_timer_);
}

void AccountingFlusher::Start() {
  timer_ = loop_.RunAfter(options_.interval, [this] { OnTimer(); });
  expiry_timer_ = loop_.RunAfter(kExpirySlice, [this] { OnExpiryTimer(); });
}

void AccountingFlusher::Credit(const PeerAnnounce& announce, std::string_view passkey,
                               std::uint64_t uploaded, std::uint64_t downloaded,
                               bool completion_counted, UnixSeconds now) {
  CreditedAnnounce credited{announce, passkey, uploaded, downloaded, completion_counted, now};
  credited.new_client =
      ledger_.Record(announce, passkey, uploaded, downloaded, completion_counted, now);
  log_.Append(credited);
}

void AccountingFlusher::WriteLog() { NoteLogWrite(log_.WriteBuffered()); }

void AccountingFlusher::NoteLogWrite(const Status& status) {
  if (status) return;
  ++counters_.log_failures;
  if (!log_errors_.Due(loop_.clock().Now())) return;
  spdlog::error(
      "shard {}: cannot write or sync the accounting's credit log: {} (what it missed is "
      "credited, but a crash before the next accounting file could lose it; free space in, or "
      "fix the permissions of, {})",
      options_.shard, status.error(), options_.dir);
}

void AccountingFlusher::OnExpiryTimer() {
  expiry_timer_ = loop_.RunAfter(kExpirySlice, [this] { OnExpiryTimer(); });
  ledger_.ExpireSlice(loop_.clock().WallNow() - options_.peer_timeout, kExpiryLap);
}

void AccountingFlusher::OnTimer() {
  timer_ = loop_.RunAfter(options_.interval, [this] { OnTimer(); });
  // A file whose baselines are saved goes out before the next is taken: the next baselines would
  // no longer say it is to be handed over.
  if (worker_.busy() || !HandOverPrepared() || ledger_.empty()) return;
  const std::uint64_t through = TakeForWrite();
  worker_.Start([this, now = loop_.clock().WallNow(), key = ledger_.client_key(),
                 through] { return Write(now, key, through); },
                [this, through](Status status) { OnWritten(status, through); });
}

std::uint64_t AccountingFlusher::TakeForWrite() {
  NoteLogWrite(log_.WriteBuffered());
  const std::uint64_t through = log_.Rotate();
  writing_ = ledger_.TakeTable();
  saving_ = ledger_.Baselines();
  return through;
}

// The file is prepared (written and synced under its temporary name), then the baselines are
// saved, naming the last credit log they include: that is the commit. A start after a crash
// replays the logs after them, and hands over the file they name if it is still prepared; so
// nothing is credited twice, nor lost. A file whose baselines cannot be saved waits.
Status AccountingFlusher::Write(UnixSeconds now, const SipHashKey& client_key,
                                std::uint64_t through) {
  std::vector<TransferLedger::Entry> entries = TransferLedger::Entries(writing_);
  writing_ = {};
  const auto baselines = std::exchange(saving_, {});
  const NumberedShardFile prepared = Prepared(through);
  Status committed = PrepareAccountingFile(files_, options_.dir, prepared, entries);
  if (committed) {
    committed = SaveBaselines(files_, options_.dir, Run(), through, client_key, baselines,
                              &baselines_synced_);
    if (!committed) committed = Error{"cannot save the peers' baselines: " + committed.error()};
  }
  if (!committed) {
    // Never handed over (a start removes one left behind).
    if (Status removed = files_.Remove(JoinPath(options_.dir, prepared.ToString(kPreparedSuffix)));
        !removed) {
      spdlog::warn("shard {}: {}", options_.shard, removed.error());
    }
    failed_ = std::move(entries);
    return committed;
  }
  prepared_ = through;
  auto path = HandOverAccountingFile(files_, options_.dir, prepared, now, sequence_);
  if (path) {
    prepared_.reset();
    spdlog::debug("shard {}: accounting of {} members' torrents in {}", options_.shard,
                  entries.size(), *path);
  } else {
    handover_error_ = path.error();
  }
  return OkStatus();
}

NumberedShardFile AccountingFlusher::Prepared(std::uint64_t through) const {
  return {options_.shard, options_.shard_count, through};
}

bool AccountingFlusher::HandOverPrepared() {
  if (!prepared_) return true;
  auto path = HandOverAccountingFile(files_, options_.dir, Prepared(*prepared_),
                                     loop_.clock().WallNow(), sequence_);
  if (!path) {
    handover_error_ = path.error();
    ReportHandOverFailure();
    return false;
  }
  prepared_.reset();
  ++counters_.files_written;
  return true;
}

void AccountingFlusher::ReportHandOverFailure() {
  ++counters_.failures;
  if (!handover_errors_.Due(loop_.clock().Now())) return;
  spdlog::error(
      "shard {}: cannot give an accounting file its name: {} (it is whole under {}, and tried "
      "again every interval and at the next start; meanwhile the next waits)",
      options_.shard, handover_error_, Prepared(*prepared_).ToString(kPreparedSuffix));
}

void AccountingFlusher::Settle(const Status& status, std::uint64_t through) {
  if (status) {
    RemoveLogsThrough(through);  // the saved baselines include them
    if (prepared_) return ReportHandOverFailure();
    ++counters_.files_written;
  } else {
    ++counters_.failures;
    ledger_.Restore(std::exchange(failed_, {}));
  }
}

void AccountingFlusher::RemoveLogsThrough(std::uint64_t through) {
  // Until the directory's sync shows the baselines that include them in place, a power loss
  // could bring back the older ones: the logs are then what holds those credits, so the next
  // completion's sync covers them still.
  if (baselines_synced_) log_.Committed(through);
  auto names = files_.ListDir(options_.dir);
  const Status removed = names ? RemoveCreditLogs(files_, options_.dir, *names, options_.shard,
                                                  options_.shard_count, through)
                               : Status{Error{names.error()}};
  if (!removed) {  // harmless: the baselines say they are included, and the next start removes them
    spdlog::warn("shard {}: cannot remove credit logs the accounting files hold: {}",
                 options_.shard, removed.error());
  }
}

void AccountingFlusher::OnWritten(const Status& status, std::uint64_t through) {
  Settle(status, through);
  if (status) return;
  spdlog::error(
      "shard {}: cannot write an accounting file: {}; its totals are kept and written with the "
      "next one (free space in, or fix the permissions of, {})",
      options_.shard, status.error(), options_.dir);
}

Status AccountingFlusher::Flush() {
  worker_.Wait();
  if (!HandOverPrepared()) return Error{"an earlier file waits for its name: " + handover_error_};
  if (ledger_.empty()) return OkStatus();
  const std::uint64_t through = TakeForWrite();
  const Status status = Write(loop_.clock().WallNow(), ledger_.client_key(), through);
  Settle(status, through);
  return status;
}

// A run of another shard count that was killed before a resize left credit logs that only its own
// start would have replayed: they are finished before the baselines are loaded (layout_credits.h)
// by the shard of the same index, or for an index the new count lacks, by the shard its number
// falls to modulo the count (one shard each, so no two write the same files).
bool AccountingFlusher::FinishesFor(const ShardLayout& layout) const {
  const std::uint32_t count = options_.shard_count;
  if (layout.count == count) return false;
  return layout.index == options_.shard ||
         (layout.index >= count && layout.index % count == options_.shard);
}

Status AccountingFlusher::FinishOtherCounts() {
  auto names = files_.ListDir(options_.dir);
  if (!names) return OkStatus();  // LoadBaselines says why
  std::set<ShardLayout> layouts;
  for (const std::string& name : *names) {
    const auto log = ParseCreditLogName(name);
    if (log && FinishesFor({log->index, log->count})) layouts.insert({log->index, log->count});
  }
  for (const ShardLayout& layout : layouts) {
    const auto [index, count] = layout;
    TransferLedger apart = ledger_.EmptyLike();
    auto finished = FinishLayoutCredits(files_, options_.dir, *names, layout,
                                        loop_.clock().WallNow(), apart, sequence_);
    if (finished) {
      ReportFinished(layout, *finished);
    } else if (index != options_.shard) {  // nobody loads its baselines: a later start retries
      spdlog::error(
          "shard {}: cannot write what the credit logs of shard {} of {} hold: {} (kept; the "
          "next start of this shard tries again)",
          options_.shard, index, count, finished.error());
    } else if (Status dropped = DropUnfinished(layout, finished.error()); !dropped) {
      return dropped;
    }
  }
  return OkStatus();
}

void AccountingFlusher::ReportFinished(const ShardLayout& layout, const FinishedCredits& finished) {
  if (finished.announces > 0) {
    spdlog::info(
        "shard {}: credited {} announces that shard {} of {} had logged but not written (it was "
        "killed), in an accounting file of their own{}",
        options_.shard, finished.announces, layout.index, layout.count,
        finished.unread.empty() ? "" : "; damaged, replayed up to the damage: " + finished.unread);
  }
  if (!finished.after_commit.empty()) {
    spdlog::warn(
        "shard {}: the credit logs of shard {} of {} are in a committed accounting file, but: {} "
        "(nothing is lost nor credited twice: a later start or `retire` finishes it)",
        options_.shard, layout.index, layout.count, finished.after_commit);
  }
}

// This shard's index: left, they would be replayed again by a later start, after this one went on
// from the baselines before them.
Status AccountingFlusher::DropUnfinished(const ShardLayout& layout, const std::string& why) {
  spdlog::error(
      "shard {}: cannot write what the credit logs of shard {} of {} hold: {}; they are removed, "
      "and what they held since its last accounting file is lost",
      options_.shard, layout.index, layout.count, why);
  auto names = files_.ListDir(options_.dir);
  const Status removed = names ? RemoveCreditLogs(files_, options_.dir, *names, layout.index,
                                                  layout.count, std::nullopt)
                               : Status{Error{names.error()}};
  if (removed) return OkStatus();
  return Error{fmt::format(
      "cannot remove the credit logs of shard {} of {} either: {} (left, a later start could "
      "credit them twice; free space in, or fix the permissions of, {})",
      layout.index, layout.count, removed.error(), options_.dir)};
}

Status AccountingFlusher::LoadSavedBaselines(const std::vector<FileSet>& sets) {
  if (Status finished = FinishOtherCounts(); !finished) {
    return Error{"accounting credit logs: " + finished.error()};
  }
  auto loaded = LoadBaselines(files_, options_.dir, Run(), sets, ledger_);
  if (!loaded) return Error{"accounting baselines: " + loaded.error()};
  if (!loaded->unread.empty()) {
    spdlog::warn(
        "shard {}: accounting baselines not all loaded: {} (those peers' next announces "
        "start their counting again)",
        options_.shard, loaded->unread);
  }
  if (loaded->loaded > 0) {
    spdlog::info("shard {}: accounting goes on from {} peers' saved counters", options_.shard,
                 loaded->loaded);
  }
  const ShardRun run = Run();
  const std::uint64_t highest_prepared = SettlePrepared(loaded->through);
  auto replayed = ReplayCreditLogs(
      files_, options_.dir, run, loaded->through,
      [&](const InfoHash& hash, std::uint64_t since) {
        return StillLatest(sets, {run.shard, run.count}, since, hash);
      },
      ledger_);
  if (!replayed) return Error{"accounting credit logs: " + replayed.error()};
  ledger_.ForgetExpired(loop_.clock().WallNow());
  if (!replayed->unread.empty()) {
    spdlog::warn(
        "shard {}: credit logs not all replayed: {} (the transfer they held is mostly "
        "credited from the clients' next counters; their completions may be lost)",
        options_.shard, replayed->unread);
  }
  // Above every number in use: a temporary file that could not be removed is never taken for a
  // later commit's.
  log_.StartAt(std::max({loaded->through, replayed->last_number, highest_prepared}) + 1);
  if (replayed->files == 0) {
    if (loaded->through > 0) RemoveLogsThrough(loaded->through);  // left by a crash, included
    return OkStatus();
  }
  spdlog::info(
      "shard {}: the accounting credited {} announces again from {} credit logs (since its last "
      "file; {} skipped: other layouts credited their torrents since)",
      options_.shard, replayed->announces, replayed->files, replayed->skipped);
  return CommitReplayed(replayed->skipped > 0);
}

// What a start replayed is committed at once (a file, or the baselines alone when nothing was
// credited), so that the logs go: one holding announces the start skipped could be replayed by a
// later start, once `retire` has removed the files that made this one skip them.
Status AccountingFlusher::CommitReplayed(bool some_skipped) {
  const Status committed = ledger_.empty() ? SaveBaselinesAlone() : Flush();
  if (committed || !some_skipped) {
    if (!committed) {
      spdlog::warn(
          "shard {}: cannot write what the credit logs held yet: {} (written with the "
          "next file)",
          options_.shard, committed.error());
    }
    return OkStatus();
  }
  return Error{"cannot commit the replayed credit logs (" + committed.error() +
               "); left as they are, a later start could credit what they hold twice: free space "
               "in, or fix the permissions of, " +
               options_.dir};
}

Status AccountingFlusher::SaveBaselinesAlone() {
  // Newer baselines would no longer say that a file still waiting for its name is committed.
  if (!HandOverPrepared()) return Error{"an earlier file waits for its name: " + handover_error_};
  NoteLogWrite(log_.WriteBuffered());
  const std::uint64_t through = log_.Rotate();
  if (Status saved =
          SaveBaselines(files_, options_.dir, Run(), through, ledger_, &baselines_synced_);
      !saved) {
    return saved;
  }
  RemoveLogsThrough(through);
  return OkStatus();
}

// A file prepared and committed by the run that stopped goes out now; any other prepared file was
// not committed, and its totals are in the credit logs.
std::uint64_t AccountingFlusher::SettlePrepared(std::uint64_t through) {
  std::uint64_t highest = 0;
  if (through > 0 &&
      files_.Exists(JoinPath(options_.dir, Prepared(through).ToString(kPreparedSuffix)))) {
    prepared_ = through;
  }
  auto names = files_.ListDir(options_.dir);
  if (!names) names = std::vector<std::string>{};  // the others wait for a start that can list
  const std::string older_build = fmt::format("shard{}.tsv.tmp", options_.shard);
  for (const std::string& name : *names) {
    const auto prepared = NumberedShardFile::Parse(name, kPreparedSuffix);
    const bool own =
        prepared && prepared->index == options_.shard && prepared->count == options_.shard_count;
    if (own) highest = std::max(highest, prepared->number);
    if (own && prepared->number == through) {
      prepared_ = through;  // (when Exists failed)
      continue;
    }
    if (own || name == older_build) {
      if (Status removed = files_.Remove(JoinPath(options_.dir, name)); !removed) {
        spdlog::warn("shard {}: {} (an accounting file never handed over; delete it)",
                     options_.shard, removed.error());
      }
    }
  }
  if (prepared_ && HandOverPrepared()) {
    spdlog::info("shard {}: handed over the accounting file the last run had saved",
                 options_.shard);
  }
  return highest;
}

void AccountingFlusher::FilesVanished() {
  worker_.Wait();
  if (prepared_ &&
      !files_.Exists(JoinPath(options_.dir, Prepared(*prepared_).ToString(kPreparedSuffix)))) {
    spdlog::error(
        "shard {}: an accounting file waiting for its name vanished with the directory; "
        "its totals are lost",
        options_.shard);
    prepared_.reset();  // else it would hold back every file after it
  }
  Status saved = OkStatus();
  if (!ledger_.empty()) {
    saved = Flush();
  } else if (ledger_.baselines() > 0) {
    saved = SaveBaselinesAlone();
  } else {
    NoteLogWrite(log_.WriteBuffered());
    log_.Rotate();  // what is credited next goes to a file in the directory made again
  }
  if (saved) return;
  spdlog::error(
      "shard {}: cannot write the accounting again after the data directory's files vanished: "
      "{} (a kill -9 before the next accounting file would lose what was credited since the "
      "last one)",
      options_.shard, saved.error());
}

bool AccountingFlusher::Close() {
  worker_.Wait();
  if (!HandOverPrepared()) return false;  // the next start hands it over
  if (!ledger_.empty()) {                 // the baselines, then the last file
    if (const Status flushed = Flush(); !flushed) {
      spdlog::error(
          "shard {}: the last accounting file failed: {} (its totals are in the credit logs, "
          "which the next start replays)",
          options_.shard, flushed.error());
      return false;
    }
    return !prepared_;  // else saved with the baselines, and handed over at the next start
  }
  if (ledger_.baselines() == 0) {
    WriteLog();
    return true;
  }
  // Nothing was credited since the last file: the baselines match it, but for what expiry forgot.
  if (Status saved = SaveBaselinesAlone(); !saved) {
    spdlog::error(
        "shard {}: cannot save the accounting's peer baselines: {} (the next start goes on from "
        "those of the last file)",
        options_.shard, saved.error());
    return false;
  }
  return true;
}

void AccountingFlusher::RegisterMetrics(MetricsRegistry& registry) const {
  const MetricLabels shard = {{"shard", std::to_string(options_.shard)}};
  registry.AddCounter("shardtrack_accounting_files_total",
                      "Accounting files written (members' transfer, for the site to import).",
                      shard, [this] { return counters_.files_written; });
  registry.AddCounter("shardtrack_accounting_failures_total",
                      "Accounting files that could not be written (their totals wait for the "
                      "next).",
                      shard, [this] { return counters_.failures; });
  registry.AddCounter("shardtrack_accounting_log_failures_total",
                      "Credit log writes and syncs that failed (what they held is credited, but a "
                      "crash before the next accounting file could lose it).",
                      shard, [this] { return counters_.log_failures; });
  registry.AddGauge("shardtrack_accounting_peers",
                    "Clients (a member's peer id on a torrent) whose transfer counters the "
                    "accounting follows, at most --max-peers.",
                    shard, [this] { return double(ledger_.baselines()); });
  registry.AddCounter("shardtrack_accounting_full_total",
                      "Announces of clients the accounting had no room to follow (it holds "
                      "--max-peers): counted, not credited, until expiry makes room.",
                      shard, [this] { return ledger_.refused_clients(); });
  registry.AddCounter("shardtrack_accounting_capped_total",
                      "Announces whose transfer was credited only up to --max-credit-rate: their "
                      "clients claimed more.",
                      shard, [this] { return ledger_.capped_credits(); });
}

}  // namespace shardtrack
