#include "common/routing.h"

namespace shardtrack {

std::uint32_t JumpConsistentHash(std::uint64_t key, std::uint32_t buckets) {
  std::int64_t bucket = -1;
  std::int64_t next = 0;
  while (next < static_cast<std::int64_t>(buckets)) {
    bucket = next;
    key = key * 2862933555777941757ULL + 1;
    next = static_cast<std::int64_t>(
        static_cast<double>(bucket + 1) *
        (static_cast<double>(1LL << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<std::uint32_t>(bucket);
}

std::uint32_t ShardFor(const InfoHash& info_hash, std::uint32_t shard_count) {
  std::uint64_t key = 0;
  for (int i = 0; i < 8; ++i) key = (key << 8) | info_hash.bytes[i];
  return JumpConsistentHash(key, shard_count);
}

bool MayRouteToBoth(std::uint32_t a, std::uint32_t a_count, std::uint32_t b,
                    std::uint32_t b_count) {
  if (a_count > b_count) return MayRouteToBoth(b, b_count, a, a_count);
  return b == a || b >= a_count;  // kept where it was, or moved to a shard the smaller count lacks
}

std::uint32_t ShardsThatMayHold(std::uint32_t count, std::uint32_t index,
                                std::uint32_t owner_count) {
  if (count == owner_count) return 1;                         // the owner itself
  if (count < owner_count) return index < count ? 1 : count;  // an added shard's came from any
  return 1 + (count - owner_count);  // the owner's, and those of the shards it lost
}

}  // namespace shardtrack
