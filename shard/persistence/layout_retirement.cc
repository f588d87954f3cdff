#include "shard/persistence/layout_retirement.h"

#include <algorithm>
#include <optional>

#include "shard/persistence/data_dir_lock.h"
#include "shard/persistence/journal_file.h"
#include "shard/persistence/loading_set.h"
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

// A shard file of the data directory (quarantined files are none), as retire sees it.
struct ShardFile {
  std::string name;
  ShardFileName parsed;
  std::optional<std::uint64_t> generation;  // nullopt: its header cannot be read
};

// Every shard file in `dir`, by name; a temp file counts as generation 0 (it is never read).
Result<std::vector<ShardFile>> ListShardFiles(FileOps& ops, const std::string& dir) {
  auto names = ops.ListDir(dir);
  if (!names) return Error{names.error()};
  std::sort(names->begin(), names->end());
  std::vector<ShardFile> files;
  for (const std::string& name : *names) {
    auto parsed = ShardFileName::Parse(name);
    if (!parsed) continue;
    auto generation =
        parsed->is_temp() ? std::optional<std::uint64_t>(0) : GenerationOf(ops, dir, *parsed);
    files.push_back({name, *parsed, generation});
  }
  return files;
}

const ShardFile* Find(const std::vector<ShardFile>& files, const ShardFileName& wanted) {
  for (const ShardFile& file : files) {
    const ShardFileName& name = file.parsed;
    if (name.index == wanted.index && name.count == wanted.count && name.kind == wanted.kind) {
      return &file;
    }
  }
  return nullptr;
}

// The other shard count whose readable files include the newest one, and that generation.
struct NewestOther {
  std::uint32_t count = 0;
  std::uint64_t generation = 0;
};

std::optional<NewestOther> FindNewestOther(const std::vector<ShardFile>& files,
                                           std::uint32_t count) {
  std::optional<NewestOther> newest;
  for (const ShardFile& file : files) {
    if (file.parsed.count == count || !file.generation) continue;
    if (!newest || *file.generation > newest->generation) {
      newest = NewestOther{file.parsed.count, *file.generation};
    }
  }
  return newest;
}

std::string ShardOf(std::uint32_t index, std::uint32_t count) {
  return "shard " + std::to_string(index) + " of " + std::to_string(count);
}

// One current shard's snapshot and previous snapshot, by generation.
struct CurrentShard {
  std::uint32_t index = 0;
  std::uint64_t snapshot = 0;
  std::optional<std::uint64_t> previous;
};

// Each current shard's snapshots, or why one cannot be told (a shard not started yet).
Result<std::vector<CurrentShard>> CurrentShards(const std::vector<ShardFile>& files,
                                                std::uint32_t count) {
  std::vector<CurrentShard> shards;
  for (std::uint32_t index = 0; index < count; ++index) {
    const ShardFileName name{index, count, ShardFileKind::kSnapshot};
    const ShardFile* snapshot = Find(files, name);
    const ShardFile* previous = Find(files, name.As(ShardFileKind::kPreviousSnapshot));
    const std::string problem =
        !snapshot || !snapshot->generation ? name.ToString() + " is missing or unreadable"
        : previous != nullptr && !previous->generation ? previous->name + " is unreadable"
                                                       : "";
    if (!problem.empty()) {
      return Error{"waiting for " + ShardOf(index, count) + ": " + problem +
                   ": every shard of the new layout must start first (is " + std::to_string(count) +
                   " the shard count they run at?)"};
    }
    shards.push_back({index, *snapshot->generation,
                      previous ? previous->generation : std::optional<std::uint64_t>()});
  }
  return shards;
}

