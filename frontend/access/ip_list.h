// IpList: the client addresses an operator's IP file names, as the original tracker's
// allowed_ips and banned_ips files did: a block list of abusive hosts and networks, or the only
// networks a LAN tracker serves.
//
// The text holds one entry a line (list_file.h's format; anything after the entry is the
// operator's note): an address ("192.0.2.7", "2001:db8::1"), a CIDR block ("10.0.0.0/8",
// "2001:db8::/32") or a range "first-last" (or "first - last") of one family. An IPv4-mapped IPv6
// address counts as IPv4 (a mapped block "::ffff:10.0.0.0/104" as 10.0.0.0/8). A bad line makes the
// whole text an error naming its number.
//
// Held per family as sorted, merged ranges, so a lookup is one binary search with no allocation
// whatever the list's length. Pure value type.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"

namespace shardtrack {

class IpList {
 public:
  __extension__ using Value = unsigned __int128;  // an address as a number (IPv4: low 32 bits)
  struct Range {
    Value first = 0;
    Value last = 0;  // inclusive
  };

  IpList() = default;  // lists no address
  // Sorts and merges each family's ranges; `entries` is what the file gave, for size().
  IpList(std::vector<Range> v4, std::vector<Range> v6, std::size_t entries);

  bool Contains(const IpAddress& address) const;
  std::size_t size() const { return entries_; }

 private:
  std::vector<Range> v4_;
  std::vector<Range> v6_;
  std::size_t entries_ = 0;
};

// The list `text` holds, or an error such as `line 3 "10.0.0.0/33": the prefix must be 0 to 32`.
Result<IpList> ParseIpList(std::string_view text);

}  // namespace shardtrack
