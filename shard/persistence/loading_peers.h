// LoadingPeers: one torrent's peers while the loader replays journals over them. The peers sit
// in a plain vector (a snapshot's are moved in as decoded, 64 bytes a peer); only when a journal
// touches a torrent of more than kIndexFrom peers does it get an index by endpoint (address and
// port; shard/endpoint_slots.h, under the caller's secret), 4 bytes a slot, so that each journal
// record costs one lookup however large the swarm. A peer is its endpoint: a later record for
// it replaces the earlier one, as it did in the loader's maps. Pure; owns its peers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/siphash.h"
#include "shard/torrent_record.h"

namespace shardtrack {

class LoadingPeers {
 public:
  static constexpr std::size_t kIndexFrom = 16;  // smaller torrents are scanned

  // A snapshot's peers, in file order (of two at one endpoint, the later one counts), before any
  // journal record.
  void AddFromSnapshot(std::vector<PeerRecord> peers);

  // How an upsert's completed flag meets the mark of the peer it replaces: it is the peer's
  // mark (kReplace), or, from journals before the mark was written whole, whether that announce
  // counted a completion, kept beside the mark held (kAdd).
  enum class Mark : bool { kAdd, kReplace };
  // A journal's upsert: adds the peer, or replaces the one at its endpoint. `key`: the same
  // every call.
  void Upsert(const PeerRecord& peer, const SipHashKey& key, Mark mark);
  // A journal's removal of the peer at `endpoint`'s address and port, if there is one.
  void Remove(const PeerRecord& endpoint, const SipHashKey& key);

  // The peers sorted by endpoint (address bytes, then port), one per endpoint; leaves this empty
  // and frees the index.
  std::vector<PeerRecord> Take();
  bool empty() const { return peers_.empty(); }
  // Has the index by endpoint (built by the first journal record once past kIndexFrom peers).
  bool indexed() const { return !slots_.empty(); }

 private:
  // Before the first journal record: one peer per endpoint.
  void Normalize();
  // Before each journal record: Normalize, and index a swarm past kIndexFrom peers, so a record
  // never scans a large swarm (a snapshot's 100,000 peers re-announced 250,000 times in the
  // journal took 11 s to load when only growth built the index).
  void PrepareForRecord(const SipHashKey& key);
  // The index over slots_ and peers_ (shard/endpoint_slots.h).
  auto Index(const SipHashKey& key);
  // The position of the peer at `endpoint`, or peers_.size().
  std::size_t Find(const PeerRecord& endpoint, const SipHashKey& key);
  void Rebuild(std::size_t slots, const SipHashKey& key);

  std::vector<PeerRecord> peers_;
  std::vector<std::uint32_t> slots_;  // position + 1; 0: empty. Empty while not indexed
  bool normalized_ = false;
};

}  // namespace shardtrack
