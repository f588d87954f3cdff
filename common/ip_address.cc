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

namespace {
constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}  // namespace

std::array<std::uint8_t, 16> IpAddress::As16() const {
  if (!is_v4()) return bytes_;
  std::array<std::uint8_t, 16> out{};
  std::memcpy(out.data(), kMappedPrefix, sizeof kMappedPrefix);
  std::memcpy(out.data() + sizeof kMappedPrefix, bytes_.data(), 4);
  return out;
}

std::optional<IpAddress> IpAddress::FromRaw(std::string_view raw) {
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
           (b[0] == 192 && b[1] == 168) || IsLinkLocal();
  }
  static constexpr std::uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(b.data(), kLoopback, 16) == 0 || (b[0] & 0xfe) == 0xfc || IsLinkLocal();
}

bool IpAddress::IsLinkLocal() const {
  const auto& b = bytes_;
  if (is_v4()) return b[0] == 169 && b[1] == 254;
  return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
}

bool IpAddress::CanBePeer() const {
  const auto& b = bytes_;
  if (is_v4()) return b[0] != 0 && b[0] < 224;  // not 0/8, 224/4 (multicast) or 240/4
  static constexpr std::uint8_t kUnspecified[16] = {};
  return std::memcmp(b.data(), kUnspecified, 16) != 0 && b[0] != 0xff;
}

Result<Cidr> Cidr::Read(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view base_text = text.substr(0, slash);
  auto address = IpAddress::Parse(base_text);
  if (!address) {
    return Error{"\"" + std::string(base_text) + "\" is not an IPv4 or IPv6 address"};
  }
  // An IPv4-mapped address is held as IPv4, so its prefix counts 96 bits fewer.
  const bool mapped = address->is_v4() && base_text.find(':') != std::string_view::npos;
  const int least = mapped ? 96 : 0;
  const int most = mapped || !address->is_v4() ? 128 : 32;
  int bits = most;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    // Written as routing tables write it: no sign, no leading zero ("/-0" is not "/0").
    const bool plain = !digits.empty() && digits.size() <= 3 &&
                       digits.find_first_not_of("0123456789") == std::string_view::npos &&
                       (digits.size() == 1 || digits[0] != '0');
    if (plain) std::from_chars(digits.data(), digits.data() + digits.size(), bits);  // 0 to 999
    if (!plain || bits < least || bits > most) {
      return Error{"the prefix must be " + std::to_string(least) + " to " + std::to_string(most)};
    }
  }
  Cidr out;
  out.base_ = *address;
  out.prefix_bits_ = bits - least;
  return out;
}

std::optional<Cidr> Cidr::Parse(std::string_view text) {
  auto cidr = Read(text);
  if (!cidr) return std::nullopt;
  return *cidr;
}

IpAddress Cidr::first() const {
  IpAddress out = base_;
  for (std::size_t bit = prefix_bits_; bit < out.size_ * 8; ++bit) {
    out.bytes_[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  }
  return out;
}

IpAddress Cidr::last() const {
  IpAddress out = base_;
  for (std::size_t bit = prefix_bits_; bit < out.size_ * 8; ++bit) {
    out.bytes_[bit / 8] |= static_cast<std::uint8_t>(0x80 >> (bit % 8));
  }
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

std::string_view Unbracketed(std::string_view address) {
  if (address.size() < 2 || !address.starts_with('[') || !address.ends_with(']')) return address;
  return address.substr(1, address.size() - 2);
}

std::string BracketedIfIpv6(std::string_view address) {
  if (address.starts_with('[') || address.find(':') == std::string_view::npos) {
    return std::string(address);
  }
  return "[" + std::string(address) + "]";
}

}  // namespace shardtrack
