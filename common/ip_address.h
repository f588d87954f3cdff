// IpAddress: an IPv4 or IPv6 address as raw network-order bytes; Cidr: an address range.
// Pure value types.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace shardtrack {

class IpAddress {
 public:
  static std::optional<IpAddress> Parse(std::string_view text);  // "1.2.3.4" or "::1"
  // From 4 or 16 network-order bytes; nullopt for any other length.
  static std::optional<IpAddress> FromRaw(std::string_view raw);

  bool is_v4() const { return size_ == 4; }
  // 4 or 16 network-order bytes. An IPv4-mapped IPv6 address is stored as IPv4.
  std::string_view raw() const { return {reinterpret_cast<const char*>(bytes_.data()), size_}; }
  // 16 bytes for either family: IPv4 as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), which
  // FromRaw reads back as IPv4.
  std::array<std::uint8_t, 16> As16() const;
  std::string ToString() const;

  // Loopback, RFC 1918 private, link-local, or IPv6 unique-local: a source the original tracker
  // trusted to give its own `ip=` (only_local_override_ip).
  bool IsLocal() const;

  // 169.254/16 or fe80::/10: an address of one link, meaningless off it.
  bool IsLinkLocal() const;

  // False for an address no peer can be reached at: unspecified (0.0.0.0/8, ::), multicast (224/4,
  // ff00::/8) or reserved and broadcast (240/4). A client's claimed `ip` of one is ignored.
  bool CanBePeer() const;

  bool operator==(const IpAddress&) const = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  std::size_t size_ = 4;

  friend class Cidr;
};

class Cidr {
 public:
  // "10.0.0.0/8", "::1/128", "1.2.3.4" (one host). An IPv4-mapped block ("::ffff:10.0.0.0/104")
  // is the IPv4 block 96 bits shorter. Any other IPv6 block holds IPv6 addresses only, as a
  // routing table reads it, even one that spans the mapped range (::/0, ::/80): an IPv4 address
  // is never in it, and its first() or last() may be a mapped address in IPv6 form. The error
  // says what is wrong ("the prefix must be 0 to 32"); the prefix is plain digits, without a
  // sign or a leading zero.
  static Result<Cidr> Read(std::string_view text);
  static std::optional<Cidr> Parse(std::string_view text);  // Read without the reason
  bool Contains(const IpAddress& address) const;
  // The block's lowest and highest address.
  IpAddress first() const;
  IpAddress last() const;
  std::string ToString() const;

 private:
  IpAddress base_;
  int prefix_bits_ = 0;
};

// "[::1]" as "::1": an address written as in a URL or a ZeroMQ endpoint; anything else as is.
std::string_view Unbracketed(std::string_view address);

// An IPv6 literal as a URL or endpoint writes it, "[::1]"; anything else (IPv4, a name, a
// bracketed literal) as is.
std::string BracketedIfIpv6(std::string_view address);

}  // namespace shardtrack
