// Nanoseconds per SelectPeers call (50 peers wanted, compact IPv4 entries without ids) for
// swarms of 10 to 200,000 peers, spread over enough swarms that large ones miss the cache as a
// busy shard's do. A benchmark, never run by ctest: build/bin/select_peers_bench on a quiet core
// (taskset), before and after a change to shard/peer_selection.cc.
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

constexpr std::size_t kEntrySize = 11;  // an IPv4 entry without a peer id (peer_family.h)
constexpr std::uint32_t kNumwant = 50;
constexpr int kCalls = 200000;

double NanosPerSelection(std::uint32_t swarm_size, std::size_t swarms, FastRng& rng) {
  std::vector<std::uint8_t> entries(swarms * swarm_size * kEntrySize);
  std::mt19937 fill(1);
  for (std::uint8_t& byte : entries) byte = static_cast<std::uint8_t>(fill());
  proto::AnnounceReply reply;
  return NanosPerCall(kCalls, [&](int call) {
    const std::size_t swarm = static_cast<std::size_t>(call) % swarms;
    const PeerSpan span{entries.data() + swarm * swarm_size * kEntrySize,
                        swarm_size,
                        PeerSpan::kNoSkip,
                        6,
                        kEntrySize,
                        0};
    reply.Clear();
    SelectPeers(std::span<const PeerSpan>(&span, 1), kNumwant, false, rng, reply);
    return reply.peers4().size();
  });
}

}  // namespace
}  // namespace shardtrack

int main() {
  shardtrack::FastRng rng(1);
  std::printf("| peers in the swarm | swarms | ns per call |\n|---|---|---|\n");
  for (const auto& [size, swarms] :
       {std::pair<std::uint32_t, std::size_t>{10, 4096}, {200, 4096}, {5000, 64}, {200000, 64}}) {
    std::printf("| %u | %zu | %.0f |\n", size, swarms,
                shardtrack::NanosPerSelection(size, swarms, rng));
  }
}
