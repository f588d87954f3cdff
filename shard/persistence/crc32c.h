// CRC32C (Castagnoli): the checksum over every record of the snapshot and journal files. Pure.
#pragma once

#include <cstdint>
#include <string_view>

namespace shardtrack {

// Extends `crc` (the value returned for the bytes before `data`; 0 to start) over `data`.
std::uint32_t Crc32c(std::string_view data, std::uint32_t crc = 0);

}  // namespace shardtrack
