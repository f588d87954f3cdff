// The HTML page at GET /: cluster totals and the busiest torrents (with their names when the
// access list's torrent files gave them, HTML-escaped), as the original tracker's info page
// showed. Pure: it renders what the shards reported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "proto/shardtrack.pb.h"

namespace shardtrack {

// `stats` holds the summed totals and the rows to show, already sorted and bounded.
// `shards_answered` < `shard_count` is shown as a warning: the totals are partial. Rows stop,
// saying how many were left out, before the page would pass `max_bytes` (long names escape to
// several times their length, and a reply over --max-output-bytes drops its connection).
std::string RenderInfoPage(const proto::StatsReply& stats, std::uint32_t shards_answered,
                           std::uint32_t shard_count, std::size_t max_bytes);

}  // namespace shardtrack
