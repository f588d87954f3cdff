#include "shard/persistence/data_dir_tools.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <thread>

#include "common/list_file.h"
#include "shard/persistence/bttrack_dfile.h"
#include "shard/persistence/data_dir_lock.h"
#include "shard/persistence/journal_file.h"
#include "shard/persistence/shard_file_name.h"
#include "shard/persistence/snapshot_file.h"
#include "shard/persistence/state_loader.h"

namespace shardtrack {
namespace {

// What an import wrote, given to the directory's owner (GiveToDirectoryOwner) so that a shard
// run as that user may read it; says what could not be given.
std::string GiveImportToDirectoryOwner(const std::string& dir) {
  std::string failed;
  for (ShardFileKind kind : {ShardFileKind::kSnapshot, ShardFileKind::kJournal}) {
    const Status given =
        GiveToDirectoryOwner(JoinPath(dir, ShardFileName{0, 1, kind}.ToString()), dir);
    if (!given) failed += "; " + given.error() + " (chown it, or the shard cannot read it)";
  }
  return failed;
}

std::string Of(const ShardFileName& name) {
  return "shard " + std::to_string(name.index) + " of " + std::to_string(name.count);
}

FileReport InspectSnapshot(std::string_view bytes, const ShardFileName& name) {
  auto contents = ParseSnapshot(bytes, [](const InfoHash&) { return true; });
  if (!contents) return {name.ToString(), false, "snapshot, CORRUPT: " + contents.error()};
  std::uint64_t completed = 0;
  for (const TorrentRecord& torrent : contents->torrents) completed += torrent.completed;
  return {name.ToString(), true,
          std::string(name.kind == ShardFileKind::kPreviousSnapshot ? "previous " : "") +
              "snapshot of " + Of(name) + ", generation " +
              std::to_string(contents->header.generation) + ", " +
              std::to_string(contents->stats.torrents) + " torrents, " +
              std::to_string(contents->stats.peers) + " peers, " + std::to_string(completed) +
              " completed, " + std::to_string(bytes.size()) + " bytes, checksums OK"};
}

FileReport InspectJournal(std::string_view bytes, const ShardFileName& name) {
  auto contents = ParseJournal(bytes);
  if (!contents) return {name.ToString(), false, "journal, CORRUPT: " + contents.error()};
  std::array<std::uint64_t, kJournalOps> counts{};
  for (const JournalEntry& entry : contents->entries) ++counts.at(static_cast<int>(entry.op));
  const auto count = [&counts](JournalOp op) {
    return std::to_string(counts[static_cast<int>(op)]);
  };
  std::string text = "journal of " + Of(name) + " after generation " +
                     std::to_string(contents->header.generation) + ", " +
                     count(JournalOp::kCompleted) + " completed, " + count(JournalOp::kPeerUpsert) +
                     " peer updates, " + count(JournalOp::kPeerRemove) + " peer removals, " +
                     count(JournalOp::kForget) + " torrents forgotten, " +
                     std::to_string(bytes.size()) + " bytes, checksums OK";
  if (contents->torn_tail_bytes > 0) {
    text += " (a torn final record of " + std::to_string(contents->torn_tail_bytes) +
            " bytes will be ignored)";
  }
  return {name.ToString(), true, text};
}

FileReport InspectFile(FileOps& ops, const std::string& dir, const std::string& file) {
  if (IsQuarantinedName(file)) return {file, true, "quarantined; never read"};
  auto name = ShardFileName::Parse(file);
  if (!name) return {file, true, ""};
  if (name->is_temp()) {
    return {file, true, "temp file left by a crash; its shard removes it at start"};
  }
  auto bytes = ops.ReadFile(JoinPath(dir, file), UINT64_MAX);
  if (!bytes) return {file, false, "UNREADABLE: " + bytes.error()};
  if (name->kind == ShardFileKind::kJournal || name->kind == ShardFileKind::kPreviousJournal) {
    return InspectJournal(*bytes, *name);
  }
  return InspectSnapshot(*bytes, *name);
}

// Whether `name` is the empty journal a one-shard layout starts with (StartFirstJournal): all an
// import or a first start leaves when it stops before its snapshot, holding nothing.
bool IsEmptyFirstJournal(FileOps& ops, const std::string& dir, const std::string& name) {
  if (name != ShardFileName{0, 1, ShardFileKind::kJournal}.ToString()) return false;
  auto bytes = ops.ReadFile(JoinPath(dir, name), 4096);
  auto contents = bytes ? ParseJournal(*bytes) : Result<JournalContents>(Error{bytes.error()});
  return contents && contents->header.generation == 0 && contents->records == 0 &&
         contents->torn_tail_bytes == 0;
}

// Every torrent in `dir`. Shards running on it rotate their files, which can fail a load (a file
// changed or gone between its reads): the tools run beside live shards, so they try again.
Result<LoadedState> LoadAllSettled(FileOps& ops, const std::string& dir) {
  constexpr int kAttempts = 3;
  auto all = LoadAllState(ops, dir);
  for (int attempt = 1; !all && attempt < kAttempts; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    all = LoadAllState(ops, dir);
  }
  return all;
}

}  // namespace

bool DataDirReport::ok() const {
  return unlisted.empty() && !merge_failed &&
         std::all_of(files.begin(), files.end(), [](const FileReport& file) { return file.ok; });
}

DataDirReport InspectDataDir(FileOps& ops, const std::string& dir) {
  DataDirReport report;
  auto names = ops.ListDir(dir);
  if (!names) {
    report.unlisted = names.error();
    return report;
  }
  std::sort(names->begin(), names->end());
  for (const std::string& file : *names) {
    FileReport file_report = InspectFile(ops, dir, file);
    if (!file_report.text.empty()) report.files.push_back(std::move(file_report));
  }
  auto all = LoadAllSettled(ops, dir);
  if (!all) {
    report.merged = "cannot merge: " + all.error();
    report.merge_failed = true;
    return report;
  }
  std::uint64_t completed = 0;
  for (const TorrentRecord& torrent : all->torrents) completed += torrent.completed;
  report.merged = "a cluster of any size would serve " + std::to_string(all->torrents.size()) +
                  " torrents, " + std::to_string(all->peers()) + " peers (before expiry), " +
                  std::to_string(completed) + " completed in all";
  return report;
}

Result<std::string> ExportDfile(FileOps& ops, const std::string& dir, UnixSeconds live_since) {
  auto all = LoadAllSettled(ops, dir);
  if (!all) return Error{all.error()};
  // An empty dfile written over --out (perhaps the original tracker's) for a mistyped directory
  // would lose it.
  if (all->fresh_start()) {
    return Error{"no shard files in " + dir + ": is it the shards' --data-dir?"};
  }
  for (TorrentRecord& torrent : all->torrents) {
    std::erase_if(torrent.peers,
                  [live_since](const PeerRecord& peer) { return peer.last_seen < live_since; });
  }
  return WriteBttrackDfile(all->torrents);
}

Result<std::string> ImportDfile(FileOps& ops, const std::string& dir, std::string_view dfile,
                                UnixSeconds now) {
  auto imported = ParseBttrackDfile(dfile, now);
  if (!imported) return Error{"not a bttrack dfile: " + imported.error()};
  if (Status created = ops.CreateDir(dir); !created) return Error{created.error()};
  // As the one shard of the layout it writes: no shard starts on `dir` meanwhile.
  auto lock = DataDirLock::Take(dir, 0, 1);
  if (!lock) return Error{lock.error()};
  auto names = ops.ListDir(dir);
  if (!names) return Error{names.error()};
  for (const std::string& name : *names) {
    const auto parsed = ShardFileName::Parse(name);
    if (!parsed && !IsQuarantinedName(name)) continue;
    // What an import or a first start cut short leaves: an empty journal, a file half-written
    // (written afresh below).
    if (IsEmptyFirstJournal(ops, dir, name) || (parsed && parsed->is_temp())) continue;
    return Error{dir + " already holds shardtrack files (" + name +
                 "); import into an empty directory"};
  }
  if (Status started = StartFirstJournal(ops, dir, 0, 1, now); !started) {
    return Error{started.error()};
  }
  const FileHeader header{0, 1, 1, now};
  auto written = WriteSnapshot(ops, dir, header, [&](const TorrentVisitor& visit) {
    for (const TorrentRecord& torrent : imported->torrents) visit(torrent);
  });
  if (!written) return Error{written.error()};
  std::string summary = "imported " + std::to_string(written->torrents) + " torrents, " +
                        std::to_string(written->peers) + " peers and " +
                        std::to_string(written->completed_total) + " completed into " +
                        JoinPath(dir, ShardFileName{0, 1, ShardFileKind::kSnapshot}.ToString());
  if (imported->skipped_peers > 0) {
    summary += "; skipped " + std::to_string(imported->skipped_peers) +
               " peers without a usable ip and port";
  }
  if (imported->skipped_entries > 0) {
    summary += "; skipped " + std::to_string(imported->skipped_entries) +
               " torrent entries not keyed by a 20-byte infohash or not holding peers or a count";
  }
  if (imported->duplicate_peers > 0) {
    summary += "; " + std::to_string(imported->duplicate_peers) +
               " peers left out: a later peer id of their torrent is at the same address and port";
  }
  if (imported->clamped_counts > 0) {
    summary += "; " + std::to_string(imported->clamped_counts) +
               " completed counts over 4294967295, the most a swarm keeps, taken as that";
  }
  for (const std::string& key : imported->ignored_keys) {
    summary += "; ignored '" + Shown(key) + "'";
  }
  return summary + GiveImportToDirectoryOwner(dir);
}

}  // namespace shardtrack
