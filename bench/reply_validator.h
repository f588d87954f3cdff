// Checks a tracker's reply body the way a careful client would. Pure.
//
// An announce reply must be a strictly bencoded dict without "failure reason", with a positive
// integer "interval" and a "peers" value (compact string of 6-byte entries, or a list of dicts);
// "peers6", when present, must be a string of 18-byte entries. When the swarm is known to hold
// another peer (`expect_peers`), the reply must list at least one peer.
// A scrape reply must be a dict whose "files" dict maps the requested infohash to a dict with
// integer complete/incomplete counts; the entry may be absent only when `expect_entry` is false
// (a tracker may omit torrents it has never seen).
#pragma once

#include <cstddef>
#include <string_view>

#include "common/fixed_bytes.h"
#include "common/result.h"

namespace shardtrack {

// Returns the number of peers the reply lists (IPv4 and IPv6 together).
Result<std::size_t> ValidateAnnounceReply(std::string_view body, bool expect_peers);

Status ValidateScrapeReply(std::string_view body, const InfoHash& info_hash, bool expect_entry);

}  // namespace shardtrack
