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

bool SwarmStore::EraseIfForgettable(std::size_t index) {
  if (!torrents_.SwarmAt(index).forgettable()) return false;
  torrents_.Erase(index);
  return true;
}

AnnounceOutcome SwarmStore::Announce(const PeerAnnounce& announce, UnixSeconds now, FastRng& rng,
                                     proto::AnnounceReply& out) {
  out.Clear();
  AnnounceOutcome outcome;
  outcome.accepted = true;
  std::size_t index = torrents_.Find(announce.info_hash);
  if (index == torrents_.end()) {
    if (announce.event == proto::EVENT_STOPPED) return outcome;  // creates nothing
    index = torrents_.FindOrInsert(announce.info_hash);
  }
  TorrentSwarm& swarm = torrents_.SwarmAt(index);
  Update(swarm, [&](TorrentSwarm& s) {
    outcome.completion_counted = s.Apply(announce, now, store_peer_ids_);
  });
  outcome.completed = swarm.completed();
  out.set_complete(Clamp32(swarm.seeders()));
  out.set_incomplete(Clamp32(swarm.leechers()));
  out.set_downloaded(Clamp32(swarm.completed()));
  if (announce.event != proto::EVENT_STOPPED) {
    swarm.SelectFor(announce, rng, out);
  } else {
    EraseIfForgettable(index);
  }
  return outcome;
}

ExpireProgress SwarmStore::ExpireSlice(UnixSeconds now, std::int64_t peer_timeout,
                                       std::size_t max_torrents) {
  ExpireProgress progress;
  const UnixSeconds cutoff = now - peer_timeout;
  // Never more than one lap per slice: erasing only removes torrents already examined.
  const std::size_t budget = std::min<std::size_t>(max_torrents, torrents_.size());
  std::size_t index = expire_cursor_ ? torrents_.LowerBound(*expire_cursor_) : torrents_.Begin();
  while (progress.torrents_examined < budget) {
    if (index == torrents_.end()) {
      progress.lap_finished = true;
      index = torrents_.Begin();
    }
    ++progress.torrents_examined;
    Update(torrents_.SwarmAt(index), [&](TorrentSwarm& swarm) {
      progress.peers_removed += swarm.ExpireSeenAtOrBefore(cutoff);
    });
    const InfoHash examined = torrents_.KeyAt(index);
    if (EraseIfForgettable(index)) {
      ++progress.torrents_removed;
      index = torrents_.LowerBound(examined);  // the erase may have moved or rehashed the rest
    } else {
      index = torrents_.Next(index + 1);
    }
  }
  expire_cursor_.reset();
  if (index != torrents_.end()) {
    expire_cursor_ = torrents_.KeyAt(index);
  } else {
    progress.lap_finished = true;
  }
  return progress;
}

SwarmCounts SwarmStore::ScrapeOne(const InfoHash& info_hash) const {
  const std::size_t index = torrents_.Find(info_hash);
  if (index == torrents_.end()) return {};
  const TorrentSwarm& swarm = torrents_.SwarmAt(index);
  return {swarm.seeders(), swarm.leechers(), swarm.completed()};
}

void SwarmStore::FullScrape(std::uint32_t limit, proto::ScrapeReply& out) const {
  std::uint32_t added = 0;
  torrents_.ForEach([&](const InfoHash& info_hash, const TorrentSwarm& swarm) {
    if (limit != 0 && added == limit) {
      out.set_truncated(true);
      return;
    }
    FillEntry(info_hash, swarm, *out.add_files());
    ++added;
  });
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
  using Item = std::pair<const InfoHash*, const TorrentSwarm*>;
  auto better = [](const Item& a, const Item& b) {
    if (a.second->peers() != b.second->peers()) return a.second->peers() > b.second->peers();
    return *a.first < *b.first;
  };
  std::vector<Item> top;
  top.reserve(std::min<std::size_t>(wanted, torrents_.size()));
  torrents_.ForEach([&](const InfoHash& info_hash, const TorrentSwarm& swarm) {
    const Item item{&info_hash, &swarm};
    if (top.size() < wanted) {
      top.push_back(item);
      std::push_heap(top.begin(), top.end(), better);
    } else if (better(item, top.front())) {
      std::pop_heap(top.begin(), top.end(), better);
      top.back() = item;
      std::push_heap(top.begin(), top.end(), better);
    }
  });
  std::sort_heap(top.begin(), top.end(), better);
  for (const Item& item : top) FillEntry(*item.first, *item.second, *out.add_top());
  return out;
}

void SwarmStore::ForEachTorrent(const std::function<void(const TorrentRecord&)>& visit) const {
  TorrentRecord record;
  torrents_.ForEach([&](const InfoHash& info_hash, const TorrentSwarm& swarm) {
    record.info_hash = info_hash;
    swarm.Export(record);
    visit(record);
  });
}

void SwarmStore::Restore(const TorrentRecord& record) {
  const std::size_t index = torrents_.FindOrInsert(record.info_hash);
  Update(torrents_.SwarmAt(index),
         [&](TorrentSwarm& swarm) { swarm.Restore(record, store_peer_ids_); });
  EraseIfForgettable(index);
}

void SwarmStore::SetCompleted(const InfoHash& info_hash, std::uint64_t completed) {
  const std::size_t index = torrents_.FindOrInsert(info_hash);
  Update(torrents_.SwarmAt(index), [&](TorrentSwarm& swarm) { swarm.set_completed(completed); });
  EraseIfForgettable(index);
}

std::size_t SwarmStore::PeerListBytes() const {
  std::size_t total = 0;
  torrents_.ForEach(
      [&](const InfoHash&, const TorrentSwarm& swarm) { total += swarm.AllocatedBytes(); });
  return total;
}

}  // namespace shardtrack
