#include "shard/swarm_store.h"

#include <algorithm>
#include <vector>

namespace shardtrack {
namespace {

std::uint32_t Clamp32(std::uint64_t value) {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(value, UINT32_MAX));
}

void FillEntry(const InfoHash& info_hash, const TorrentSwarm& swarm, proto::ScrapeEntry& entry) {
  entry.set_info_hash(info_hash.bytes.data(), InfoHash::kSize);
  entry.set_complete(Clamp32(swarm.seeders()));
  entry.set_incomplete(Clamp32(swarm.leechers()));
  entry.set_downloaded(Clamp32(swarm.completed()));
}

}  // namespace

template <typename Change>
void SwarmStore::Update(TorrentSwarm& swarm, Change&& change) {
  seeders_ -= swarm.seeders();
  leechers_ -= swarm.leechers();
  completed_ -= swarm.completed();
  change(swarm);
  seeders_ += swarm.seeders();
  leechers_ += swarm.leechers();
  completed_ += swarm.completed();
}

AnnounceOutcome SwarmStore::Announce(const proto::AnnounceRequest& request, UnixSeconds now,
                                     FastRng& rng, proto::AnnounceReply& out) {
  auto announce = ParsePeerAnnounce(request);
  if (!announce.ok()) {
    out.Clear();
    return {};
  }
  return Announce(*announce, now, rng, out);
}

AnnounceOutcome SwarmStore::Announce(const PeerAnnounce& announce, UnixSeconds now, FastRng& rng,
                                     proto::AnnounceReply& out) {
  out.Clear();
  AnnounceOutcome outcome;
  outcome.accepted = true;
  auto it = torrents_.find(announce.info_hash);
  if (it == torrents_.end()) {
    if (announce.event == proto::EVENT_STOPPED) return outcome;  // creates nothing
    it = torrents_.try_emplace(announce.info_hash).first;
  }
  TorrentSwarm& swarm = it->second;
  Update(swarm, [&](TorrentSwarm& s) { outcome.completion_counted = s.Apply(announce, now); });
  outcome.completed = swarm.completed();
  out.set_complete(Clamp32(swarm.seeders()));
  out.set_incomplete(Clamp32(swarm.leechers()));
  out.set_downloaded(Clamp32(swarm.completed()));
  if (announce.event != proto::EVENT_STOPPED) {
    swarm.SelectFor(announce, rng, out);
  } else if (swarm.forgettable()) {
    torrents_.erase(it);
  }
  return outcome;
}

ExpireProgress SwarmStore::ExpireSlice(UnixSeconds now, std::int64_t peer_timeout,
                                       std::size_t max_torrents) {
  ExpireProgress progress;
  const UnixSeconds cutoff = now - peer_timeout;
  // Never more than one lap per slice: erasing only removes torrents already examined.
  const std::size_t budget = std::min(max_torrents, torrents_.size());
  auto it = expire_cursor_ ? torrents_.lower_bound(*expire_cursor_) : torrents_.begin();
  while (progress.torrents_examined < budget) {
    if (it == torrents_.end()) it = torrents_.begin();
    ++progress.torrents_examined;
    Update(it->second, [&](TorrentSwarm& swarm) {
      progress.peers_removed += swarm.ExpireSeenAtOrBefore(cutoff);
    });
    if (it->second.forgettable()) {
      it = torrents_.erase(it);
      ++progress.torrents_removed;
    } else {
      ++it;
    }
  }
  expire_cursor_.reset();
  if (it != torrents_.end()) expire_cursor_ = it->first;
  return progress;
}

SwarmCounts SwarmStore::ScrapeOne(const InfoHash& info_hash) const {
  auto it = torrents_.find(info_hash);
  if (it == torrents_.end()) return {};
  return {it->second.seeders(), it->second.leechers(), it->second.completed()};
}

void SwarmStore::FullScrape(std::uint32_t limit, proto::ScrapeReply& out) const {
  std::uint32_t added = 0;
  for (const auto& [info_hash, swarm] : torrents_) {
    if (limit != 0 && added == limit) {
      out.set_truncated(true);
      return;
    }
    FillEntry(info_hash, swarm, *out.add_files());
    ++added;
  }
}

proto::StatsReply SwarmStore::Stats(std::uint32_t max_torrents) const {
  proto::StatsReply out;
  out.set_torrents(torrents());
  out.set_peers(peers());
  out.set_seeders(seeders_);
  out.set_leechers(leechers_);
  out.set_completed(completed_);
  const std::size_t wanted = std::min(max_torrents, kMaxStatsTorrents);
  if (wanted == 0) return out;

  // A heap of the best `wanted` so far, the weakest on top: most peers first, then infohash.
  using Item = TorrentMap::const_pointer;
  auto better = [](Item a, Item b) {
    if (a->second.peers() != b->second.peers()) return a->second.peers() > b->second.peers();
    return a->first < b->first;
  };
  std::vector<Item> top;
  top.reserve(std::min<std::size_t>(wanted, torrents_.size()));
  for (const auto& item : torrents_) {
    if (top.size() < wanted) {
      top.push_back(&item);
      std::push_heap(top.begin(), top.end(), better);
    } else if (better(&item, top.front())) {
      std::pop_heap(top.begin(), top.end(), better);
      top.back() = &item;
      std::push_heap(top.begin(), top.end(), better);
    }
  }
  std::sort_heap(top.begin(), top.end(), better);
  for (Item item : top) FillEntry(item->first, item->second, *out.add_top());
  return out;
}

void SwarmStore::ForEachTorrent(const std::function<void(const TorrentRecord&)>& visit) const {
  TorrentRecord record;
  for (const auto& [info_hash, swarm] : torrents_) {
    record.info_hash = info_hash;
    swarm.Export(record);
    visit(record);
  }
}

void SwarmStore::Restore(const TorrentRecord& record) {
  auto it = torrents_.try_emplace(record.info_hash).first;
  Update(it->second, [&](TorrentSwarm& swarm) { swarm.Restore(record); });
  if (it->second.forgettable()) torrents_.erase(it);
}

void SwarmStore::SetCompleted(const InfoHash& info_hash, std::uint64_t completed) {
  auto it = torrents_.try_emplace(info_hash).first;
  Update(it->second, [&](TorrentSwarm& swarm) { swarm.set_completed(completed); });
  if (it->second.forgettable()) torrents_.erase(it);
}

std::size_t SwarmStore::PeerListBytes() const {
  std::size_t total = 0;
  for (const auto& item : torrents_) total += item.second.AllocatedBytes();
  return total;
}

}  // namespace shardtrack
