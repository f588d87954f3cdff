// SetState: one file set's torrents (the snapshot and journals of one (index, count)) while the
// loader reads them, as far as the loading shard keeps them; MergeSets drains every set into the
// loaded state (state_loader.h says which set speaks for a torrent). Pure; a set owns its
// torrents until MergeSets moves them out.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/fixed_bytes.h"
#include "common/routing.h"
#include "shard/persistence/loading_peers.h"
#include "shard/torrent_record.h"

namespace shardtrack {

// A torrent while its set is loaded (an endpoint index only where a journal needs one).
struct LoadingTorrent {
  std::uint64_t completed = 0;
  LoadingPeers peers;
};
using TorrentMap = std::map<InfoHash, LoadingTorrent>;

// One (index, count)'s files as read.
struct FileSet {
  std::uint32_t index = 0;
  std::uint32_t count = 1;
  std::uint64_t generation = 0;  // of the newest file of the set that was used

  bool Owns(const InfoHash& hash) const { return ShardFor(hash, count) == index; }
  bool operator==(const FileSet&) const = default;
};

struct SetState : FileSet {
  TorrentMap torrents;
};

// The set of `sets` that speaks for `hash` (state_loader.h): the newest whose layout routes it
// there, the first of equal generations; null if none does.
template <typename Set>
const Set* SpeakerFor(const std::vector<Set>& sets, const InfoHash& hash) {
  const Set* speaker = nullptr;
  for (const Set& set : sets) {
    if (set.Owns(hash) && (speaker == nullptr || set.generation > speaker->generation)) {
      speaker = &set;
    }
  }
  return speaker;
}

// Shards of a layout none of whose files are there, though other shards' of it are: the first
// few, and how many more.
struct LayoutGap {
  std::uint32_t count = 1;
  std::vector<std::uint32_t> missing;
  std::uint32_t more_missing = 0;
  std::uint32_t present = 0;  // a shard of the layout whose files are there
};

// The gaps among `sets` (those read) that matter to shard `reader` of `reader_count`: of every
// layout but `exempt_count`, the shards missing from `sets` that may hold torrents the reader
// owns (MayRouteToBoth), unless another layout speaks for those torrents: each of its shards
// that may hold them is in `sets`, newer than every set of the gap's layout. Otherwise what the
// missing files hold would be lost, and for good once the reader writes a snapshot: that
// outranks them (SpeakerFor), so putting them back later would change nothing. `exempt_count`:
// the reader's own layout, whose other shards it never reads (for the tools, the layout in force,
// whose missing shards may be yet to start).
std::vector<LayoutGap> UncoveredGaps(const std::vector<FileSet>& sets, std::uint32_t reader,
                                     std::uint32_t reader_count, std::uint32_t exempt_count);

// "no file of shard 1 of 2 is in <dir> though shard 0 of 2's are"
std::string DescribeGap(const LayoutGap& gap, const std::string& dir);

// Appends every torrent of `sets` (each holds only torrents its layout owns) to `out` (empty
// before), sorted by info hash, with the completed count and the peers of the newest set that
// holds it: that set's first snapshot took in every older file's count, so a torrent it lacks
// was forgotten since, and an older file does not bring it back. Drops those left with neither
// count nor peers. Empties the sets as it goes: peers are moved, never copied, and
// with one set (the common case) nothing else is built.
void MergeSets(std::vector<SetState>& sets, std::vector<TorrentRecord>& out);

}  // namespace shardtrack
