// AccessList: the set of torrents an operator's list file names (the original tracker's
// allowed_dir, opentracker's whitelist or blacklist), read by ParseAccessList.
//
// The text holds one torrent a line: its infohash as 40 hex digits in either case, a BEP 52 v2
// infohash as 64 hex digits (a v2 torrent reaches a tracker as its first 20 bytes, so those are
// kept), or a magnet URI carrying xt=urn:btih:<40 hex digits>. Blank lines and lines that start
// with '#' are skipped, whitespace around a line is ignored, a torrent listed twice is kept once.
// A bad line makes the whole text an error naming its number and what is wrong: a list is used
// whole or not at all.
//
// Held as a sorted vector: 20 bytes a torrent, and a lookup is a binary search with no
// allocation. Pure value type.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "common/fixed_bytes.h"
#include "common/result.h"

namespace shardtrack {

class AccessList {
 public:
  AccessList() = default;  // lists no torrent
  // Sorts `hashes` and drops repeats.
  explicit AccessList(std::vector<InfoHash> hashes);

  bool Contains(const InfoHash& info_hash) const;
  std::size_t size() const { return sorted_.size(); }
  bool empty() const { return sorted_.empty(); }

 private:
  std::vector<InfoHash> sorted_;
};

// The list `text` holds, or an error such as "line 7: expected 40 hex digits, found 38".
Result<AccessList> ParseAccessList(std::string_view text);

}  // namespace shardtrack
