// Loading a shard's torrents from the data directory, whatever layout (shard count) wrote it.
// Pure apart from the FileOps it is handed; called once at start (or by the dfile tool).
//
// File sets: the snapshot, the journal and their `.prev`s of one (index, count). A set's state is
// its current snapshot plus the journal that follows it. A journal that follows an older
// generation is stale: the snapshot already holds it (a crash came between installing a snapshot
// and starting its journal). A journal that follows a newer generation than the current snapshot
// comes after `.journal.prev`, which follows that snapshot (a crash came between starting the
// journal of a snapshot written in the background and installing the snapshot): both are
// replayed, the previous first. Without a usable current snapshot, the `.prev` snapshot plus the
// `.journal.prev` plus the journal give the same state: nothing is lost.
//
// Which sets a shard reads: its own, and every set of every other shard count (a cluster resized
// from N to M shards); sets of its own count but another index hold nothing it owns. Of what it
// reads it keeps the torrents ShardFor(hash, count) gives it.
//
// Which set speaks for a torrent: of the sets whose own layout routes the torrent to them, the
// one with the highest generation. Its peers are the torrent's peers (none if it no longer holds
// the torrent: forgotten after its peers left, or retired with its count by --torrent-retention),
// and so is its completed count (its first snapshot took in the counts of every set it read,
// and counts go backwards only by retirement). Generations order sets across layouts because a
// shard that opens writes its first snapshot at one more than the highest generation it read, so
// everything written after a load outranks everything that load read. A set never holds a torrent
// its own layout does not route to it (such records are ignored).
//
// Memory: files are read a chunk at a time (FrameReader), never whole. Each snapshot record's
// peers move into their torrent as decoded (LoadingPeers: an endpoint index only for a torrent
// a journal touches), a journal is checked in a first read and replayed in a second (so only
// the intact turns before the damage of a corrupt one are replayed), and the sets are drained into
// `torrents` without copies. The peak is about one PeerRecord (64 bytes) per peer plus a map node
// per torrent; a shard loads through LoadIntoStore (load_into_store.h), which keeps the peak there.
//
// Another layout with a shard's files all missing (a partial copy or restore) is refused when
// that shard may hold torrents this load keeps and no newer files speak for them (loading_set.h,
// UncoveredGaps): the load's first snapshot would outrank the missing files for good. Under
// --on-corrupt=quarantine the load goes on without them and counts them among missing_files. The
// tools (LoadAllState) exempt the layout in force, whose missing shards may be yet to start.
//
// A file that cannot be read or fails its checks is never half-loaded, but for the intact turns
// before a journal's damage under --on-corrupt=quarantine. --on-corrupt=refuse (the
// default) fails the load with an error naming the file and the choices; =quarantine renames it to
// `<name>.corrupt-<unix time>` and goes on with what is left (the `.prev` files in place of a
// corrupt current snapshot; of a corrupt journal, the records before the damage when its header
// is intact, losing the changes from the damage on). Such a journal is renamed by the caller,
// once a snapshot holds those records (set_aside_later). A damaged file of another layout is
// skipped (or its intact turns replayed) but left in place: every shard of this layout reads it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/loading_set.h"
#include "shard/persistence/on_corrupt.h"
#include "shard/torrent_record.h"

namespace shardtrack {

struct LoadOptions {
  std::string data_dir;
  std::uint32_t index = 0;
  std::uint32_t count = 1;
  OnCorrupt on_corrupt = OnCorrupt::kRefuse;
  UnixSeconds now = 0;  // names quarantined files
};

// A damaged journal whose intact records were replayed (--on-corrupt=quarantine): moved to
// `moved_to` by SetAsideReplayed only once a snapshot holds those records, so that a start
// which fails before that leaves it in place and the next start replays them again.
struct SetAsideLater {
  std::string path;
  std::string moved_to;
};

struct LoadedState {
  std::vector<TorrentRecord> torrents;  // sorted by info hash; empty torrents dropped
  std::uint64_t max_generation = 0;     // the highest generation of any file read
  std::vector<FileSet> sets;            // every set read: which one speaks for a torrent
  std::vector<std::string> notes;       // one line per file read, skipped or quarantined
  std::uint32_t quarantined = 0;  // corrupt files skipped (--on-corrupt=quarantine): moved aside,
                                  // or left in place when another layout's
  std::vector<SetAsideLater> set_aside_later;  // of those, the ones still in place
  // Snapshots and journals someone removed, started without (--on-corrupt=quarantine; refused
  // otherwise): what they held is lost.
  std::uint32_t missing_files = 0;
  std::uint64_t torn_tail_bytes = 0;  // damage at journals' ends, ignored (see journal_file.h)
  bool fresh_start() const { return notes.empty(); }  // no file of this shard was read
  std::uint64_t peers() const;
  std::string Summary() const;  // one line for the start-up log
};

// The torrents shard `index` of `count` owns.
Result<LoadedState> LoadShardState(FileOps& ops, const LoadOptions& options);
// Moves `files` aside; call once a snapshot holds what was loaded, before the journal that
// follows it starts (it may take a damaged journal's name).
Status SetAsideReplayed(FileOps& ops, const std::string& data_dir,
                        const std::vector<SetAsideLater>& files);
// Every torrent of every set in the directory (export), refusing corrupt files.
Result<LoadedState> LoadAllState(FileOps& ops, const std::string& data_dir);

}  // namespace shardtrack
