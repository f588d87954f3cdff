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

// Fills `hashes` (cleared first; the caller reuses it, so parsing allocates nothing once warm)
// with the distinct infohashes in ascending byte order.
Status ParseScrape(std::string_view raw_query, std::uint32_t max_hashes,
                   std::vector<InfoHash>& hashes);

}  // namespace shardtrack
