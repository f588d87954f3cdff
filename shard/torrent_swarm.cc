#include "shard/torrent_swarm.h"

#include <array>
#include <cstring>

namespace shardtrack {
namespace {

template <std::size_t A>
typename PeerList<A>::Endpoint MakeEndpoint(const IpAddress& ip, std::uint16_t port) {
  typename PeerList<A>::Endpoint out;
  std::memcpy(out.data(), ip.raw().data(), A);
  out[A] = static_cast<std::uint8_t>(port >> 8);
  out[A + 1] = static_cast<std::uint8_t>(port & 0xff);
  return out;
}

// Stores `state` for `endpoint` in the list of its kind, taking it out of the other list.
// The positions come from Find on both lists.
template <std::size_t A>
void Put(PeerList<A>& seeders, PeerList<A>& leechers,
         const typename PeerList<A>::Endpoint& endpoint, bool seeder, const PeerState& state,
         typename PeerList<A>::Position in_seeders, typename PeerList<A>::Position in_leechers,
         bool keep_peer_ids) {
  PeerList<A>& target = seeder ? seeders : leechers;
  PeerList<A>& other = seeder ? leechers : seeders;
  const auto in_target = seeder ? in_seeders : in_leechers;
  const auto in_other = seeder ? in_leechers : in_seeders;
  if (in_target.found) {
    target.Set(in_target.index, state);
    return;
  }
  if (in_other.found) other.Erase(in_other.index);
  target.Insert(in_target.index, endpoint, state, keep_peer_ids);
}

template <std::size_t A>
void RestorePeer(const PeerRecord& peer, PeerList<A>& seeders, PeerList<A>& leechers,
                 bool keep_peer_ids) {
  const auto endpoint = MakeEndpoint<A>(peer.ip, peer.port);
  const PeerState state{peer.peer_id, peer.last_seen, peer.completed};
  Put(seeders, leechers, endpoint, peer.seeder, state, seeders.Find(endpoint),
      leechers.Find(endpoint), keep_peer_ids);
}

// Applies one announce to one family's lists. Returns true when a completion was counted.
template <std::size_t A>
bool ApplyToFamily(const PeerAnnounce& announce, UnixSeconds now, bool keep_peer_ids,
                   PeerList<A>& seeders, PeerList<A>& leechers, std::uint64_t& completed) {
  const auto endpoint = MakeEndpoint<A>(announce.ip, announce.port);
  const auto in_seeders = seeders.Find(endpoint);
  const auto in_leechers = leechers.Find(endpoint);
  PeerState state;
  if (in_seeders.found) state = seeders.StateAt(in_seeders.index);
  if (in_leechers.found) state = leechers.StateAt(in_leechers.index);

  if (announce.event == proto::EVENT_STOPPED) {
    if (in_seeders.found) seeders.Erase(in_seeders.index);
    if (in_leechers.found) leechers.Erase(in_leechers.index);
    return false;
  }

  state.peer_id = announce.peer_id;
  state.last_seen = now;
  bool counted = false;
  // A peer already listed as a seeder finished nothing since its last announce: a client
  // repeating itself, or one that started complete. Its `completed` would inflate the count.
  if (announce.event == proto::EVENT_COMPLETED && !state.completed && !in_seeders.found) {
    state.completed = true;
    ++completed;
    counted = true;
  }
  Put(seeders, leechers, endpoint, announce.seeder, state, in_seeders, in_leechers, keep_peer_ids);
  return counted;
}

template <std::size_t A>
void ExportList(const PeerList<A>& list, bool seeder, TorrentRecord& out) {
  for (std::uint32_t i = 0; i < list.size(); ++i) {
    const auto endpoint = list.EndpointAt(i);
    const PeerState state = list.StateAt(i);
    PeerRecord& peer = out.peers.emplace_back();
    peer.peer_id = state.peer_id;
    peer.ip = *IpAddress::FromRaw({reinterpret_cast<const char*>(endpoint.data()), A});
    peer.port = static_cast<std::uint16_t>((endpoint[A] << 8) | endpoint[A + 1]);
    peer.seeder = seeder;
    peer.completed = state.completed;
    peer.last_seen = state.last_seen;
  }
}

}  // namespace

void TorrentSwarm::DropEmptyIpv6() {
  if (v6_ && v6_->seeders.empty() && v6_->leechers.empty()) v6_.reset();
}

bool TorrentSwarm::Apply(const PeerAnnounce& announce, UnixSeconds now, bool keep_peer_ids) {
  if (announce.ip.is_v4()) {
    return ApplyToFamily(announce, now, keep_peer_ids, seeders4_, leechers4_, completed_);
  }
  if (!v6_) {
    if (announce.event == proto::EVENT_STOPPED) return false;  // not listed: nothing to remove
    v6_ = std::make_unique<Ipv6Lists>();
  }
  const bool counted =
      ApplyToFamily(announce, now, keep_peer_ids, v6_->seeders, v6_->leechers, completed_);
  DropEmptyIpv6();
  return counted;
}

void TorrentSwarm::SelectFor(const PeerAnnounce& announce, FastRng& rng,
                             proto::AnnounceReply& out) const {
  static const PeerList6 kNoPeers6;
  const PeerList6& seeders6 = v6_ ? v6_->seeders : kNoPeers6;
  const PeerList6& leechers6 = v6_ ? v6_->leechers : kNoPeers6;
  if (announce.seeder) {
    const std::array spans = {leechers4_.Span(), leechers6.Span()};
    SelectPeers(spans, announce.numwant, announce.want_peer_ids, rng, out);
    return;
  }
  std::uint32_t skip4 = PeerSpan::kNoSkip;
  std::uint32_t skip6 = PeerSpan::kNoSkip;
  if (announce.ip.is_v4()) {
    const auto self = leechers4_.Find(MakeEndpoint<4>(announce.ip, announce.port));
    if (self.found) skip4 = self.index;
  } else {
    const auto self = leechers6.Find(MakeEndpoint<16>(announce.ip, announce.port));
    if (self.found) skip6 = self.index;
  }
  const std::array spans = {seeders4_.Span(), leechers4_.Span(skip4), seeders6.Span(),
                            leechers6.Span(skip6)};
  SelectPeers(spans, announce.numwant, announce.want_peer_ids, rng, out);
}

std::uint64_t TorrentSwarm::ExpireSeenAtOrBefore(UnixSeconds cutoff) {
  std::uint64_t removed =
      seeders4_.EraseSeenAtOrBefore(cutoff) + leechers4_.EraseSeenAtOrBefore(cutoff);
  if (v6_) {
    removed += v6_->seeders.EraseSeenAtOrBefore(cutoff) + v6_->leechers.EraseSeenAtOrBefore(cutoff);
    DropEmptyIpv6();
  }
  return removed;
}

void TorrentSwarm::Export(TorrentRecord& out) const {
  out.completed = completed_;
  out.peers.clear();
  out.peers.reserve(peers());
  ExportList(seeders4_, true, out);
  ExportList(leechers4_, false, out);
  if (v6_) {
    ExportList(v6_->seeders, true, out);
    ExportList(v6_->leechers, false, out);
  }
}

void TorrentSwarm::Restore(const TorrentRecord& record, bool keep_peer_ids) {
  *this = TorrentSwarm();
  completed_ = record.completed;
  for (const PeerRecord& peer : record.peers) {
    if (peer.port == 0) continue;  // not a reachable peer; never produced by Export
    if (peer.ip.is_v4()) {
      RestorePeer(peer, seeders4_, leechers4_, keep_peer_ids);
    } else {
      if (!v6_) v6_ = std::make_unique<Ipv6Lists>();
      RestorePeer(peer, v6_->seeders, v6_->leechers, keep_peer_ids);
    }
  }
  DropEmptyIpv6();
}

std::size_t TorrentSwarm::AllocatedBytes() const {
  std::size_t bytes = seeders4_.AllocatedBytes() + leechers4_.AllocatedBytes();
  if (v6_) {
    bytes += sizeof(Ipv6Lists) + v6_->seeders.AllocatedBytes() + v6_->leechers.AllocatedBytes();
  }
  return bytes;
}

}  // namespace shardtrack
