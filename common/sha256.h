// SHA-256 (FIPS 180-4): a v2 torrent's infohash (BEP 52) is the SHA-256 of its bencoded info
// dictionary, and trackers see its first 20 bytes. Pure.
#pragma once

#include <string_view>

#include "common/fixed_bytes.h"

namespace shardtrack {

FixedBytes<32> Sha256(std::string_view message);

}  // namespace shardtrack
