#include "shard/torrent_swarm.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>
#include <vector>

#include "shard/seen_time.h"

namespace shardtrack {
namespace {

template <std::size_t A>
typename PeerFamily<A>::Endpoint MakeEndpoint(const IpAddress& ip, std::uint16_t port) {
  typename PeerFamily<A>::Endpoint out;
  std::memcpy(out.data(), ip.raw().data(), A);
  out[A] = static_cast<std::uint8_t>(port >> 8);
  out[A + 1] = static_cast<std::uint8_t>(port & 0xff);
  return out;
}

// Whether blocks made now keep ids under `policy`, `asked` saying whether clients asked for them.
bool KeepIds(PeerIdPolicy policy, bool asked) {
  return policy == PeerIdPolicy::kAlways || (policy == PeerIdPolicy::kWhenAsked && asked);
}

PeerKind KindOf(bool seeder) { return seeder ? PeerKind::kSeeder : PeerKind::kLeecher; }

template <std::size_t A>
using ListingOf = typename PeerFamily<A>::Listing;

// Stores `state` for `endpoint` as a peer of its kind, taking it out of the other kind. Returns
// its index among its kind.
template <std::size_t A>
std::uint32_t Put(PeerFamily<A>& family, const typename PeerFamily<A>::Endpoint& endpoint,
                  bool seeder, const PeerState& state, const ListingOf<A>& listing,
                  bool keep_peer_ids) {
  const auto in_target = seeder ? listing.as_seeder : listing.as_leecher;
  const auto in_other = seeder ? listing.as_leecher : listing.as_seeder;
  if (in_target.found) {
    family.Set(KindOf(seeder), in_target.index, state);
    return in_target.index;
  }
  if (in_other.found) family.Erase(KindOf(!seeder), in_other.index);
  return family.Insert(KindOf(seeder), in_target.index, endpoint, state, keep_peer_ids);
}

template <std::size_t A>
bool Listed(const PeerFamily<A>& family, const IpAddress& ip, std::uint16_t port) {
  const ListingOf<A> listing = family.Locate(MakeEndpoint<A>(ip, port));
  return listing.as_seeder.found || listing.as_leecher.found;
}

template <std::size_t A>
void RestorePeer(const PeerRecord& peer, PeerFamily<A>& family, bool keep_peer_ids) {
  const auto endpoint = MakeEndpoint<A>(peer.ip, peer.port);
  const PeerState state{peer.peer_id, peer.last_seen, peer.completed, peer.partial_seed};
  Put(family, endpoint, peer.seeder, state, family.Locate(endpoint), keep_peer_ids);
}

// Applies one announce to one family.
template <std::size_t A>
TorrentSwarm::Applied ApplyToFamily(const PeerAnnounce& announce, UnixSeconds now,
                                    bool keep_peer_ids, PeerFamily<A>& family,
                                    std::uint32_t& completed) {
  const auto endpoint = MakeEndpoint<A>(announce.ip, announce.port);
  const ListingOf<A> listing = family.Locate(endpoint);
  PeerState state;
  if (listing.as_seeder.found) {
    state = family.StateAt(PeerKind::kSeeder, listing.as_seeder.index, now);
  }
  if (listing.as_leecher.found) {
    state = family.StateAt(PeerKind::kLeecher, listing.as_leecher.index, now);
  }

  if (announce.event == proto::EVENT_STOPPED) {
    if (listing.as_seeder.found) family.Erase(PeerKind::kSeeder, listing.as_seeder.index);
    if (listing.as_leecher.found) family.Erase(PeerKind::kLeecher, listing.as_leecher.index);
    return {};
  }

  state.peer_id = announce.peer_id;
  state.last_seen = now;
  state.partial_seed = announce.partial_seed;  // BEP 21: said in every announce while it is one
  TorrentSwarm::Applied applied;
  // A peer already listed as a seeder finished nothing since its last announce: a client
  // repeating itself, or one that started complete. Its `completed` would inflate the count.
  if (announce.event == proto::EVENT_COMPLETED && !state.completed && !listing.as_seeder.found) {
    state.completed = true;
    completed = ClampTo32(std::uint64_t{completed} + 1);
    applied.completion_counted = true;
  }
  applied.peer_completed = state.completed;
  const std::uint32_t index = Put(family, endpoint, announce.seeder, state, listing, keep_peer_ids);
  if (!announce.seeder) applied.leecher_index = index;
  return applied;
}

template <std::size_t A>
void ExportPeer(const PeerFamily<A>& family, PeerKind kind, std::uint32_t index,
                UnixSeconds last_announce, TorrentRecord& out) {
  const auto endpoint = family.EndpointAt(kind, index);
  const PeerState state = family.StateAt(kind, index, last_announce);
  PeerRecord& peer = out.peers.emplace_back();
  peer.peer_id = state.peer_id;
  peer.ip = *IpAddress::FromRaw({reinterpret_cast<const char*>(endpoint.data()), A});
  peer.port = static_cast<std::uint16_t>((endpoint[A] << 8) | endpoint[A + 1]);
  peer.seeder = kind == PeerKind::kSeeder;
  peer.completed = state.completed;
  peer.partial_seed = state.partial_seed;
  peer.last_seen = state.last_seen;
}

// In endpoint order: an indexed family keeps its peers unsorted, so it is sorted here.
template <std::size_t A>
void ExportKind(const PeerFamily<A>& family, bool seeder, UnixSeconds last_announce,
                TorrentRecord& out) {
  const PeerKind kind = KindOf(seeder);
  if (!family.indexed()) {
    for (std::uint32_t i = 0; i < family.size(kind); ++i) {
      ExportPeer(family, kind, i, last_announce, out);
    }
    return;
  }
  std::vector<std::uint32_t> order(family.size(kind));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return family.EndpointAt(kind, a) < family.EndpointAt(kind, b);
  });
  for (const std::uint32_t i : order) ExportPeer(family, kind, i, last_announce, out);
}

}  // namespace

