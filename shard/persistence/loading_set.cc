#include "shard/persistence/loading_set.h"

#include <algorithm>
#include <optional>

namespace shardtrack {
namespace {

constexpr std::size_t kGapShardsNamed = 3;

// The sets of one shard count, and the newest generation among them.
struct Layout {
  std::vector<const FileSet*> sets;
  std::uint64_t newest = 0;
};

std::map<std::uint32_t, Layout> ByCount(const std::vector<FileSet>& sets) {
  std::map<std::uint32_t, Layout> layouts;
  for (const FileSet& set : sets) {
    Layout& layout = layouts[set.count];
    layout.sets.push_back(&set);
    layout.newest = std::max(layout.newest, set.generation);
  }
  return layouts;
}

bool Has(const Layout& layout, std::uint32_t index) {
  return std::any_of(layout.sets.begin(), layout.sets.end(),
                     [index](const FileSet* set) { return set->index == index; });
}

// How many of `layout`'s sets may hold torrents shard `reader` of `reader_count` owns and are
// newer than `than` (every set if `than` is nullopt). Counted, not listed: a count is whatever a
// file's header says.
std::uint32_t MayHoldReaders(const Layout& layout, std::uint32_t count, std::uint32_t reader,
                             std::uint32_t reader_count, std::optional<std::uint64_t> than) {
  return static_cast<std::uint32_t>(
      std::count_if(layout.sets.begin(), layout.sets.end(), [&](const FileSet* set) {
        return MayRouteToBoth(set->index, count, reader, reader_count) &&
               (!than || set->generation > *than);
      }));
}

}  // namespace

std::vector<LayoutGap> UncoveredGaps(const std::vector<FileSet>& sets, std::uint32_t reader,
                                     std::uint32_t reader_count, std::uint32_t exempt_count) {
  const auto layouts = ByCount(sets);
  const auto spoken_for_after = [&](std::uint32_t gap_count, std::uint64_t newest) {
    return std::any_of(layouts.begin(), layouts.end(), [&](const auto& other) {
      const auto& [count, layout] = other;
      return count != gap_count && MayHoldReaders(layout, count, reader, reader_count, newest) ==
                                       ShardsThatMayHold(count, reader, reader_count);
    });
  };
  std::vector<LayoutGap> gaps;
  for (const auto& [count, layout] : layouts) {
    if (count == exempt_count) continue;
    const std::uint32_t missing = ShardsThatMayHold(count, reader, reader_count) -
                                  MayHoldReaders(layout, count, reader, reader_count, {});
    if (missing == 0 || spoken_for_after(count, layout.newest)) continue;
    LayoutGap gap{count, {}, 0, layout.sets.front()->index};
    const std::size_t named = std::min<std::size_t>(missing, kGapShardsNamed);
    // Past the shards that are there and those that hold none of the reader's (fewer than its
    // count), each index tried is a missing one.
    for (std::uint32_t index = 0; index < count && gap.missing.size() < named; ++index) {
      if (MayRouteToBoth(index, count, reader, reader_count) && !Has(layout, index)) {
        gap.missing.push_back(index);
      }
    }
    gap.more_missing = missing - static_cast<std::uint32_t>(gap.missing.size());
    gaps.push_back(std::move(gap));
  }
  return gaps;
}

std::string DescribeGap(const LayoutGap& gap, const std::string& dir) {
  const bool one = gap.missing.size() == 1 && gap.more_missing == 0;
  std::string shards = one ? "shard " : "shards ";
  for (std::size_t i = 0; i < gap.missing.size(); ++i) {
    shards += (i > 0 ? ", " : "") + std::to_string(gap.missing[i]);
  }
  if (gap.more_missing > 0) shards += " and " + std::to_string(gap.more_missing) + " more";
  const std::string of = " of " + std::to_string(gap.count);
  return "no file of " + shards + of + " is in " + dir + " though shard " +
         std::to_string(gap.present) + of + "'s are";
}

void MergeSets(std::vector<SetState>& sets, std::vector<TorrentRecord>& out) {
  std::size_t total = 0;
  for (const SetState& set : sets) total += set.torrents.size();
  out.reserve(total);
  std::map<InfoHash, std::size_t> position;  // in `out`; only with several sets
  for (SetState& set : sets) {
    for (auto it = set.torrents.begin(); it != set.torrents.end(); it = set.torrents.erase(it)) {
      const InfoHash& hash = it->first;
      if (sets.size() == 1 || position.try_emplace(hash, out.size()).second) {
        out.push_back(TorrentRecord{hash, 0, {}});
      }
      // Never reallocated (reserved above), so the reference holds.
      TorrentRecord& into = sets.size() == 1 ? out.back() : out[position.at(hash)];
      if (SpeakerFor(sets, hash) == &set) {
        into.completed = it->second.completed;
        into.peers = it->second.peers.Take();
      }
    }
  }
  std::erase_if(out, [](const TorrentRecord& torrent) {
    return torrent.completed == 0 && torrent.peers.empty();
  });
  if (sets.size() > 1) {
    std::sort(out.begin(), out.end(), [](const TorrentRecord& a, const TorrentRecord& b) {
      return a.info_hash < b.info_hash;
    });
  }
}

}  // namespace shardtrack
