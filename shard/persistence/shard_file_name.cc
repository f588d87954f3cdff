#include "shard/persistence/shard_file_name.h"

#include <array>
#include <charconv>
#include <utility>

namespace shardtrack {
namespace {

constexpr std::array<std::pair<ShardFileKind, std::string_view>, 6> kSuffixes = {{
    {ShardFileKind::kSnapshot, ".snapshot"},
    {ShardFileKind::kPreviousSnapshot, ".snapshot.prev"},
    {ShardFileKind::kJournal, ".journal"},
    {ShardFileKind::kPreviousJournal, ".journal.prev"},
    {ShardFileKind::kSnapshotTemp, ".snapshot.tmp"},
    {ShardFileKind::kJournalTemp, ".journal.tmp"},
}};

// Reads a canonical decimal number off the front of `text`.
template <typename Number = std::uint32_t>
std::optional<Number> TakeNumber(std::string_view& text) {
  Number value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  std::size_t used = static_cast<std::size_t>(end - text.data());
  if (error != std::errc() || (used > 1 && text[0] == '0')) return std::nullopt;
  text.remove_prefix(used);
  return value;
}

bool TakePrefix(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

}  // namespace

std::optional<ShardLayout> TakeShardLayout(std::string_view& text) {
  auto index = TakeNumber(text);
  if (!index || !TakePrefix(text, "-of-")) return std::nullopt;
  auto count = TakeNumber(text);
  if (!count || *count == 0 || *index >= *count) return std::nullopt;
  return ShardLayout{*index, *count};
}

std::optional<ShardFileName> ShardFileName::Parse(std::string_view name) {
  if (!TakePrefix(name, "shard-")) return std::nullopt;
  auto layout = TakeShardLayout(name);
  if (!layout) return std::nullopt;
  for (const auto& [kind, suffix] : kSuffixes) {
    if (name == suffix) return ShardFileName{layout->index, layout->count, kind};
  }
  return std::nullopt;
}

std::string ShardFileName::ToString() const {
  std::string suffix;
  for (const auto& [each, text] : kSuffixes) {
    if (each == kind) suffix = text;
  }
  return "shard-" + std::to_string(index) + "-of-" + std::to_string(count) + suffix;
}

std::optional<NumberedShardFile> NumberedShardFile::Parse(std::string_view name,
                                                          std::string_view suffix) {
  if (!TakePrefix(name, "shard") || !name.ends_with(suffix)) return std::nullopt;
  name.remove_suffix(suffix.size());
  const auto layout = TakeShardLayout(name);
  if (!layout || !TakePrefix(name, "-")) return std::nullopt;
  const auto number = TakeNumber<std::uint64_t>(name);
  if (!number || !name.empty()) return std::nullopt;
  return NumberedShardFile{layout->index, layout->count, *number};
}

std::string NumberedShardFile::ToString(std::string_view suffix) const {
  return "shard" + std::to_string(index) + "-of-" + std::to_string(count) + "-" +
         std::to_string(number) + std::string(suffix);
}

bool IsQuarantinedName(std::string_view name) {
  return name.starts_with("shard-") && name.find(".corrupt-") != std::string_view::npos;
}

}  // namespace shardtrack
