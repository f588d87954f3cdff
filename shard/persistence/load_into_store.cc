#include "shard/persistence/load_into_store.h"

#include <algorithm>
#include <functional>
#include <system_error>
#include <thread>
#include <vector>

#include "common/return_freed_memory.h"
#include "shard/seen_time.h"

namespace shardtrack {
namespace {

// Drops peers whose last announce is already older than the peer timeout, or so far in the
// future (a clock that was ahead) that the live ones would lie further than kSeenTimeKeep before
// it, which a swarm restores no peer from (shard/seen_time.h).
std::uint64_t DropExpiredPeers(TorrentRecord& torrent, UnixSeconds now, std::int64_t timeout) {
  const std::size_t before = torrent.peers.size();
  std::erase_if(torrent.peers, [&](const PeerRecord& peer) {
    return peer.last_seen + timeout <= now || peer.last_seen > now + kSeenTimeKeep - timeout;
  });
  return before - torrent.peers.size();
}

// The torrents in the order their peer lists lie in memory: freed in that order, whole pages
// come free one after another instead of all at the end.
std::vector<TorrentRecord*> InMemoryOrder(std::vector<TorrentRecord>& torrents) {
  std::vector<TorrentRecord*> order;
  order.reserve(torrents.size());
  for (TorrentRecord& torrent : torrents) order.push_back(&torrent);
  std::sort(order.begin(), order.end(), [](const TorrentRecord* a, const TorrentRecord* b) {
    return std::less<const PeerRecord*>()(a->peers.data(), b->peers.data());
  });
  return order;
}

}  // namespace

Result<StoreLoad> LoadIntoStore(FileOps& ops, const LoadOptions& options, std::int64_t peer_timeout,
                                SwarmStore& store) {
  // Nothing else runs meanwhile, so `ops` is only ever used by one thread at a time.
  Result<LoadedState> loaded = Error{"not loaded"};
  try {
    std::thread([&] { loaded = LoadShardState(ops, options); }).join();
  } catch (const std::system_error&) {  // no thread to be had: load here, with more residue
    loaded = LoadShardState(ops, options);
  }
  if (!loaded) return Error{loaded.error()};
  StoreLoad out{loaded->Summary(),
                loaded->max_generation,
                std::move(loaded->sets),
                loaded->quarantined + loaded->missing_files,
                std::move(loaded->set_aside_later),
                loaded->torn_tail_bytes,
                loaded->fresh_start()};
  std::uint64_t expired = 0;
  std::uint64_t freed = 0;    // since the last trim
  std::uint64_t trimmed = 0;  // freed before it
  for (TorrentRecord* torrent : InMemoryOrder(loaded->torrents)) {
    expired += DropExpiredPeers(*torrent, options.now, peer_timeout);
    store.Restore(*torrent);
    freed += torrent->peers.capacity() * sizeof(PeerRecord);
    std::vector<PeerRecord>().swap(torrent->peers);
    if (freed >= kFirstTrimBytes && freed >= trimmed) {
      ReturnFreedMemory();
      trimmed += freed;
      freed = 0;
    }
  }
  store.FinishRestore();
  if (expired > 0) {
    out.summary += "; dropped " + std::to_string(expired) + " peers expired or seen in the future";
  }
  return out;
}

}  // namespace shardtrack
