#include "shard/persistence/layout_retirement.h"

#include <algorithm>
#include <optional>

#include "shard/persistence/data_dir_lock.h"
#include "shard/persistence/journal_file.h"
#include "shard/persistence/record_framing.h"
#include "shard/persistence/shard_file_name.h"
#include "shard/persistence/snapshot_file.h"

namespace shardtrack {
namespace {

// Preamble + the header frame (8-byte frame header, type byte, 24 bytes of fields).
constexpr std::uint64_t kHeaderBytes = kPreambleSize + kFrameHeaderSize + 1 + 24;

std::optional<std::uint64_t> GenerationOf(FileOps& ops, const std::string& dir,
                                          const ShardFileName& name) {
  const bool journal =
      name.kind == ShardFileKind::kJournal || name.kind == ShardFileKind::kPreviousJournal;
  auto prefix = ops.ReadFile(JoinPath(dir, name.ToString()), kHeaderBytes);
  if (!prefix) return std::nullopt;
  auto header =
      journal
          ? ParseFileHeader(*prefix, kJournalMagic, kJournalVersion, RecordType::kJournalHeader)
          : ParseFileHeader(*prefix, kSnapshotMagic, kSnapshotVersion, RecordType::kSnapshotHeader);
  if (!header) return std::nullopt;
  return header->generation;
}

// The lowest generation among the current layout's snapshots (and .prevs), or why there is none.
Result<std::uint64_t> CurrentLayoutFloor(FileOps& ops, const std::string& dir,
                                         std::uint32_t count) {
  std::uint64_t floor = UINT64_MAX;
  for (std::uint32_t index = 0; index < count; ++index) {
    const ShardFileName snapshot{index, count, ShardFileKind::kSnapshot};
    auto generation = GenerationOf(ops, dir, snapshot);
    if (!generation) return Error{snapshot.ToString() + " is missing or unreadable"};
    floor = std::min(floor, *generation);
    const ShardFileName previous = snapshot.As(ShardFileKind::kPreviousSnapshot);
    if (ops.Exists(JoinPath(dir, previous.ToString()))) {
      auto previous_generation = GenerationOf(ops, dir, previous);
      if (!previous_generation) return Error{previous.ToString() + " is unreadable"};
      floor = std::min(floor, *previous_generation);
    }
  }
  return floor;
}

}  // namespace

Result<Retirement> RetireOldLayouts(FileOps& ops, const std::string& dir, std::uint32_t count) {
  if (Status idle = DataDirLock::CheckNoneRunsBut(dir, count); !idle) return Error{idle.error()};
  auto names = ops.ListDir(dir);
  if (!names) return Error{names.error()};
  std::sort(names->begin(), names->end());
  Retirement out;
  auto floor = CurrentLayoutFloor(ops, dir, count);
  for (const std::string& file : *names) {
    auto name = ShardFileName::Parse(file);
    if (!name || name->count == count) continue;
    auto generation =
        name->is_temp() ? std::optional<std::uint64_t>(0) : GenerationOf(ops, dir, *name);
    if (!floor || !generation || *generation >= *floor) {
      out.kept.push_back(file);
      continue;
    }
    if (Status removed = ops.Remove(JoinPath(dir, file)); !removed) return Error{removed.error()};
    out.removed.push_back(file);
  }
  if (!floor) {
    out.waiting_for = floor.error() + ": every shard of the new layout must start first (is " +
                      std::to_string(count) + " the shard count they run at?)";
  }
  if (!out.removed.empty()) {
    if (Status synced = ops.SyncDir(dir); !synced) return Error{synced.error()};
  }
  return out;
}

}  // namespace shardtrack
