// ParseProxyHeader: reads the PROXY protocol header (v1 text or v2 binary) that a load balancer
// puts at the very start of a connection, to learn the client's real address. Pure: it keeps no
// state; call it again with the connection's whole input so far whenever more bytes arrive.
// Whether a source may send a header at all is the trust policy's job (client_address.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip_address.h"

namespace shardtrack {

// v1: "PROXY TCP4|TCP6|UNKNOWN ...\r\n", never longer than this (the specification's bound).
inline constexpr std::size_t kMaxProxyV1Bytes = 107;
// v2: 16 fixed bytes plus a length field. The specification designs the header to fit the
// smallest TCP segment every host accepts (536 bytes), UNIX addresses (216 bytes) and the TLVs a
// balancer adds included; a longer length field is refused rather than buffered.
inline constexpr std::size_t kProxyV2FixedBytes = 16;
inline constexpr std::size_t kMaxProxyV2Bytes = 536;

struct ProxyEndpoint {
  IpAddress address;
  std::uint16_t port = 0;
};

struct ProxyHeader {
  int version = 0;  // 1 or 2
  // The client as the balancer saw it. Empty for v1 "UNKNOWN", v2 LOCAL (the balancer's own
  // health check) and v2 families or protocols other than TCP over IPv4/IPv6: the connection's
  // own peer address stands.
  std::optional<ProxyEndpoint> source;
  std::size_t consumed = 0;  // header bytes to drop before the HTTP request starts
};

struct ProxyParse {
  enum class State {
    kIncomplete,  // the input is a proper prefix of a header: wait for more bytes
    kComplete,    // `header` is set
    kNotProxy,    // the input does not start with a PROXY header
    kError,       // it starts like one but is malformed or too long: drop the connection
  };
  State state = State::kIncomplete;
  ProxyHeader header;
  std::string error;
};

ProxyParse ParseProxyHeader(std::string_view input);

}  // namespace shardtrack