// Why the current shards do not all outrank every file of the other counts yet, or "" once they
// do. A shard's `.prev` counts too: it is what a start falls back on should its snapshot be
// damaged, and one written before another count ran never read that count's files.
std::string WhyWaiting(const std::vector<ShardFile>& files, std::uint32_t count) {
  auto shards = CurrentShards(files, count);
  if (!shards) return shards.error();
  const auto newest = FindNewestOther(files, count);
  if (!newest) return "";
  const std::string others = "the files of " + std::to_string(newest->count) +
                             " shards (up to generation " + std::to_string(newest->generation) +
                             ")";
  std::uint64_t newest_snapshot = 0;
  for (const CurrentShard& shard : *shards) {
    newest_snapshot = std::max(newest_snapshot, shard.snapshot);
  }
  if (newest_snapshot <= newest->generation) {
    return "--count " + std::to_string(count) + " looks older than " + others + ": no shard of " +
           std::to_string(count) + " has started since they ran (their newest snapshot is of " +
           "generation " + std::to_string(newest_snapshot) + "). Is " + std::to_string(count) +
           " the shard count the cluster runs at? If so, start its " +
           "shards, then run retire again; if it runs at " + std::to_string(newest->count) +
           ", retire with --count " + std::to_string(newest->count);
  }
  for (const CurrentShard& shard : *shards) {
    const std::string waiting = "waiting for " + ShardOf(shard.index, count) + ": ";
    if (shard.snapshot <= newest->generation) {
      return waiting + "its snapshot (generation " + std::to_string(shard.snapshot) +
             ") is not newer than " + others +
             ": it has not started since they ran, or is still loading; run retire again once "
             "it has started";
    }
    if (shard.previous && *shard.previous <= newest->generation) {
      return waiting + "its previous snapshot (generation " + std::to_string(*shard.previous) +
             "), which a start falls back on should its snapshot be damaged, is not newer than " +
             others +
             "; run retire again after its next snapshot (every --save-dfile-interval seconds, "
             "and at its stop)";
    }
  }
  return "";
}

// Every set (index, count) with files in the directory, at the newest generation its readable
// files' headers name (0 if none can be read: there, but damaged, which loading reports).
std::vector<FileSet> SetsOnDisk(const std::vector<ShardFile>& files) {
  std::vector<FileSet> sets;
  for (const ShardFile& file : files) {
    if (file.parsed.is_temp()) continue;
    const FileSet named{file.parsed.index, file.parsed.count, file.generation.value_or(0)};
    auto same = std::find_if(sets.begin(), sets.end(), [&](const FileSet& set) {
      return set.index == named.index && set.count == named.count;
    });
    if (same == sets.end()) {
      sets.push_back(named);
    } else {
      same->generation = std::max(same->generation, named.generation);
    }
  }
  return sets;
}

// The current shards that will refuse to start for another layout's missing files, as their
// loads would (state_loader.h).
std::vector<std::string> RefusedStarts(const std::vector<ShardFile>& files, const std::string& dir,
                                       std::uint32_t count) {
  const std::vector<FileSet> sets = SetsOnDisk(files);
  std::vector<std::string> refused;
  for (std::uint32_t index = 0; index < count; ++index) {
    for (const LayoutGap& gap : UncoveredGaps(sets, index, count, count)) {
      refused.push_back(ShardOf(index, count) + " will refuse to start: " + DescribeGap(gap, dir) +
                        "; put the missing files back (to go on without them, or after a "
                        "resize given up, see --on-corrupt=quarantine in docs/persistence.md, "
                        "\"Changing the shard count\")");
    }
  }
  return refused;
}

}  // namespace

Result<std::vector<std::string>> StartsRefused(FileOps& ops, const std::string& dir,
                                               std::uint32_t count) {
  auto files = ListShardFiles(ops, dir);
  if (!files) return Error{files.error()};
  return RefusedStarts(*files, dir, count);
}

Result<Retirement> RetireOldLayouts(FileOps& ops, const std::string& dir, std::uint32_t count) {
  if (Status idle = DataDirLock::CheckNoneRunsBut(dir, count); !idle) return Error{idle.error()};
  auto files = ListShardFiles(ops, dir);
  if (!files) return Error{files.error()};
  Retirement out;
  out.waiting_for = WhyWaiting(*files, count);
  for (const ShardFile& file : *files) {
    if (file.parsed.count == count) continue;
    if (!out.waiting_for.empty() || !file.generation) {
      out.kept.push_back(file.name);
      if (!file.generation && !std::ranges::count(out.counts_kept, file.parsed.count)) {
        out.counts_kept.push_back(file.parsed.count);
      }
      continue;
    }
    if (Status removed = ops.Remove(JoinPath(dir, file.name)); !removed) {
      return Error{removed.error()};
    }
    out.removed.push_back(file.name);
  }
  if (!out.waiting_for.empty()) out.refused_starts = RefusedStarts(*files, dir, count);
  if (!out.removed.empty()) {
    if (Status synced = ops.SyncDir(dir); !synced) return Error{synced.error()};
  }
  return out;
}

}  // namespace shardtrack
