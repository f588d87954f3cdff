// Nanoseconds per SelectPeers call (50 peers wanted, compact IPv4 entries without ids) for
// swarms of 10 to 200,000 peers, spread over enough swarms that large ones miss the cache as a
// busy shard's do; then with one peer in 20 a partial seed left out, as for a seeder's announce. A
// benchmark, never run by ctest: build/bin/select_peers_bench on a quiet core (taskset), before and
// after a change to shard/peer_selection.cc.
#include <cstdint>
#include <cstdio>
#include <random>
#include <span>
#include <vector>

#include "bench/micro/nanos_per_call.h"
#include "common/fast_rng.h"
#include "shard/peer_selection.h"

namespace shardtrack {
namespace {

constexpr std::size_t kEntrySize = 9;  // an IPv4 entry without a peer id (peer_family.h)
constexpr std::uint32_t kNumwant = 50;
constexpr int kCalls = 200000;

constexpr std::size_t kFlagsAt = 8;  // the byte with the flags, the last of last-seen's 3
constexpr std::uint8_t kPartialSeedFlag = 0x80;

// `left_out_every`: every so many entries is a partial seed, left out (0: none).
double NanosPerSelection(std::uint32_t swarm_size, std::size_t swarms, std::uint32_t left_out_every,
                         FastRng& rng) {
  std::vector<std::uint8_t> entries(swarms * swarm_size * kEntrySize);
  std::mt19937 fill(1);
  for (std::uint8_t& byte : entries) byte = static_cast<std::uint8_t>(fill());
  std::uint32_t left_out = 0;
  for (std::size_t n = 0; n < swarm_size; ++n) {
    const bool partial_seed = left_out_every != 0 && n % left_out_every == 0;
    left_out += partial_seed;
    for (std::size_t swarm = 0; swarm < swarms; ++swarm) {
      entries[(swarm * swarm_size + n) * kEntrySize + kFlagsAt] =
          partial_seed ? kPartialSeedFlag : 0;
    }
  }
  proto::AnnounceReply reply;
  return NanosPerCall(kCalls, [&](int call) {
    const std::size_t swarm = static_cast<std::size_t>(call) % swarms;
    PeerSpan span;
    span.entries = entries.data() + swarm * swarm_size * kEntrySize;
    span.count = swarm_size;
    span.entry_size = kEntrySize;
    span.flags_offset = kFlagsAt;
    span.left_out_flags = kPartialSeedFlag;
    span.left_out = left_out;
    reply.Clear();
    SelectPeers(std::span<const PeerSpan>(&span, 1), kNumwant, false, rng, reply);
    return reply.peers4().size();
  });
}

}  // namespace
}  // namespace shardtrack

int main() {
  shardtrack::FastRng rng(1);
  std::printf(
      "| peers in the swarm | swarms | ns per call | one in 20 left out |\n|---|---|---|---|\n");
  for (const auto& [size, swarms] :
       {std::pair<std::uint32_t, std::size_t>{10, 4096}, {200, 4096}, {5000, 64}, {200000, 64}}) {
    const double all = shardtrack::NanosPerSelection(size, swarms, 0, rng);
    const double some = shardtrack::NanosPerSelection(size, swarms, 20, rng);
    std::printf("| %u | %zu | %.0f | %.0f |\n", size, swarms, all, some);
  }
}
