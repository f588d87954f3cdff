// What SHA-1 and SHA-256 (FIPS 180-4) share: the message is padded with a 1 bit, zeros and its
// length in bits as a big-endian 64-bit number, and fed to the compression function in 64-byte
// blocks. Pure.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace shardtrack {

inline constexpr std::size_t kDigestBlockSize = 64;

inline std::uint32_t LoadBigEndian32(const std::uint8_t* bytes) {
  return std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
         std::uint32_t{bytes[2]} << 8 | std::uint32_t{bytes[3]};
}

inline void StoreBigEndian32(std::uint32_t value, std::uint8_t* out) {
  for (int i = 3; i >= 0; --i, value >>= 8) out[i] = static_cast<std::uint8_t>(value);
}

inline constexpr std::uint32_t RotateLeft(std::uint32_t value, int bits) {
  return value << bits | value >> (32 - bits);
}

// Calls `compress(const std::uint8_t* block)` for every 64-byte block of `message`, padded.
template <typename Compress>
void ForEachPaddedBlock(std::string_view message, Compress&& compress) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(message.data());
  const std::size_t whole = message.size() / kDigestBlockSize * kDigestBlockSize;
  for (std::size_t offset = 0; offset < whole; offset += kDigestBlockSize) compress(data + offset);

  // The tail, the 0x80 byte and the length fit in one block, or spill into a second.
  std::array<std::uint8_t, 2 * kDigestBlockSize> last{};
  const std::size_t tail = message.size() - whole;
  std::memcpy(last.data(), data + whole, tail);
  last[tail] = 0x80;
  const std::size_t blocks = tail + 1 + 8 <= kDigestBlockSize ? 1 : 2;
  std::uint64_t bits = std::uint64_t{message.size()} * 8;
  for (std::size_t i = blocks * kDigestBlockSize; i-- > blocks * kDigestBlockSize - 8; bits >>= 8) {
    last[i] = static_cast<std::uint8_t>(bits);
  }
  for (std::size_t b = 0; b < blocks; ++b) compress(last.data() + b * kDigestBlockSize);
}

}  // namespace shardtrack
