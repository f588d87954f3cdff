// ParseScrape: the infohashes of GET /scrape (BEP 48). Pure.
// Zero or more info_hash parameters, each exactly 20 bytes after percent-decoding; duplicates
// collapse; other parameters are ignored. An empty result asks for a full scrape, which the
// caller may refuse. More than max_hashes distinct hashes is an error.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/fixed_bytes.h"
#include "common/result.h"

namespace shardtrack {

// The distinct infohashes in ascending byte order.
Result<std::vector<InfoHash>> ParseScrape(std::string_view raw_query, std::uint32_t max_hashes);

}  // namespace shardtrack
