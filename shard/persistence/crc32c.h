// CRC32C (Castagnoli): the checksum over every record of the snapshot and journal files. Pure.
#pragma once

#include <cstdint>
#include <string_view>

namespace shardtrack {

// Extends `crc` (the value returned for the bytes before `data`; 0 to start) over `data`.
// With the CPU's crc32 instruction where it has one (x86-64 with SSE4.2), else Crc32cBytewise.
std::uint32_t Crc32c(std::string_view data, std::uint32_t crc = 0);

// The same checksum a byte at a time from a table, on any CPU.
std::uint32_t Crc32cBytewise(std::string_view data, std::uint32_t crc = 0);

}  // namespace shardtrack
