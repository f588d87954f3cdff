// IpAddress (Parse, FromRaw, As16, ToString, CanBePeer), Cidr::Read, and the X-Forwarded-For
// walk ClientFromForwardedFor (frontend/client_address.h) as HttpServer calls it per request.
//
// Input: opt:u8, then text. The text is read as an address, as raw address bytes, as a CIDR
// range and as an X-Forwarded-For value; with opt bit 7 it is split at its first '\n' into
// trusted-proxy ranges (comma separated) and the X-Forwarded-For value (else the trusted proxies
// are 10.0.0.0/8, ::1 and 192.168.0.0/16). opt bit 0: X-Forwarded-For is not trusted; bits 1-2:
// the connection's origin (10.0.0.9, ::1, 203.0.113.1, 192.168.1.1).
//
// Checks: an address prints and parses back, reads back from its raw and its 16-byte form, is
// local when link-local, and cannot be a peer when unspecified, multicast or reserved. A CIDR's
// prefix is plain digits; the range holds its ends and its base address, and reads back from its
// text; an IPv4 range is the same as its IPv4-mapped IPv6 form; an IPv6 range holds no IPv4
// address. The X-Forwarded-For client is what a model of the header's rule gives (the right-most
// untrusted entry right of any garbage, else the left-most of those entries, else the origin);
// it is the origin unless the header is trusted from a trusted origin; empty entries around the
// value and garbage left of an untrusted client change nothing.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "frontend/client_address.h"
#include "tests/fuzz/fuzz_check.h"

namespace shardtrack {
namespace {

// IPv4-mapped IPv6 (::ffff:a.b.c.d) held as 16 bytes: only a Cidr's ends can be one.
bool IsMappedInV6Form(const IpAddress& address) {
  return address.raw().size() == 16 &&
         address.raw().starts_with(std::string_view("\0\0\0\0\0\0\0\0\0\0\xff\xff", 12));
}

void CheckPeerability(const IpAddress& address) {
  const auto raw = address.raw();
  const auto first = static_cast<std::uint8_t>(raw[0]);
  if (address.is_v4()) {
    if (first == 0 || first >= 224) FUZZ_CHECK(!address.CanBePeer());
  } else {
    if (first == 0xff || raw == std::string(16, '\0')) FUZZ_CHECK(!address.CanBePeer());
  }
  if (address.IsLinkLocal()) FUZZ_CHECK(address.IsLocal());
}

void CheckAddress(const IpAddress& address) {
  FUZZ_CHECK(address.raw().size() == (address.is_v4() ? 4u : 16u));
  FUZZ_CHECK(!IsMappedInV6Form(address));
  const auto parsed = IpAddress::Parse(address.ToString());
  FUZZ_CHECK(parsed && *parsed == address);
  const auto from_raw = IpAddress::FromRaw(address.raw());
  FUZZ_CHECK(from_raw && *from_raw == address);
  const auto as16 = address.As16();
  const auto from16 = IpAddress::FromRaw({reinterpret_cast<const char*>(as16.data()), 16});
  FUZZ_CHECK(from16 && *from16 == address);
  CheckPeerability(address);
}

// A range's end: a full address, but for the mapped addresses an IPv6 range may end at.
void CheckRangeEnd(const Cidr& cidr, const IpAddress& end) {
  FUZZ_CHECK(cidr.Contains(end));
  if (!IsMappedInV6Form(end)) CheckAddress(end);
}

void CheckIpv4RangeAsMapped(const Cidr& cidr) {
  const std::string text = cidr.ToString();
  const int bits = std::stoi(text.substr(text.find('/') + 1));
  const auto mapped =
      Cidr::Read("::ffff:" + cidr.first().ToString() + "/" + std::to_string(bits + 96));
  FUZZ_CHECK(mapped && mapped->first() == cidr.first() && mapped->last() == cidr.last());
}

void CheckCidr(std::string_view text) {
  const auto cidr = Cidr::Read(text);
  if (!cidr) {
    FUZZ_CHECK(!cidr.error().empty());
    return;
  }
  const auto slash = text.find('/');
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    FUZZ_CHECK(!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos);
    FUZZ_CHECK(digits.size() == 1 || digits[0] != '0');
  }
  CheckRangeEnd(*cidr, cidr->first());
  CheckRangeEnd(*cidr, cidr->last());
  FUZZ_CHECK(cidr->Contains(*IpAddress::Parse(text.substr(0, slash))));
  const auto again = Cidr::Read(cidr->ToString());
  FUZZ_CHECK(again && again->first() == cidr->first() && again->last() == cidr->last());
  if (cidr->first().is_v4()) {
    CheckIpv4RangeAsMapped(*cidr);
  } else {
    FUZZ_CHECK(!cidr->Contains(*IpAddress::Parse("0.0.0.0")));
    FUZZ_CHECK(!cidr->Contains(*IpAddress::Parse("255.255.255.255")));
  }
}

std::vector<std::string_view> SplitAtCommas(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto comma = text.find(',');
    parts.push_back(text.substr(0, comma));
    if (comma == std::string_view::npos) return parts;
    text.remove_prefix(comma + 1);
  }
}

