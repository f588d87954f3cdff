// The accounting's peer baselines across a restart, planned or not: a shard saves them to
// <data-dir>/accounting/shard<index>-of-<count>.baselines just before each accounting file it
// writes (and at a stop), so the file on disk always says where the counters stood when the
// newest accounting file was taken: a start after a kill -9 loads it and credits each client's
// next announce with what its counters grew since that file, never twice. The next start of that
// shard index loads them, after a change of shard count too (and forgets those past the peer
// timeout once it has replayed the credit logs on them): the
// torrents a shard keeps across a resize keep their clients' counters (those of torrents that
// moved to a new index start again from their next announce: each shard hashes its clients
// under a key of its own, which the new shard cannot take up). Preamble "STBASE" version 6, then
// a kAccountingClientKey frame (record_framing.h: the ledger's client key, two u64, which the
// loading ledger takes, the saving run's first snapshot generation, u64, and the number of the
// last credit log its baselines include, u64: credit_log.h), then one
// kAccountingBaseline frame per client: infohash:20 | client:u64 | member:u64 | uploaded:u64 |
// downloaded:u64 | last_seen:i64 | flags:u8 (1 seeder, 2 completion credited, 4 set over IPv6:
// counters that go back from the other family are an overtaken announce, TransferLedger).
// Versions 5 (without the credit log: as through none), 4 (without the run's generation either:
// its set's is taken) and 3 (without the family either: read as IPv4 throughout) are read; older
// versions (1: by address and port, before 2026-12-05; 2: without the member) are removed unread,
// as after a crash. Written under a .tmp name, synced and renamed into place. Through FileOps: on
// the flusher's worker with each accounting file (73 bytes a client), on the loop at a stop and at
// start.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "shard/accounting/transfer_ledger.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/loading_set.h"
#include "shard/persistence/shard_file_name.h"

namespace shardtrack {

std::string BaselineFileName(std::uint32_t shard, std::uint32_t count);
std::string BaselineFilePath(const std::string& accounting_dir, std::uint32_t shard,
                             std::uint32_t count);

// One run of one shard: its index, its layout, and the generation of the first snapshot it wrote
// (ShardPersistence's at open), which every file it saves carries.
struct ShardRun {
  std::uint32_t shard = 0;
  std::uint32_t count = 1;
  std::uint64_t since = 0;
};

// One shard's saved baselines as read: whose they are, and since when they speak.
struct SavedBaselines {
  std::uint32_t index = 0;
  std::uint32_t count = 1;
  // The generation the saving run's first snapshot took (version 5); 0 in older versions, whose
  // baselines are then taken only for torrents no other layout owns.
  std::uint64_t since = 0;
  // The last credit log (credit_log.h) its baselines include (version 6; 0 before), once read.
  std::optional<std::uint64_t> through;
  SipHashKey client_key{};
  std::vector<TransferLedger::PeerBaseline> baselines;
};

// Reads the file of the layout `out` names, into `out`. An error: it cannot be read, or it is
// damaged (the records before the damage are in `out`).
Status ReadBaselineFile(FileOps& files, const std::string& accounting_dir, SavedBaselines& out);

// `through`: the number of the last credit log whose announces the baselines include. Once the
// file is in place it is saved, even when the directory's sync then fails (only warned):
// `directory_synced`, if given, says whether it went.
Status SaveBaselines(FileOps& files, const std::string& accounting_dir, const ShardRun& run,
                     std::uint64_t through, const TransferLedger& ledger,
                     bool* directory_synced = nullptr);
// The same from a copy, off the loop thread.
Status SaveBaselines(FileOps& files, const std::string& accounting_dir, const ShardRun& run,
                     std::uint64_t through, const SipHashKey& client_key,
                     const std::vector<TransferLedger::PeerBaseline>& baselines,
                     bool* directory_synced = nullptr);

// What a start took up: how many baselines, and what could not be read (a damaged file, removed
// after the good records before the damage were loaded: logged, those clients start again).
struct LoadedBaselines {
  std::size_t loaded = 0;
  std::string unread;
  // This layout's credit logs numbered above this are still to be replayed (credit_log.h).
  std::uint64_t through = 0;
};

// Loads into `ledger` (empty) the saved baselines of the torrents `run` owns, from the file of this
// shard index (of any shard count: the cluster may have been resized) that the latest run saved, of
// those whose set the state load read (`sets`). Call it before this run's first snapshot. A
// baseline is loaded only while no other set that owns its torrent has written since the run that
// saved it began (a layout that ran since credited the torrent itself). Unless this layout's own
// file was loaded as it is, it is replaced by what was loaded, or removed: left older than this
// run's first snapshot, it could later pass for current (say once `retire` removed the files that
// show it stale). An error (the listing, or that replacement, failed) must stop the start. The same
// index's files of other shard counts, and those of builds that named them by index alone, are then
// removed (other indexes' wait for their shards), with their credit logs. A file removed as damaged
// or unread takes its layout's credit logs with it: which of them it included is unknown.
Result<LoadedBaselines> LoadBaselines(FileOps& files, const std::string& accounting_dir,
                                      const ShardRun& run, const std::vector<FileSet>& sets,
                                      TransferLedger& ledger);

// Whether what a run of the layout `saved_by` begun at generation `since` says of `hash` is still
// the latest word on it: no other set that owns the torrent wrote anything since (state_loader.h:
// a run's first snapshot outranks everything it read). A layout that ran since credited the
// torrent itself, so an older baseline, or a logged announce, would credit that again.
bool StillLatest(const std::vector<FileSet>& sets, ShardLayout saved_by, std::uint64_t since,
                 const InfoHash& hash);

// Removes every shard's baselines and credit logs of shard counts other than `count` and those
// in `counts_kept` (`shardtrack-dfile retire`, once this layout's shards outrank every file of
// another count: each settled that count's accounting at its start; a count some of whose files
// stay keeps its accounting with them). Returns the names removed; none without a directory.
Result<std::vector<std::string>> RetireOtherCountBaselines(
    FileOps& files, const std::string& accounting_dir, std::uint32_t count,
    const std::vector<std::uint32_t>& counts_kept = {});

}  // namespace shardtrack
