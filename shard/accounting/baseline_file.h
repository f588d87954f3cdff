// The accounting's peer baselines across a restart, planned or not: a shard saves them to
// <data-dir>/accounting/shard<index>-of-<count>.baselines just before each accounting file it
// writes (and at a stop), so the file on disk always says where the counters stood when the
// newest accounting file was taken: a start after a kill -9 loads it and credits each client's
// next announce with what its counters grew since that file, never twice. The next start of that
// shard of that layout loads those still within the peer timeout. After a change of shard count
// the files of the old layout are removed unread: their peers are another shard's now, and
// loading them where the torrents moved would credit a transfer twice; those peers start again
// from their next announce. Preamble "STBASE" version 4, then a
// kAccountingClientKey frame (record_framing.h: the ledger's client key, two u64, which the
// loading ledger takes), then one kAccountingBaseline frame per client: infohash:20 |
// client:u64 | member:u64 | uploaded:u64 | downloaded:u64 | last_seen:i64 | flags:u8 (1 seeder,
// 2 completion credited, 4 set over IPv6: counters that go back from the other family are an
// overtaken announce, TransferLedger). Version 3 (without the family) is read as IPv4 throughout;
// older versions (1: by address and port, before 2026-12-05; 2: without the member) are removed
// unread, as after a crash. Written under a .tmp name, synced and renamed
// into place. Through FileOps: on the flusher's worker with each accounting file (73 bytes a
// client), on the loop at a stop and at start.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "shard/accounting/transfer_ledger.h"
#include "shard/persistence/file_ops.h"

namespace shardtrack {

std::string BaselineFilePath(const std::string& accounting_dir, std::uint32_t shard,
                             std::uint32_t count);

Status SaveBaselines(FileOps& files, const std::string& accounting_dir, std::uint32_t shard,
                     std::uint32_t count, const TransferLedger& ledger);
// The same from a copy, off the loop thread.
Status SaveBaselines(FileOps& files, const std::string& accounting_dir, std::uint32_t shard,
                     std::uint32_t count, const SipHashKey& client_key,
                     const std::vector<TransferLedger::PeerBaseline>& baselines);
// Removes the saved baselines, if any (and syncs the directory): what a shard does when it
// cannot save newer ones before an accounting file, which the old ones would credit again.
Status RemoveBaselines(FileOps& files, const std::string& accounting_dir, std::uint32_t shard,
                       std::uint32_t count);

// Loads the saved baselines last seen after `cutoff` into `ledger`, leaving the file in place;
// returns how many were loaded (0 without a file). A damaged file is an error, and is removed
// after the good records before the damage were loaded (unless the removal fails: then nothing
// is loaded). Baseline files of other shard counts (and of builds that named them by index alone)
// are removed.
Result<std::size_t> LoadBaselines(FileOps& files, const std::string& accounting_dir,
                                  std::uint32_t shard, std::uint32_t count, UnixSeconds cutoff,
                                  TransferLedger& ledger);

}  // namespace shardtrack
