#include "shard/peer_selection.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

namespace shardtrack {
namespace {

// Walks the concatenation of the spans' candidates with ascending positions.
class CandidateCursor {
 public:
  explicit CandidateCursor(std::span<const PeerSpan> spans) : spans_(spans) {}

  // The entry at candidate `position`; positions must not decrease between calls.
  std::pair<const PeerSpan*, const std::uint8_t*> At(std::uint64_t position) {
    while (position >= base_ + spans_[span_].candidates()) base_ += spans_[span_++].candidates();
    const PeerSpan& span = spans_[span_];
    auto index = static_cast<std::uint32_t>(position - base_);
    if (index >= span.skip) ++index;
    return {&span, span.entries + index * span.entry_size};
  }

 private:
  std::span<const PeerSpan> spans_;
  std::size_t span_ = 0;
  std::uint64_t base_ = 0;
};

// One reply list (peers4, peers6 or an id list) grown to `most` items of kSize bytes up front.
template <std::size_t kSize>
struct ReplyList {
  ReplyList(std::string* target, std::uint64_t at_most) : list(target), most(at_most) {
    if (list == nullptr || most == 0) return;
    const std::size_t start = list->size();
    list->resize(start + most * kSize);
    next = list->data() + start;
  }
  ~ReplyList() {
    if (list != nullptr && most != 0) list->resize(static_cast<std::size_t>(next - list->data()));
  }
  ReplyList(const ReplyList&) = delete;
  ReplyList& operator=(const ReplyList&) = delete;

  void Put(const std::uint8_t* item) {
    std::memcpy(next, item, kSize);
    next += kSize;
  }

  std::string* list;
  std::uint64_t most;
  char* next = nullptr;
};

// The reply's lists, each grown once to the most it can take and written in place (one copy of a
// fixed size per peer, no append bookkeeping), then cut to what was written.
class ReplyWriter {
 public:
  ReplyWriter(std::uint64_t wanted, std::uint64_t total4, std::uint64_t total6, bool want_peer_ids,
              proto::AnnounceReply& out)
      : v4_(out.mutable_peers4(), std::min(wanted, total4)),
        v6_(out.mutable_peers6(), std::min(wanted, total6)),
        ids4_(want_peer_ids ? out.mutable_peer_ids4() : nullptr, v4_.most),
        ids6_(want_peer_ids ? out.mutable_peer_ids6() : nullptr, v6_.most),
        want_peer_ids_(want_peer_ids) {}

  void Put(const PeerSpan& span, const std::uint8_t* entry) {
    if (span.endpoint_size == 6) {
      v4_.Put(entry);
      if (want_peer_ids_) ids4_.Put(entry + span.peer_id_offset);
    } else {
      v6_.Put(entry);
      if (want_peer_ids_) ids6_.Put(entry + span.peer_id_offset);
    }
  }

 private:
  ReplyList<6> v4_;
  ReplyList<18> v6_;
  ReplyList<20> ids4_;
  ReplyList<20> ids6_;
  bool want_peer_ids_;
};

// Positions given already: a list while few (each looked up by a scan), then a bitmap over all
// the candidates, so that a large numwant costs no quadratic scan and a small one no bitmap.
class GivenPositions {
 public:
  explicit GivenPositions(std::uint64_t total) : total_(total) {}

  std::uint64_t size() const { return size_; }
  bool Contains(std::uint64_t position) const {
    if (!bits_.empty()) return ((bits_[position / 64] >> (position % 64)) & 1) != 0;
    return std::find(listed_.begin(), listed_.end(), position) != listed_.end();
  }
  void Add(std::uint64_t position) {
    ++size_;
    if (bits_.empty() && listed_.size() < kMostListed) {
      listed_.push_back(position);
      return;
    }
    if (bits_.empty()) {
      bits_.assign(total_ / 64 + 1, 0);
      for (const std::uint64_t listed : listed_) Set(listed);
    }
    Set(position);
  }

 private:
  static constexpr std::size_t kMostListed = 64;
  void Set(std::uint64_t position) { bits_[position / 64] |= std::uint64_t{1} << (position % 64); }

