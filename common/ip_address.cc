#include "common/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace shardtrack {

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  // inet_pton reads a C string: an embedded NUL would hide whatever follows it.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::string copy(text);
  std::array<std::uint8_t, 16> raw{};
  if (inet_pton(AF_INET, copy.c_str(), raw.data()) == 1) {
    return FromRaw({reinterpret_cast<const char*>(raw.data()), 4});
  }
  if (inet_pton(AF_INET6, copy.c_str(), raw.data()) == 1) {
    return FromRaw({reinterpret_cast<const char*>(raw.data()), 16});
  }
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::FromRaw(std::string_view raw) {
  static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (raw.size() == 16 && std::memcmp(raw.data(), kMappedPrefix, 12) == 0) raw.remove_prefix(12);
  if (raw.size() != 4 && raw.size() != 16) return std::nullopt;
  IpAddress out;
  out.size_ = raw.size();
  std::memcpy(out.bytes_.data(), raw.data(), raw.size());
  return out;
}

std::string IpAddress::ToString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buffer, sizeof(buffer));
  return buffer;
}

bool IpAddress::IsLocal() const {
  const auto& b = bytes_;
  if (is_v4()) {
    return b[0] == 127 || b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
           (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254);
  }
  static constexpr std::uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(b.data(), kLoopback, 16) == 0 || (b[0] & 0xfe) == 0xfc ||
         (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

std::optional<Cidr> Cidr::Parse(std::string_view text) {
  auto slash = text.find('/');
  auto address = IpAddress::Parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  int max_bits = address->is_v4() ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (error != std::errc() || end != digits.data() + digits.size() || bits < 0 ||
        bits > max_bits) {
      return std::nullopt;
    }
  }
  Cidr out;
  out.base_ = *address;
  out.prefix_bits_ = bits;
  return out;
}

bool Cidr::Contains(const IpAddress& address) const {
  if (address.size_ != base_.size_) return false;
  int full_bytes = prefix_bits_ / 8;
  if (std::memcmp(address.bytes_.data(), base_.bytes_.data(), full_bytes) != 0) return false;
  int rest = prefix_bits_ % 8;
  if (rest == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address.bytes_[full_bytes] & mask) == (base_.bytes_[full_bytes] & mask);
}

std::string Cidr::ToString() const { return base_.ToString() + "/" + std::to_string(prefix_bits_); }

}  // namespace shardtrack
