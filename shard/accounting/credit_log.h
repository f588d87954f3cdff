// CreditLog: the announces a shard's accounting credited since its last accounting file, on disk,
// so that a kill -9 loses none of them. Each announce's inputs to TransferLedger::Record are
// buffered and written at the end of the loop's turn (a write: like the journal, it survives the
// process), and synced with the journal before a counted completion's reply (PrepareSync), so a
// power loss loses no completion a client was told of either. Files are numbered: at each
// accounting file the flusher starts the next one (Rotate), and the baselines saved with that file
// name the last number they include (baseline_file.h, `through`), so a start loads them and
// replays, in order, the files numbered above it: what was credited since, rebuilt from the same
// announces. Files at or below it are removed once the accounting file is out.
//
// <accounting>/shard<index>-of-<count>-<number>.credits: preamble "STCRED" version 1, a
// kCreditLogHeader frame (record_framing.h: the generation of the writing run's first snapshot,
// u64, to check its torrents against the files of other layouts), then one kCreditedAnnounce
// frame per announce: infohash:20 | peer id:20 | uploaded:u64 | downloaded:u64 | now:i64 |
// event:u8 | flags:u8 (1 seeder, 2 over IPv6, 4 a completion the swarm counted; 8 the ledger
// followed the client, 16 it refused it as new for want of room, which a replay does again
// whatever its own bounds say; logs before 2026-12-07 evening have neither, and their replay
// decides by the bounds) | passkey (the rest). A damaged frame ends a file's replay (the next file
// goes on); a credit that one held is then mostly carried by the client's next replayed announce,
// whose counters include it. Loop thread only, but for PrepareSync's job.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/fixed_bytes.h"
#include "common/result.h"
#include "shard/accounting/baseline_file.h"
#include "shard/accounting/transfer_ledger.h"
#include "shard/peer_announce.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/shard_file_name.h"

namespace shardtrack {

inline constexpr std::string_view kCreditLogSuffix = ".credits";

// A credit log's layout and number, if `name` is one.
inline std::optional<NumberedShardFile> ParseCreditLogName(std::string_view name) {
  return NumberedShardFile::Parse(name, kCreditLogSuffix);
}

// One logged announce: TransferLedger::Record's inputs (the passkey a view into what holds it).
struct CreditedAnnounce {
  PeerAnnounce announce;
  std::string_view passkey;
  std::uint64_t uploaded = 0;
  std::uint64_t downloaded = 0;
  bool completion_counted = false;
  UnixSeconds now = 0;
  TransferLedger::NewClient new_client = TransferLedger::NewClient::kDecide;  // what Record did
};

// A file's start (preamble and header), and one announce's record, appended to `out`.
void AppendCreditLogHeader(std::uint64_t since, std::string& out);
void AppendCreditRecord(const CreditedAnnounce& credited, std::string& out);

class CreditLog {
 public:
  // Writes files of `run`'s layout from `first_number` on (a file is created at its first write).
  CreditLog(FileOps& files, std::string accounting_dir, const ShardRun& run,
            std::uint64_t first_number);

  // Before the first Append: the number of the first file (above every file of the layout).
  void StartAt(std::uint64_t number) { number_ = number; }

  void Append(const CreditedAnnounce& credited) { AppendCreditRecord(credited, buffer_); }
  bool has_buffered() const { return !buffer_.empty(); }
  // Writes what Append buffered. On failure it is dropped (the ledger still holds it: only a
  // crash before the next accounting file would lose it) and the error returned.
  Status WriteBuffered();
  // Starts the next file, after WriteBuffered. Returns the number of the file it closed: what the
  // ledger holds now is the replay of it and of every file before it.
  std::uint64_t Rotate();
  std::uint64_t number() const { return number_; }
  // A job for another thread that makes everything written so far durable: an fdatasync of each
  // file written since the last job (one Rotate closed too, until Committed), and of the
  // directory and its parent when one of them is new. Empty when nothing was written since. The
  // job keeps its files open.
  std::function<Status()> PrepareSync();
  // The files numbered up to `through` are in a committed accounting file (synced): no job needs
  // them any more, and they are closed.
  void Committed(std::uint64_t through);

 private:
  FileOps& files_;
  const std::string dir_;
  const ShardRun run_;
  std::uint64_t number_;
  std::shared_ptr<WritableFile> file_;  // the current file, once written to
  std::string buffer_;
  // Written since the last PrepareSync: files (the current one last) and whether one is new.
  std::vector<std::pair<std::uint64_t, std::shared_ptr<WritableFile>>> unsynced_;
  bool new_entry_unsynced_ = false;
};

// What a start replayed: announces, files, and what could not be read (a damaged file: logged).
struct ReplayedCredits {
  std::size_t announces = 0;
  std::size_t skipped = 0;  // announces the check refused
  std::size_t files = 0;
  std::uint64_t last_number = 0;  // the highest number found (replayed or not)
  std::uint64_t since = 0;        // the writing run's generation, in the last file replayed
  std::string unread;
};

// Whether an announce to `hash` that a run begun at generation `since` logged may be replayed
// (baseline_file.h's check: no other layout credited the torrent since).
using ReplayCheck = std::function<bool(const InfoHash& hash, std::uint64_t since)>;

// Replays one file's text into `ledger`, the announces `check` passes (counted in `announces`);
// an error names the damage, after what came before it was replayed.
Status ReplayCreditLog(std::string_view file, const ReplayCheck& check, TransferLedger& ledger,
                       ReplayedCredits& counts);

// Replays into `ledger`, in order, the announces of `run`'s layout's files numbered above
// `through` that `check` passes. An error: the directory could not be listed.
Result<ReplayedCredits> ReplayCreditLogs(FileOps& files, const std::string& accounting_dir,
                                         const ShardRun& run, std::uint64_t through,
                                         const ReplayCheck& check, TransferLedger& ledger);

// Removes the files of the layout `shard` of `count` numbered at or below `through` (all of them
// when nullopt), of `names` (the directory's), and syncs the directory.
Status RemoveCreditLogs(FileOps& files, const std::string& accounting_dir,
                        const std::vector<std::string>& names, std::uint32_t shard,
                        std::uint32_t count, std::optional<std::uint64_t> through);

}  // namespace shardtrack
