// SHA-1 (FIPS 180-4): a v1 torrent's infohash is the SHA-1 of its bencoded info dictionary.
// Not for security: SHA-1 is broken for that, and BitTorrent uses it as a name. Pure.
#pragma once

#include <string_view>

#include "common/fixed_bytes.h"

namespace shardtrack {

FixedBytes<20> Sha1(std::string_view message);

}  // namespace shardtrack
