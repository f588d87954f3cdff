// ShardFileName: the names of a shard's files in the data directory. Pure.
//
//   shard-<index>-of-<count>.snapshot       the current snapshot
//   shard-<index>-of-<count>.snapshot.prev  the one before it (a hard link), for quarantine
//   shard-<index>-of-<count>.journal        changes since the current snapshot
//   shard-<index>-of-<count>.journal.prev   changes from the previous snapshot to the current one
//                                           (a hard link), so .prev + both journals lose nothing
//   <either>.tmp                            being written; never read, removed when found
//   <any of the above>.corrupt-<unix time>  quarantined by --on-corrupt=quarantine; never read
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shardtrack {

enum class ShardFileKind {
  kSnapshot,
  kPreviousSnapshot,
  kJournal,
  kPreviousJournal,
  kSnapshotTemp,
  kJournalTemp
};

struct ShardFileName {
  std::uint32_t index = 0;
  std::uint32_t count = 1;
  ShardFileKind kind = ShardFileKind::kSnapshot;

  // nullopt for any other name, quarantined files included.
  static std::optional<ShardFileName> Parse(std::string_view name);
  std::string ToString() const;
  ShardFileName As(ShardFileKind other) const { return {index, count, other}; }
  // A file being written (a crash may leave one); never read.
  bool is_temp() const {
    return kind == ShardFileKind::kSnapshotTemp || kind == ShardFileKind::kJournalTemp;
  }
};

// A file moved aside by quarantine.
bool IsQuarantinedName(std::string_view name);

// "<index>-of-<count>" at the front of `text` (canonical decimals, the index below the count),
// taken off it: the middle of every shard's file names, the accounting's baselines' too.
struct ShardLayout {
  std::uint32_t index = 0;
  std::uint32_t count = 1;
  auto operator<=>(const ShardLayout&) const = default;
};
std::optional<ShardLayout> TakeShardLayout(std::string_view& text);

// "shard<index>-of-<count>-<number><suffix>": the accounting's numbered files (its credit logs,
// and an accounting file not handed over yet).
struct NumberedShardFile {
  std::uint32_t index = 0;
  std::uint32_t count = 1;
  std::uint64_t number = 0;

  static std::optional<NumberedShardFile> Parse(std::string_view name, std::string_view suffix);
  std::string ToString(std::string_view suffix) const;
};

}  // namespace shardtrack
