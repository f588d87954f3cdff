// FixedBytes<N>: an N-byte identifier held by value (infohashes and peer ids are 20 bytes).
// Pure value type; cheap to copy, hashable, ordered.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace shardtrack {

// The value of a hex digit in either case, or -1.
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <std::size_t N>
struct FixedBytes {
  std::array<std::uint8_t, N> bytes{};

  static constexpr std::size_t kSize = N;

  // Returns nullopt unless `raw` is exactly N bytes.
  static std::optional<FixedBytes> FromRaw(std::string_view raw) {
    if (raw.size() != N) return std::nullopt;
    FixedBytes out;
    std::memcpy(out.bytes.data(), raw.data(), N);
    return out;
  }

  // Returns nullopt unless `hex` is exactly 2N hex digits (either case).
  static std::optional<FixedBytes> FromHex(std::string_view hex) {
    if (hex.size() != 2 * N) return std::nullopt;
    FixedBytes out;
    for (std::size_t i = 0; i < N; ++i) {
      const int high = HexDigitValue(hex[2 * i]);
      const int low = HexDigitValue(hex[2 * i + 1]);
      if (high < 0 || low < 0) return std::nullopt;
      out.bytes[i] = static_cast<std::uint8_t>(high << 4 | low);
    }
    return out;
  }

  std::string_view view() const { return {reinterpret_cast<const char*>(bytes.data()), N}; }
  std::string ToRaw() const { return std::string(view()); }

  std::string ToHex() const {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(2 * N, '0');
    for (std::size_t i = 0; i < N; ++i) {
      out[2 * i] = kDigits[bytes[i] >> 4];
      out[2 * i + 1] = kDigits[bytes[i] & 0xf];
    }
    return out;
  }

  auto operator<=>(const FixedBytes&) const = default;
};

using InfoHash = FixedBytes<20>;
using PeerId = FixedBytes<20>;

}  // namespace shardtrack

template <std::size_t N>
struct std::hash<shardtrack::FixedBytes<N>> {
  std::size_t operator()(const shardtrack::FixedBytes<N>& value) const noexcept {
    // Infohashes are already uniformly distributed: the first bytes are a good hash.
    std::size_t out;
    std::memcpy(&out, value.bytes.data() + N - sizeof(out), sizeof(out));
    return out;
  }
};
