// SwarmCounts: a swarm's seeders, leechers, completed count and partial seeds, as a scrape or an
// announce reply gives them. Pure.
#pragma once

#include <cstdint>

#include "shard/clamp32.h"

namespace shardtrack {

struct SwarmCounts {
  std::uint64_t seeders = 0;
  std::uint64_t leechers = 0;
  std::uint64_t completed = 0;
  std::uint64_t partial_seeds = 0;  // BEP 21: the leechers that want nothing more
};

// Puts `counts` in a reply message's complete / incomplete / downloaded fields (an announce
// reply or a scrape entry), each clamped to the 32 bits they hold, and a scrape entry's
// downloaders (BEP 21 asks for them in scrapes only).
template <typename Reply>
void SetCounts(const SwarmCounts& counts, Reply& reply) {
  reply.set_complete(ClampTo32(counts.seeders));
  reply.set_incomplete(ClampTo32(counts.leechers));
  reply.set_downloaded(ClampTo32(counts.completed));
  if constexpr (requires { reply.set_downloaders(0); }) {
    reply.set_downloaders(ClampTo32(counts.leechers - counts.partial_seeds));
  }
}

}  // namespace shardtrack
