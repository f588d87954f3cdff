// SharedFanOut: requests that ask what a fan-out to every shard under way will answer (a full
// scrape, the info page, /readyz) wait for its answer instead of asking every shard again: a
// burst of them otherwise held the shards for seconds and the frontend's memory grew by a reply
// per request. The fan-out is stamped with the access list it was asked under; a request under
// another list waits for it to end and then asks again, so that one fan-out of a kind is under
// way at a time (a shard refuses a batch with two full scrapes). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "frontend/asker.h"

namespace shardtrack {

class SharedFanOut {
 public:
  bool under_way() const { return under_way_.has_value(); }
  // Whether a fan-out asked under `list_version` is under way, so a request may wait for it.
  bool CanWait(std::uint64_t list_version) const { return under_way_ == list_version; }
  void Wait(const Asker& waiter) { waiters_.push_back(waiter); }
  // A request under another list than the fan-out under way's: to ask again once it ends.
  void Defer(const Asker& asker) { deferred_.push_back(asker); }
  // Makes a fan-out starting now, with none under way, the shared one.
  void Start(std::uint64_t list_version) { under_way_ = list_version; }
  // The shared fan-out ended: its waiters, handed over into `out` (a request that an answer lets
  // in waits for the next one). The two vectors trade places, so neither is allocated again.
  void Finish(std::vector<Asker>& out) {
    under_way_.reset();
    out.clear();
    out.swap(waiters_);
  }
  // After Finish: the requests deferred meanwhile, to be asked again.
  std::vector<Asker> TakeDeferred() { return std::exchange(deferred_, {}); }

 private:
  std::optional<std::uint64_t> under_way_;
  std::vector<Asker> waiters_;
  std::vector<Asker> deferred_;
};

}  // namespace shardtrack
