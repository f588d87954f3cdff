#include "shard/peer_selection.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

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

}  // namespace

std::uint32_t SelectPeers(std::span<const PeerSpan> spans, std::uint32_t numwant,
                          bool want_peer_ids, FastRng& rng, proto::AnnounceReply& out) {
  std::uint64_t total = 0;
  std::uint64_t total4 = 0;
  for (const PeerSpan& span : spans) {
    total += span.candidates();
    if (span.endpoint_size == 6) total4 += span.candidates();
    if (span.candidates() > 0 && span.peer_id_offset == 0) want_peer_ids = false;
  }
  const std::uint64_t wanted = std::min<std::uint64_t>(numwant, total);
  if (wanted == 0) return 0;

  // Each list is grown once to the most it can take and written in place (one copy of a fixed
  // size per peer, no append bookkeeping), then cut to what was written.
  ReplyList<6> v4(out.mutable_peers4(), std::min(wanted, total4));
  ReplyList<18> v6(out.mutable_peers6(), std::min(wanted, total - total4));
  ReplyList<20> ids4(want_peer_ids ? out.mutable_peer_ids4() : nullptr, v4.most);
  ReplyList<20> ids6(want_peer_ids ? out.mutable_peer_ids6() : nullptr, v6.most);

  // Drawn a chunk at a time, each entry prefetched as it is drawn, so that the cache misses of
  // a large swarm overlap instead of coming one after another.
  constexpr std::uint64_t kChunk = 16;
  std::array<std::pair<const PeerSpan*, const std::uint8_t*>, kChunk> drawn;
  CandidateCursor cursor(spans);
  // The runs start at a random place and wrap round: with fixed runs, a run of one peer (numwant
  // over half the candidates) would put that peer in every reply.
  const std::uint64_t offset = rng.Below(static_cast<std::uint32_t>(total));
  std::uint64_t last_position = 0;
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
    }
    for (std::uint64_t i = 0; i < count; ++i) {
      const auto [span, entry] = drawn[i];
      if (span->endpoint_size == 6) {
        v4.Put(entry);
        if (want_peer_ids) ids4.Put(entry + span->peer_id_offset);
      } else {
        v6.Put(entry);
        if (want_peer_ids) ids6.Put(entry + span->peer_id_offset);
      }
    }
  }
  return static_cast<std::uint32_t>(wanted);
}

}  // namespace shardtrack
