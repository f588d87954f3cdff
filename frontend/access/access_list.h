// AccessList: the set of torrents an operator's list file names (the original tracker's
// allowed_dir, opentracker's whitelist or blacklist), read by ParseAccessList.
//
// The text holds one torrent a line: its infohash as 40 hex digits in either case, a BEP 52 v2
// infohash as 64 hex digits (a v2 torrent reaches a tracker as its first 20 bytes, so those are
// kept), or a magnet URI carrying xt=urn:btih:<40 hex digits>. Blank lines and lines that start
// with '#' are skipped, whitespace around a line is ignored (list_file.h), a torrent listed twice
// is kept once.
// A bad line makes the whole text an error naming its number and what is wrong: a list is used
// whole or not at all.
//
// Held as a sorted vector (20 bytes a torrent) and an index of where each 16-bit prefix starts
// (256 KiB), so a lookup is a binary search within one prefix's few entries: a search over the
// whole vector touched ~17 cache lines and cost 3-5% of a keep-alive announce at 100,000
// entries. Infohashes are SHA-1 or SHA-256 digests, so prefixes are even. No allocation per
// lookup. A list read from torrent files also holds each torrent's name (BEP 48's scrape `name`,
// and the info page's). Pure value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
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
  // The same, each hash with the name at its index in `names` (a torrent file's; a repeat keeps
  // the first).
  AccessList(std::vector<InfoHash> hashes, std::vector<std::string> names);

  bool Contains(const InfoHash& info_hash) const { return Find(info_hash).has_value(); }
  // The torrent's name, or empty: unlisted, or listed without one.
  std::string_view NameOf(const InfoHash& info_hash) const;
  // Whether NameOf can give any name (a list read from torrent files).
  bool named() const { return !names_.empty(); }
  // The bytes of the longest name (0 without names): what a full scrape budgets for each.
  std::size_t longest_name() const { return longest_name_; }
  std::size_t size() const { return sorted_.size(); }
  bool empty() const { return sorted_.empty(); }

 private:
  static std::size_t PrefixOf(const InfoHash& info_hash) {
    return std::size_t{info_hash.bytes[0]} << 8 | info_hash.bytes[1];
  }

  void IndexPrefixes();
  std::optional<std::size_t> Find(const InfoHash& info_hash) const;

  std::vector<InfoHash> sorted_;
  std::vector<std::string> names_;  // sorted_'s, by index; empty: no names
  std::size_t longest_name_ = 0;
  std::vector<std::uint32_t> prefix_start_;  // [p, p+1): the entries with prefix p; empty: none
};

// The list `text` holds, or an error such as "line 7: expected 40 hex digits, found 38".
Result<AccessList> ParseAccessList(std::string_view text);

}  // namespace shardtrack
