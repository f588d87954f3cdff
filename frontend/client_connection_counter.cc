#include "frontend/client_connection_counter.h"

#include "frontend/counted_client.h"

namespace shardtrack {

ClientConnectionCounter::ClientConnectionCounter(std::uint32_t limit)
    : limit_(limit), counts_(0, KeyHash{RandomSipHashKey()}) {}

bool ClientConnectionCounter::TryAdd(const IpAddress& client) {
  if (limit_ == 0) return true;
  const IpAddress key = CountedClient(client);
  auto it = counts_.find(key);
  if (it == counts_.end()) {
    spare_.Insert(counts_, key, [] { return 0u; })->second = 1;
    return true;
  }
  if (it->second >= limit_) return false;
  ++it->second;
  return true;
}

void ClientConnectionCounter::Remove(const IpAddress& client) {
  if (limit_ == 0) return;
  auto it = counts_.find(CountedClient(client));
  if (it == counts_.end()) return;
  if (--it->second == 0) spare_.Keep(counts_.extract(it));
}

std::uint32_t ClientConnectionCounter::count(const IpAddress& client) const {
  auto it = counts_.find(CountedClient(client));
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace shardtrack
