// ParseProxyHeader (PROXY v1/v2) and ResolveConnectionOrigin, called as HttpServer::ResolveOrigin
// calls it: with the connection's input so far, again as more bytes arrive. Input: 1 byte of
// options, then the connection's first bytes.
// Checks: consumed <= input; a complete header is complete on exactly its own bytes and on any
// extension; every proper prefix of a complete header is kIncomplete (else a header split over
// two TCP reads would be refused); the incremental resolution (byte by byte, stopping at the
// first non-kIncomplete) equals the resolution on the whole input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "frontend/client_address.h"
#include "frontend/proxy_protocol.h"
#include "tests/fuzz/fuzz_check.h"

namespace shardtrack {
namespace {

bool SameHeader(const ProxyParse& a, const ProxyParse& b) {
  if (a.state != b.state || a.header.version != b.header.version ||
      a.header.consumed != b.header.consumed ||
      a.header.source.has_value() != b.header.source.has_value()) {
    return false;
  }
  return !a.header.source || (a.header.source->address == b.header.source->address &&
                              a.header.source->port == b.header.source->port);
}

}  // namespace
}  // namespace shardtrack

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace shardtrack;
  if (size < 1) return 0;
  const std::uint8_t opt = bytes[0];
  std::string_view input(reinterpret_cast<const char*>(bytes) + 1, size - 1);

  ProxyParse whole = ParseProxyHeader(input);
  if (whole.state == ProxyParse::State::kComplete) {
    const std::size_t consumed = whole.header.consumed;
    FUZZ_CHECK(consumed > 0 && consumed <= input.size());
    FUZZ_CHECK(whole.header.version == 1 || whole.header.version == 2);
    FUZZ_CHECK(SameHeader(whole, ParseProxyHeader(input.substr(0, consumed))));
    for (std::size_t p = 0; p < consumed; ++p) {
      ProxyParse part = ParseProxyHeader(input.substr(0, p));
      if (part.state != ProxyParse::State::kIncomplete) {
        std::fprintf(stderr, "prefix %zu of a complete header (%zu bytes) is state %d (%s)\n", p,
                     consumed, static_cast<int>(part.state), part.error.c_str());
        std::abort();
      }
    }
    if (whole.header.source) {
      FUZZ_CHECK(whole.header.source->address.raw().size() == 4 ||
                 whole.header.source->address.raw().size() == 16);
    }
  }
  if (whole.state == ProxyParse::State::kIncomplete) {
    FUZZ_CHECK(input.size() < kMaxProxyV2Bytes);
  }
  if (whole.state == ProxyParse::State::kError) FUZZ_CHECK(!whole.error.empty());

  // The connection-level policy.
  static const ClientAddressPolicy kPolicies[] = {
      *ClientAddressPolicy::Make({"10.0.0.0/8", "::1/128"}, false, false),
      *ClientAddressPolicy::Make({"10.0.0.0/8", "::ffff:192.168.0.0/112"}, true, true),
      *ClientAddressPolicy::Make({}, false, false),
  };
  static const IpAddress kPeers[] = {*IpAddress::Parse("10.0.0.9"),
                                     *IpAddress::Parse("198.51.100.4"), *IpAddress::Parse("::1"),
                                     *IpAddress::Parse("192.168.3.3")};
  const auto& policy = kPolicies[opt % 3];
  const IpAddress& peer = kPeers[(opt >> 2) & 3];
  ConnectionOrigin all = ResolveConnectionOrigin(policy, peer, input);
  if (all.state == ConnectionOrigin::State::kResolved) FUZZ_CHECK(all.consumed <= input.size());
  // Incremental, as bytes arrive one by one (until resolved or refused).
  ConnectionOrigin step;
  for (std::size_t p = 0; p <= input.size(); ++p) {
    step = ResolveConnectionOrigin(policy, peer, input.substr(0, p));
    if (step.state != ConnectionOrigin::State::kIncomplete) break;
  }
  if (all.state == ConnectionOrigin::State::kResolved) {
    // Once resolved on the whole input, the byte-by-byte path must have resolved identically
    // (or stayed incomplete never: it reaches the whole input at the latest).
    if (step.state != all.state || step.consumed != all.consumed || !(step.client == all.client)) {
      std::fprintf(stderr,
                   "whole: state %d consumed %zu client %s; incremental: state %d consumed %zu "
                   "client %s (%s)\n",
                   static_cast<int>(all.state), all.consumed, all.client.ToString().c_str(),
                   static_cast<int>(step.state), step.consumed, step.client.ToString().c_str(),
                   step.reason.c_str());
      std::abort();
    }
  }
  return 0;
}
