#include "frontend/counted_client.h"

#include <algorithm>
#include <array>

namespace shardtrack {
namespace {
constexpr std::size_t kIpv6PrefixBytes = 8;  // a /64
}  // namespace

IpAddress CountedClient(const IpAddress& client) {
  if (client.is_v4()) return client;
  std::array<char, 16> prefix{};  // the rest stays zero
  std::copy_n(client.raw().data(), kIpv6PrefixBytes, prefix.data());
  return *IpAddress::FromRaw({prefix.data(), prefix.size()});
}

}  // namespace shardtrack
