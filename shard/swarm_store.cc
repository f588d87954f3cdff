#include "shard/swarm_store.h"

#include <algorithm>
#include <vector>

#include "shard/clamp32.h"

namespace shardtrack {
namespace {

void FillEntry(const InfoHash& info_hash, const TorrentSwarm& swarm, proto::ScrapeEntry& entry) {
  entry.set_info_hash(info_hash.bytes.data(), InfoHash::kSize);
  SetCounts(swarm.counts(), entry);
}

}  // namespace

template <typename Change>
void SwarmStore::Update(TorrentSwarm& swarm, Change&& change) {
  active_torrents_ -= swarm.peers() > 0;
  seeders_ -= swarm.seeders();
  leechers_ -= swarm.leechers();
  partial_seeds_ -= swarm.partial_seeds();
  completed_ -= swarm.completed();
  change(swarm);
  seeders_ += swarm.seeders();
  leechers_ += swarm.leechers();
  partial_seeds_ += swarm.partial_seeds();
  completed_ += swarm.completed();
  active_torrents_ += swarm.peers() > 0;
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
  TorrentSwarm::Applied applied;
  Update(swarm, [&](TorrentSwarm& s) { applied = s.Apply(announce, now, peer_ids_); });
  outcome.completion_counted = applied.completion_counted;
  outcome.peer_completed = applied.peer_completed;
  outcome.peers_out_of_range = applied.peers_out_of_range;
  outcome.completed = swarm.completed();
  SetCounts(swarm.counts(), out);
  if (announce.event != proto::EVENT_STOPPED) {
    swarm.SelectFor(announce, applied, rng, out);
  } else {
    EraseIfForgettable(index);
  }
  return outcome;
}

bool SwarmStore::RetireIfIdle(std::size_t index, UnixSeconds now, std::int64_t retention,
                              std::vector<InfoHash>& retired) {
  if (retention <= 0) return false;
  TorrentSwarm& swarm = torrents_.SwarmAt(index);
  swarm.StartIdleClock(now);
  if (!swarm.IdleSince(now - retention)) return false;
  retired.push_back(torrents_.KeyAt(index));
  Update(swarm, [](TorrentSwarm& s) { s.set_completed(0); });  // out of the totals
  torrents_.Erase(index);
  return true;
}

ExpireProgress SwarmStore::ExpireSlice(UnixSeconds now, std::int64_t peer_timeout,
                                       std::size_t max_torrents, std::int64_t torrent_retention) {
  ExpireProgress progress;
  const UnixSeconds cutoff = now - peer_timeout;
  // Never more than one lap per slice: erasing only removes torrents already examined.
  const std::size_t budget = std::min<std::size_t>(max_torrents, torrents_.size());
  std::size_t index = expire_cursor_ ? torrents_.LowerBound(*expire_cursor_) : torrents_.Begin();
  auto finish_lap = [&] {
    progress.lap_finished = true;
    last_lap_top_ = lap_top_.TakeBest();
  };
  while (progress.torrents_examined < budget) {
    if (index == torrents_.end()) {
      finish_lap();
      index = torrents_.Begin();
    }
    ++progress.torrents_examined;
    TorrentSwarm& swarm = torrents_.SwarmAt(index);
    Update(swarm,
           [&](TorrentSwarm& s) { progress.peers_removed += s.ExpireSeenAtOrBefore(cutoff); });
    const InfoHash examined = torrents_.KeyAt(index);
    if (EraseIfForgettable(index) ||
        RetireIfIdle(index, now, torrent_retention, progress.retired)) {
      ++progress.torrents_removed;
      index = torrents_.LowerBound(examined);  // the erase may have moved or rehashed the rest
    } else {
      lap_top_.Offer(examined, swarm.peers());
      index = torrents_.Next(index + 1);
    }
  }
  expire_cursor_.reset();
  if (index != torrents_.end()) {
    expire_cursor_ = torrents_.KeyAt(index);
  } else {
    finish_lap();
  }
  return progress;
}

SwarmCounts SwarmStore::ScrapeOne(const InfoHash& info_hash) const {
  const std::size_t index = torrents_.Find(info_hash);
  if (index == torrents_.end()) return {};
  return torrents_.SwarmAt(index).counts();
}

bool SwarmStore::Lists(const PeerAnnounce& announce) const {
  const std::size_t index = torrents_.Find(announce.info_hash);
  return index != torrents_.end() && torrents_.SwarmAt(index).Lists(announce.ip, announce.port);
}

void SwarmStore::FullScrape(std::uint32_t limit, proto::ScrapeReply& out) const {
  std::uint32_t added = 0;
  torrents_.ForEachWhile([&](const InfoHash& info_hash, const TorrentSwarm& swarm) {
    if (limit != 0 && added == limit) {
      out.set_truncated(true);
      return false;  // the rest of the table is not walked
    }
    FillEntry(info_hash, swarm, *out.add_files());
    ++added;
    return true;
  });
}

proto::StatsReply SwarmStore::Stats(std::uint32_t max_torrents) const {
  proto::StatsReply out;
  out.set_torrents(torrents());
  out.set_peers(peers());
  out.set_seeders(seeders_);
  out.set_leechers(leechers_);
  out.set_completed(completed_);
  out.set_partial_seeds(partial_seeds_);
  const std::size_t wanted = std::min(max_torrents, kMaxStatsTorrents);
  if (wanted == 0) return out;
  const std::vector<InfoHash> best =
      torrents_.size() <= kTopScanLimit ? TopByScan(wanted) : TopOfLastLap(wanted);
  for (const InfoHash& info_hash : best) {
    FillEntry(info_hash, torrents_.SwarmAt(torrents_.Find(info_hash)), *out.add_top());
  }
  return out;
}

std::vector<InfoHash> SwarmStore::TopByScan(std::size_t wanted) const {
  TopTorrents top(wanted);
  torrents_.ForEach([&](const InfoHash& info_hash, const TorrentSwarm& swarm) {
    top.Offer(info_hash, swarm.peers());
  });
  return top.TakeBest();
}

// The last lap's list ranked again by the counts its torrents have now; forgotten ones are gone.
std::vector<InfoHash> SwarmStore::TopOfLastLap(std::size_t wanted) const {
  TopTorrents top(wanted);
  for (const InfoHash& info_hash : last_lap_top_) {
    const std::size_t index = torrents_.Find(info_hash);
    if (index != torrents_.end()) top.Offer(info_hash, torrents_.SwarmAt(index).peers());
  }
  return top.TakeBest();
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
  Update(torrents_.SwarmAt(index), [&](TorrentSwarm& swarm) { swarm.Restore(record, peer_ids_); });
  const std::uint64_t peers = torrents_.SwarmAt(index).peers();
  if (!EraseIfForgettable(index)) restored_top_.Offer(record.info_hash, peers);
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