std::uint32_t TorrentSwarm::MoveLastAnnounce(UnixSeconds now) {
  const std::uint32_t to = ClampTo32(now);
  std::uint32_t dropped = 0;
  if (peers() > 0 && SeenTimeWindow(to) != SeenTimeWindow(last_announce_)) {
    const UnixSeconds first = UnixSeconds{to} - kSeenTimeKeep;
    const UnixSeconds last = UnixSeconds{to} + kSeenTimeKeep;
    dropped = v4_.EraseSeenOutside({first, last, last_announce_}) +
              v6_.EraseSeenOutside({first, last, last_announce_});
  }
  last_announce_ = to;
  return dropped;
}

TorrentSwarm::Applied TorrentSwarm::Apply(const PeerAnnounce& announce, UnixSeconds now,
                                          PeerIdPolicy policy) {
  const std::uint32_t out_of_range = MoveLastAnnounce(now);
  // Only an announce that gets peers back asks for their ids: a stopped one, or one wanting no
  // peers, would make the swarm pay for ids that nobody receives.
  const bool asks =
      announce.want_peer_ids && announce.numwant > 0 && announce.event != proto::EVENT_STOPPED;
  if (policy == PeerIdPolicy::kWhenAsked && asks) {
    v4_.KeepPeerIds();
    v6_.KeepPeerIds();
  }
  const bool keep_peer_ids = KeepIds(policy, asks || keeps_peer_ids());
  Applied applied = announce.ip.is_v4()
                        ? ApplyToFamily(announce, now, keep_peer_ids, v4_, completed_)
                        : ApplyToFamily(announce, now, keep_peer_ids, v6_, completed_);
  applied.peers_out_of_range = out_of_range;
  return applied;
}

void TorrentSwarm::SelectFor(const PeerAnnounce& announce, const Applied& applied, FastRng& rng,
                             proto::AnnounceReply& out) const {
  // A seeder gets leechers only; the requester is never among its own peers. BEP 21: neither a
  // seeder nor a partial seed wants anything of a partial seed, nor a partial seed of a seeder,
  // so both get the downloaders only.
  const bool wants_nothing = announce.seeder || announce.partial_seed;
  const auto select = [&](const auto& family, std::uint32_t skip, std::uint32_t numwant) {
    const PeerSpan seeders = wants_nothing ? PeerSpan{} : family.Span(PeerKind::kSeeder);
    const PeerSpan leechers =
        wants_nothing ? family.Downloaders(skip) : family.Span(PeerKind::kLeecher, skip);
    return SelectPeers(std::array{seeders, leechers}, numwant, announce.want_peer_ids, rng, out);
  };
  // The requester's own family first: it can surely reach those, and the other family only if
  // it has an address of that family too. The other fills what is left (HTTP's peers and peers6,
  // BEP 7); a UDP reply carries one family only.
  const auto own_first = [&](const auto& own, const auto& other) {
    const std::uint32_t given = select(own, applied.leecher_index, announce.numwant);
    if (announce.own_family_only || given >= announce.numwant) return;
    select(other, PeerSpan::kNoSkip, announce.numwant - given);
  };
  if (announce.ip.is_v4()) return own_first(v4_, v6_);
  own_first(v6_, v4_);
}

bool TorrentSwarm::Lists(const IpAddress& ip, std::uint16_t port) const {
  return ip.is_v4() ? Listed(v4_, ip, port) : Listed(v6_, ip, port);
}

std::uint64_t TorrentSwarm::ExpireSeenAtOrBefore(UnixSeconds cutoff) {
  return std::uint64_t{v4_.EraseSeenAtOrBefore(cutoff, last_announce_)} +
         v6_.EraseSeenAtOrBefore(cutoff, last_announce_);
}

void TorrentSwarm::Export(TorrentRecord& out) const {
  out.completed = completed_;
  out.peers.clear();
  out.peers.reserve(peers());
  ExportKind(v4_, true, last_announce_, out);
  ExportKind(v4_, false, last_announce_, out);
  ExportKind(v6_, true, last_announce_, out);
  ExportKind(v6_, false, last_announce_, out);
}

void TorrentSwarm::Restore(const TorrentRecord& record, PeerIdPolicy policy) {
  *this = TorrentSwarm();
  // Whether a client asked is not kept across a restart: records written while every id was
  // kept (a build before "asked", `always`, an imported dfile) would otherwise make each busy
  // swarm keep ids for good. A restored swarm keeps them again once a client asks.
  const bool keep_peer_ids = KeepIds(policy, /*asked=*/false);
  set_completed(record.completed);
  // A port of 0 is not a reachable peer (never produced by Export).
  for (const PeerRecord& peer : record.peers) {
    if (peer.port != 0) last_announce_ = std::max(last_announce_, ClampTo32(peer.last_seen));
  }
  for (const PeerRecord& peer : record.peers) {
    // One seen over kSeenTimeKeep before the torrent's latest announce had long expired then.
    if (peer.port == 0 || ClampTo32(peer.last_seen) + kSeenTimeKeep < last_announce_) continue;
    if (peer.ip.is_v4()) {
      RestorePeer(peer, v4_, keep_peer_ids);
    } else {
      RestorePeer(peer, v6_, keep_peer_ids);
    }
  }
}

}  // namespace shardtrack
