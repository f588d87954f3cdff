// AccountingFlusher: hands a shard's TransferLedger totals to the site as an accounting file
// (accounting_file.h) every `interval`, and at once on Flush (shutdown). Every second it also
// forgets, in one slice of the ledger, the baselines of peers silent for longer than the peer
// timeout, going round them all each kExpiryLap. A flush with nothing credited
// writes nothing. A file that cannot be written is logged as an error and its totals go back to
// the ledger for the next tick, so a full disk delays accounting but loses none of it. The
// write (a small file, two syncs) runs on the loop. Loop thread only; borrows the loop, the
// FileOps and the ledger, which must outlive it.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/reactor/event_loop.h"
#include "common/result.h"
#include "shard/accounting/transfer_ledger.h"
#include "shard/persistence/file_ops.h"

namespace shardtrack {

class AccountingFlusher {
 public:
  static constexpr Duration kExpirySlice = std::chrono::seconds(1);
  static constexpr int kExpiryLap = 60;  // slices
  struct Options {
    std::string dir;  // <data-dir>/accounting
    std::uint32_t shard = 0;
    Duration interval = std::chrono::seconds(60);
    std::int64_t peer_timeout = 2700;  // seconds: baselines older than this are forgotten
  };
  struct Counters {
    std::uint64_t files_written = 0;
    std::uint64_t failures = 0;
  };

  AccountingFlusher(EventLoop& loop, FileOps& files, Options options, TransferLedger& ledger);
  ~AccountingFlusher();
  AccountingFlusher(const AccountingFlusher&) = delete;
  AccountingFlusher& operator=(const AccountingFlusher&) = delete;

  // Flushes every `interval` from now on.
  void Start();
  // Writes what the ledger holds now (nothing when it holds nothing).
  Status Flush();
  const Counters& counters() const { return counters_; }
  // Its files and failures, and the ledger's baselines, labelled with the shard's index.
  void RegisterMetrics(MetricsRegistry& registry) const;

 private:
  void OnTimer();
  void OnExpiryTimer();

  EventLoop& loop_;
  FileOps& files_;
  const Options options_;
  TransferLedger& ledger_;
  std::uint64_t sequence_ = 0;
  Counters counters_;
  TimerId timer_ = 0;
  TimerId expiry_timer_ = 0;
};

}  // namespace shardtrack
