#include "shard/shard_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <utility>

#include "common/passkey.h"
#include "common/reply_limits.h"
#include "common/routing.h"
#include "common/siphash.h"
#include "proto/message_reuse.h"
#include "shard/clamp32.h"
#include "shard/seen_time.h"

namespace shardtrack {
namespace {

// The service is given wall time only; a throttle compares time points and nothing else.
MonoTime AsTimePoint(UnixSeconds now) { return MonoTime{} + std::chrono::seconds(now); }

// The announce as the journal replays it: `completed` exactly when the swarm holds the peer's
// completion as counted, by this announce or an earlier one, which replay takes as the peer's
// mark. A seeder repeating `completed` did not complete here, and a peer that expired and came
// back starts unmarked: their later real completions must still count after a restart.
PeerAnnounce AsApplied(PeerAnnounce announce, const AnnounceOutcome& outcome) {
  if (announce.event != proto::EVENT_STOPPED) {
    announce.event = outcome.peer_completed ? proto::EVENT_COMPLETED : proto::EVENT_NONE;
  }
  return announce;
}

std::string OfShards(std::uint32_t index, std::uint32_t count) {
  return "shard " + std::to_string(index) + " of " + std::to_string(count);
}

}  // namespace

ShardService::ShardService(std::uint32_t index, std::uint32_t count, SwarmStore& store,
                           std::uint64_t seed, ShardLimits limits)
    : index_(index),
      count_(count),
      store_(store),
      rng_(seed),
      recent_completions_(RandomSipHashKey()),
      limits_(limits) {}

void ShardService::Handle(const proto::RequestBatch& in, UnixSeconds now, proto::ReplyBatch& out) {
  ClearMessageForReuse(out);
  applied_.clear();
  completions_.clear();
  full_scrape_in_batch_ = false;
  out.mutable_replies()->Reserve(in.requests_size());
  if (in.shard_index() != index_ || in.shard_count() != count_) {
    const std::string failure =
        "misrouted batch: this is " + OfShards(index_, count_) + ", the frontend believes " +
        OfShards(in.shard_index(), in.shard_count()) + "; check the frontends' --shard lists";
    ++counters_.misrouted_batches;
    counters_.misrouted_requests += in.requests_size();
    LogMisroute(now, failure);
    for (const proto::Request& request : in.requests()) {
      proto::Reply* reply = out.add_replies();
      reply->set_id(request.id());
      reply->set_failure(failure);
      reply->set_misrouted(true);
    }
    return;
  }
  for (const proto::Request& request : in.requests()) {
    proto::Reply* reply = out.add_replies();
    reply->set_id(request.id());
    const std::size_t counted_before = completions_.size();
    HandleOne(request, now, *reply);
    if (completions_.size() > counted_before) {
      completions_.back().request_index = out.replies_size() - 1;
    }
  }
}

void ShardService::HandleOne(const proto::Request& request, UnixSeconds now, proto::Reply& reply) {
  const int bodies = request.has_announce() + request.has_scrape() + request.has_stats();
  if (bodies != 1) {
    ++counters_.invalid_requests;
    reply.set_failure(bodies == 0 ? "empty request" : "a request carries more than one body");
  } else if (request.has_announce()) {
    ++counters_.announces;
    HandleAnnounce(request.announce(), now, reply);
  } else if (request.has_scrape()) {
    ++counters_.scrapes;
    HandleScrape(request.scrape(), now, reply);
  } else {
    *reply.mutable_stats() = store_.Stats(request.stats().max_torrents());
  }
}

void ShardService::HandleAnnounce(const proto::AnnounceRequest& request, UnixSeconds now,
                                  proto::Reply& reply) {
  auto announce = ParsePeerAnnounce(request);
  if (!announce.ok()) {
    ++counters_.invalid_requests;
    reply.set_failure(announce.error());
    return;
  }
  if (std::string failure = CheckOwner(announce->info_hash, now); !failure.empty()) {
    reply.set_failure(std::move(failure));
    reply.set_misrouted(true);
    return;
  }
  if (!request.passkey().empty() && !IsValidPasskey(request.passkey())) {
    ++counters_.invalid_requests;
    reply.set_failure("invalid passkey");
    return;
  }
  if (std::string failure = CheckRoom(*announce, now); !failure.empty()) {
    reply.set_failure(std::move(failure));
    reply.set_retry_later(true);  // expiry makes room: BEP 31's `retry in`
    return;
  }
  announce->numwant = std::min(announce->numwant, kMaxPeersPerReply);
  if (announce->event == proto::EVENT_COMPLETED &&
      recent_completions_.Seen(announce->info_hash, announce->peer_id, now)) {
    announce->event = proto::EVENT_NONE;  // as a seeder's repeat, journaled so
    ++counters_.repeated_completions;
  }
  const AnnounceOutcome outcome = store_.Announce(*announce, now, rng_, *reply.mutable_announce());
  applied_.push_back(AsApplied(*announce, outcome));
  if (outcome.peers_out_of_range > 0) NoteOutOfRange(outcome.peers_out_of_range, now);
  if (outcome.completion_counted) {
    recent_completions_.Note(announce->info_hash, announce->peer_id, now);
  }
  if (credits_ != nullptr && outcome.accepted && !request.passkey().empty()) {
    credits_->Credit(*announce, request.passkey(), request.uploaded(), request.downloaded(),
                     outcome.completion_counted, now);
  }
  if (outcome.completion_counted) {
    ++counters_.completions;
    completions_.push_back({announce->info_hash, outcome.completed});
  }
}

void ShardService::HandleScrape(const proto::ScrapeRequest& request, UnixSeconds now,
                                proto::Reply& reply) {
  if (request.full()) {
    // A frontend shares one full scrape among its clients; a batch asking for more (a hostile or
    // broken peer) would have the shard copy its whole table once for each.
    if (std::exchange(full_scrape_in_batch_, true)) {
      ++counters_.invalid_requests;
      reply.set_failure("one full scrape a batch");
      return;
    }
    store_.FullScrape(request.limit(), *reply.mutable_scrape());
    return;
  }
  proto::ScrapeReply& scrape = *reply.mutable_scrape();
  for (const std::string& raw : request.info_hashes()) {
    auto info_hash = InfoHash::FromRaw(raw);
    if (!info_hash) {
      ++counters_.invalid_requests;
      reply.clear_scrape();
      reply.set_failure("invalid info_hash: " + std::to_string(raw.size()) + " bytes, expected 20");
      return;
    }
    if (std::string failure = CheckOwner(*info_hash, now); !failure.empty()) {
      reply.clear_scrape();
      reply.set_failure(std::move(failure));
      reply.set_misrouted(true);
      return;
    }
    proto::ScrapeEntry* entry = scrape.add_files();
    entry->set_info_hash(raw);
    SetCounts(store_.ScrapeOne(*info_hash), *entry);
  }
}

std::string ShardService::CheckOwner(const InfoHash& info_hash, UnixSeconds now) {
  const std::uint32_t owner = ShardFor(info_hash, count_);
  if (owner == index_) return {};
  ++counters_.misrouted_requests;
  std::string failure = "misrouted infohash " + info_hash.ToHex() + ": it belongs to " +
                        OfShards(owner, count_) + ", not to this " + OfShards(index_, count_) +
                        "; check the frontends' --shard lists";
  LogMisroute(now, failure);
  return failure;
}

std::string ShardService::CheckRoom(const PeerAnnounce& announce, UnixSeconds now) {
  const auto limit = LimitPassedBy(announce);
  if (limit == nullptr) return {};
  const bool torrent = limit == &ShardLimits::max_torrents;
  ++(torrent ? counters_.refused_torrents : counters_.refused_peers);
  LogFull(now, limit);
  return std::string("tracker full: no room for another ") + (torrent ? "torrent" : "peer") +
         ", try again later";
}

std::uint32_t ShardLimits::*ShardService::LimitPassedBy(const PeerAnnounce& announce) const {
  if (announce.event == proto::EVENT_STOPPED) return nullptr;  // adds nothing
  if (ShardLimits::Reached(limits_.max_torrents, store_.active_torrents())) {
    const SwarmCounts counts = store_.ScrapeOne(announce.info_hash);
    if (counts.seeders + counts.leechers == 0) return &ShardLimits::max_torrents;
  }
  if (ShardLimits::Reached(limits_.max_peers, store_.peers()) && !store_.Lists(announce)) {
    return &ShardLimits::max_peers;
  }
  return nullptr;
}

void ShardService::LogFull(UnixSeconds now, std::uint32_t ShardLimits::*limit) {
  if (!full_log_.Due(AsTimePoint(now))) return;
  spdlog::warn(
      "shard {}: refusing announces that would add to it: it holds {} {} (torrents refused so "
      "far: {}, peers: {}); raise the limit, add shards, or bound what clients may add (an "
      "--access-list)",
      index_, limit == &ShardLimits::max_torrents ? "--max-torrents" : "--max-peers",
      limits_.*limit, counters_.refused_torrents, counters_.refused_peers);
}

void ShardService::NoteOutOfRange(std::uint32_t peers, UnixSeconds now) {
  counters_.peers_out_of_range += peers;
  if (!out_of_range_log_.Due(AsTimePoint(now))) return;
  spdlog::warn(
      "shard {}: dropped {} peers last seen more than {} days from now ({} so far): the system "
      "clock moved by weeks, or this shard's data was copied from another time; set the clock "
      "right (their clients announce again within an interval)",
      index_, peers, kSeenTimeKeep / 86400, counters_.peers_out_of_range);
}

void ShardService::LogMisroute(UnixSeconds now, const std::string& message) {
  if (!misroute_log_.Due(AsTimePoint(now))) return;
  spdlog::error("{} (batches refused so far: {}, requests: {})", message,
                counters_.misrouted_batches, counters_.misrouted_requests);
}

}  // namespace shardtrack