std::string_view TrimSpacesAndTabs(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// An entry's address as the header lists the forms: "1.2.3.4", "1.2.3.4:80", "2001:db8::1",
// "[2001:db8::1]", "[2001:db8::1]:80" (ports ignored); nullopt for anything else.
std::optional<IpAddress> EntryAddress(std::string_view entry) {
  if (entry.starts_with('[')) {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const auto inside = entry.substr(1, close - 1);
    const auto after = entry.substr(close + 1);
    if (inside.find(':') == std::string_view::npos) return std::nullopt;  // IPv6 text only
    if (!after.empty() && !after.starts_with(':')) return std::nullopt;
    return IpAddress::Parse(inside);
  }
  if (auto address = IpAddress::Parse(entry)) return address;
  const auto colon = entry.find(':');
  if (colon == std::string_view::npos || entry.rfind(':') != colon) return std::nullopt;
  auto address = IpAddress::Parse(entry.substr(0, colon));
  if (!address || !address->is_v4()) return std::nullopt;
  return address;
}

// An entry no client can have is garbage too.
std::optional<IpAddress> ClientEntry(std::string_view entry) {
  auto address = EntryAddress(entry);
  if (address && !address->CanBePeer()) return std::nullopt;
  return address;
}

// The header's rule, stated over the whole list rather than walked.
IpAddress ModelClient(const ClientAddressPolicy& policy, const IpAddress& origin,
                      std::string_view x_forwarded_for) {
  if (!policy.trust_x_forwarded_for || !policy.IsTrusted(origin)) return origin;
  std::vector<IpAddress> believed;  // the entries right of the right-most garbage one
  for (auto part : SplitAtCommas(x_forwarded_for)) {
    const auto entry = TrimSpacesAndTabs(part);
    if (entry.empty()) continue;
    const auto address = ClientEntry(entry);
    if (!address) believed.clear();
    if (address) believed.push_back(*address);
  }
  for (auto it = believed.rbegin(); it != believed.rend(); ++it) {
    if (!policy.IsTrusted(*it)) return *it;
  }
  return believed.empty() ? origin : believed.front();
}

void CheckForwardedFor(const ClientAddressPolicy& policy, const IpAddress& origin,
                       std::string_view xff) {
  const IpAddress client = ClientFromForwardedFor(policy, origin, xff);
  FUZZ_CHECK(client == ModelClient(policy, origin, xff));
  CheckAddress(client);
  if (!policy.trust_x_forwarded_for || !policy.IsTrusted(origin)) FUZZ_CHECK(client == origin);
  if (client != origin) FUZZ_CHECK(client.CanBePeer());
  const std::string padded = ", \t," + std::string(xff) + " ,\t";
  FUZZ_CHECK(ClientFromForwardedFor(policy, origin, padded) == client);
  if (!policy.IsTrusted(client)) {
    const std::string forged = "unknown, 203.0.113.66," + std::string(xff);
    FUZZ_CHECK(ClientFromForwardedFor(policy, origin, forged) == client);
  }
}

// opt bit 7: the text's first line names the trusted proxies.
struct ForwardedForCase {
  std::vector<std::string> trusted = {"10.0.0.0/8", "::1", "192.168.0.0/16"};
  std::string_view xff;
};

ForwardedForCase ForwardedForCaseFrom(std::uint8_t opt, std::string_view text) {
  ForwardedForCase out;
  out.xff = text;
  const auto newline = text.find('\n');
  if (!(opt & 0x80) || newline == std::string_view::npos) return out;
  out.trusted.clear();
  for (auto range : SplitAtCommas(text.substr(0, newline))) out.trusted.emplace_back(range);
  out.xff = text.substr(newline + 1);
  return out;
}

void CheckForwardedForFrom(std::uint8_t opt, std::string_view text) {
  const ForwardedForCase input = ForwardedForCaseFrom(opt, text);
  const auto policy = ClientAddressPolicy::Make(input.trusted, !(opt & 1), false);
  if (!policy) return;
  const char* const kOrigins[] = {"10.0.0.9", "::1", "203.0.113.1", "192.168.1.1"};
  CheckForwardedFor(*policy, *IpAddress::Parse(kOrigins[(opt >> 1) & 3]), input.xff);
}

}  // namespace
}  // namespace shardtrack

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace shardtrack;
  if (size < 1) return 0;
  const std::uint8_t opt = bytes[0];
  const std::string_view text(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  if (auto address = IpAddress::Parse(text)) CheckAddress(*address);
  if (auto address = IpAddress::FromRaw(text)) CheckAddress(*address);
  CheckCidr(text);
  CheckForwardedForFrom(opt, text);
  return 0;
}
