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

}  // namespace shardtrack
