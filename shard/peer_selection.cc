#include "shard/peer_selection.h"

#include <algorithm>
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

}  // namespace

void SelectPeers(std::span<const PeerSpan> spans, std::uint32_t numwant, bool want_peer_ids,
                 FastRng& rng, proto::AnnounceReply& out) {
  std::uint64_t total = 0;
  std::uint64_t total4 = 0;
  for (const PeerSpan& span : spans) {
    total += span.candidates();
    if (span.endpoint_size == 6) total4 += span.candidates();
    if (span.candidates() > 0 && span.peer_id_offset == 0) want_peer_ids = false;
  }
  const std::uint64_t wanted = std::min<std::uint64_t>(numwant, total);
  if (wanted == 0) return;

  // Reserve the most each list can take, so appending never reallocates.
  const std::uint64_t most4 = std::min(wanted, total4);
  const std::uint64_t most6 = std::min(wanted, total - total4);
  std::string* peers4 = out.mutable_peers4();
  std::string* peers6 = out.mutable_peers6();
  if (most4 > 0) peers4->reserve(peers4->size() + most4 * 6);
  if (most6 > 0) peers6->reserve(peers6->size() + most6 * 18);
  std::string* ids4 = want_peer_ids ? out.mutable_peer_ids4() : nullptr;
  std::string* ids6 = want_peer_ids ? out.mutable_peer_ids6() : nullptr;
  if (ids4 && most4 > 0) ids4->reserve(ids4->size() + most4 * 20);
  if (ids6 && most6 > 0) ids6->reserve(ids6->size() + most6 * 20);

  CandidateCursor cursor(spans);
  for (std::uint64_t run = 0; run < wanted; ++run) {
    const std::uint64_t begin = run * total / wanted;
    const std::uint64_t end = (run + 1) * total / wanted;
    const auto [span, entry] =
        cursor.At(begin + rng.Below(static_cast<std::uint32_t>(end - begin)));
    const bool v4 = span->endpoint_size == 6;
    (v4 ? peers4 : peers6)->append(reinterpret_cast<const char*>(entry), span->endpoint_size);
    if (want_peer_ids) {
      (v4 ? ids4 : ids6)->append(reinterpret_cast<const char*>(entry + span->peer_id_offset), 20);
    }
  }
}

}  // namespace shardtrack