  std::uint64_t total_;
  std::uint64_t size_ = 0;
  std::vector<std::uint64_t> listed_;
  std::vector<std::uint64_t> bits_;
};

// Draws up to `missing` peers more for the runs of SelectPeers whose draw was left out, at
// random among the candidates neither left out nor given, so each keeps about the same chance.
// `picks`: each run's draw, its runs of `total` candidates starting at `offset`. Returns how
// many it appended.
std::uint64_t DrawForLeftOut(std::span<const PeerSpan> spans, std::uint64_t total,
                             std::uint64_t offset, std::span<const std::uint64_t> picks,
                             std::uint64_t missing, FastRng& rng, ReplyWriter& writer) {
  GivenPositions extra(total);
  const auto available = [&](std::uint64_t position, const PeerSpan& span,
                             const std::uint8_t* entry) {
    if (span.LeftOut(entry) || extra.Contains(position)) return false;
    // Run r holds the positions from r * total / runs on (counted from the offset): the one
    // holding p is the largest r with r * total / runs <= p, ((p + 1) * runs - 1) / total.
    const std::uint64_t from_offset = position + (position >= offset ? 0 : total) - offset;
    return picks[((from_offset + 1) * picks.size() - 1) / total] != position;
  };
  // With at most a quarter left out (PeerFamily::Downloaders) a draw succeeds more often than not
  // until most of the others are given; then (numwant near their number) a list of them, about
  // the reply's size, takes over.
  for (std::uint64_t draws = 0; extra.size() < missing && draws < 8 * missing + 16; ++draws) {
    const std::uint64_t position = rng.Below(static_cast<std::uint32_t>(total));
    const auto [span, entry] = CandidateCursor(spans).At(position);
    if (!available(position, *span, entry)) continue;
    extra.Add(position);
    writer.Put(*span, entry);
  }
  if (extra.size() == missing) return missing;
  std::vector<std::pair<const PeerSpan*, const std::uint8_t*>> others;
  CandidateCursor cursor(spans);
  for (std::uint64_t position = 0; position < total; ++position) {
    const auto [span, entry] = cursor.At(position);
    if (available(position, *span, entry)) others.emplace_back(span, entry);
  }
  const std::size_t more = std::min<std::size_t>(missing - extra.size(), others.size());
  for (std::size_t i = 0; i < more; ++i) {  // a partial shuffle
    std::swap(others[i], others[i + rng.Below(static_cast<std::uint32_t>(others.size() - i))]);
    writer.Put(*others[i].first, others[i].second);
  }
  return extra.size() + more;
}

// One peer drawn from each of `wanted` runs of the `total` candidates, from `offset` on, a chunk
// at a time, each entry prefetched as it is drawn, so that the cache misses of a large swarm
// overlap instead of coming one after another. kLeavesOut: a left-out draw is not given, but
// counted (returned), and each run's draw is kept in `picks` for DrawForLeftOut; without, the
// loop has nothing of it.
template <bool kLeavesOut>
std::uint64_t DrawOnePerRun(std::span<const PeerSpan> spans, std::uint64_t total,
                            std::uint64_t wanted, std::uint64_t offset, FastRng& rng,
                            ReplyWriter& writer, std::vector<std::uint64_t>& picks) {
  constexpr std::uint64_t kChunk = 16;
  std::array<std::pair<const PeerSpan*, const std::uint8_t*>, kChunk> drawn;
  CandidateCursor cursor(spans);
  std::uint64_t last_position = 0;
  std::uint64_t missing = 0;
  for (std::uint64_t first = 0; first < wanted; first += kChunk) {
    const std::uint64_t count = std::min(kChunk, wanted - first);
    for (std::uint64_t i = 0; i < count; ++i) {
      const std::uint64_t run = first + i;
      const std::uint64_t begin = run * total / wanted;
      const std::uint64_t end = (run + 1) * total / wanted;
      std::uint64_t position = offset + begin + rng.Below(static_cast<std::uint32_t>(end - begin));
      position -= position >= total ? total : 0;  // both terms are below total: no division
      if (position < last_position) cursor = CandidateCursor(spans);  // wrapped round, once
      last_position = position;
      drawn[i] = cursor.At(position);
      __builtin_prefetch(drawn[i].second);
      if constexpr (kLeavesOut) picks.push_back(position);
    }
    for (std::uint64_t i = 0; i < count; ++i) {
      const auto [span, entry] = drawn[i];
      if (kLeavesOut && span->LeftOut(entry)) {
        ++missing;
      } else {
        writer.Put(*span, entry);
      }
    }
  }
  return missing;
}

}  // namespace

std::uint32_t SelectPeers(std::span<const PeerSpan> spans, std::uint32_t numwant,
                          bool want_peer_ids, FastRng& rng, proto::AnnounceReply& out) {
  std::uint64_t total = 0;
  std::uint64_t total4 = 0;
  std::uint64_t left_out = 0;
  for (const PeerSpan& span : spans) {
    total += span.candidates();
    left_out += span.left_out;
    if (span.endpoint_size == 6) total4 += span.candidates();
    if (span.candidates() > 0 && span.peer_id_offset == 0) want_peer_ids = false;
  }
  const std::uint64_t wanted = std::min<std::uint64_t>(numwant, total - left_out);
  if (wanted == 0) return 0;

  ReplyWriter writer(wanted, total4, total - total4, want_peer_ids, out);
  // The runs start at a random place and wrap round: with fixed runs, a run of one peer (numwant
  // over half the candidates) would put that peer in every reply.
  const std::uint64_t offset = rng.Below(static_cast<std::uint32_t>(total));
  std::vector<std::uint64_t> picks;  // with candidates left out: each run's draw
  if (left_out == 0) {
    DrawOnePerRun<false>(spans, total, wanted, offset, rng, writer, picks);
    return static_cast<std::uint32_t>(wanted);
  }
  picks.reserve(wanted);
  const std::uint64_t missing =
      DrawOnePerRun<true>(spans, total, wanted, offset, rng, writer, picks);
  if (missing == 0) return static_cast<std::uint32_t>(wanted);
  return static_cast<std::uint32_t>(
      wanted - missing + DrawForLeftOut(spans, total, offset, picks, missing, rng, writer));
}

}  // namespace shardtrack
