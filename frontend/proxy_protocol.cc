#include "frontend/proxy_protocol.h"

#include <charconv>
#include <utility>
#include <vector>

namespace shardtrack {
namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr std::string_view kV2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};

// Address block sizes of TCP over IPv4 and IPv6: two addresses, then two 16-bit ports.
constexpr std::size_t kV2Inet4Bytes = 2 * 4 + 2 * 2;
constexpr std::size_t kV2Inet6Bytes = 2 * 16 + 2 * 2;

ProxyParse WithState(ProxyParse::State state) {
  ProxyParse out;
  out.state = state;
  return out;
}

ProxyParse Fail(std::string message) {
  ProxyParse out = WithState(ProxyParse::State::kError);
  out.error = std::move(message);
  return out;
}

ProxyParse Done(ProxyHeader header) {
  ProxyParse out = WithState(ProxyParse::State::kComplete);
  out.header = std::move(header);
  return out;
}

std::vector<std::string_view> SplitOnSpaces(std::string_view text) {
  std::vector<std::string_view> fields;
  while (true) {
    auto space = text.find(' ');
    fields.push_back(text.substr(0, space));
    if (space == std::string_view::npos) return fields;
    text.remove_prefix(space + 1);
  }
}

// Decimal 0..65535 without leading zeros (the specification forbids them).
std::optional<std::uint16_t> ParseV1Port(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::optional<IpAddress> ParseV1Address(std::string_view text, bool want_v6) {
  // The family is named by the line; "TCP6 1.2.3.4" or "TCP4 ::1" is malformed.
  if ((text.find(':') != std::string_view::npos) != want_v6) return std::nullopt;
  return IpAddress::Parse(text);
}

ProxyParse ParseV1(std::string_view input) {
  auto newline = input.find('\n');
  if (newline == std::string_view::npos) {
    if (input.size() >= kMaxProxyV1Bytes) return Fail("PROXY v1 line without CRLF in 107 bytes");
    return WithState(ProxyParse::State::kIncomplete);
  }
  if (newline + 1 > kMaxProxyV1Bytes) return Fail("PROXY v1 line longer than 107 bytes");
  if (input[newline - 1] != '\r') return Fail("PROXY v1 line does not end in CRLF");

  ProxyHeader header;
  header.version = 1;
  header.consumed = newline + 1;
  auto fields = SplitOnSpaces(input.substr(kV1Prefix.size(), newline - 1 - kV1Prefix.size()));
  if (fields[0] == "UNKNOWN") return Done(header);  // the rest of the line is ignored
  if (fields[0] != "TCP4" && fields[0] != "TCP6") {
    return Fail("PROXY v1 protocol is not TCP4, TCP6 or UNKNOWN");
  }
  if (fields.size() != 5) return Fail("PROXY v1 line needs 4 fields after the protocol");
  bool v6 = fields[0] == "TCP6";
  auto source = ParseV1Address(fields[1], v6);
  auto destination = ParseV1Address(fields[2], v6);
  if (!source || !destination) return Fail("PROXY v1 address malformed or of the wrong family");
  auto source_port = ParseV1Port(fields[3]);
  if (!source_port || !ParseV1Port(fields[4])) return Fail("PROXY v1 port malformed");
  header.source = ProxyEndpoint{*source, *source_port};
  return Done(header);
}

std::uint16_t ReadBigEndian16(std::string_view bytes) {
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(bytes[0]) << 8) |
                                    static_cast<std::uint8_t>(bytes[1]));
}

ProxyParse ParseV2(std::string_view input) {
  if (input.size() < kProxyV2FixedBytes) return WithState(ProxyParse::State::kIncomplete);
  auto version_command = static_cast<std::uint8_t>(input[12]);
  auto family_protocol = static_cast<std::uint8_t>(input[13]);
  if ((version_command >> 4) != 2) return Fail("PROXY v2 version nibble is not 2");
  int command = version_command & 0x0f;  // 0 LOCAL, 1 PROXY
  if (command > 1) return Fail("PROXY v2 command is neither LOCAL nor PROXY");
  int family = family_protocol >> 4;      // 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX
  int protocol = family_protocol & 0x0f;  // 0 UNSPEC, 1 STREAM, 2 DGRAM
  if (family > 3 || protocol > 2) return Fail("PROXY v2 family or protocol unassigned");
  std::size_t total = kProxyV2FixedBytes + ReadBigEndian16(input.substr(14, 2));
  if (total > kMaxProxyV2Bytes) return Fail("PROXY v2 header longer than 536 bytes");
  if (input.size() < total) return WithState(ProxyParse::State::kIncomplete);

  ProxyHeader header;
  header.version = 2;
  header.consumed = total;  // addresses, then TLVs, which are skipped
  // LOCAL is the balancer's own connection; other families and protocols fall back to the
  // connection's endpoints, as the specification asks of a receiver that does not use them.
  bool tcp = command == 1 && protocol == 1 && (family == 1 || family == 2);
  if (!tcp) return Done(header);
  std::size_t address_bytes = family == 1 ? 4 : 16;
  std::size_t needed = family == 1 ? kV2Inet4Bytes : kV2Inet6Bytes;
  if (total - kProxyV2FixedBytes < needed) return Fail("PROXY v2 address block too short");
  auto block = input.substr(kProxyV2FixedBytes, needed);
  auto source = IpAddress::FromRaw(block.substr(0, address_bytes));
  if (!source) return Fail("PROXY v2 source address malformed");
  header.source = ProxyEndpoint{*source, ReadBigEndian16(block.substr(2 * address_bytes, 2))};
  return Done(header);
}

}  // namespace

ProxyParse ParseProxyHeader(std::string_view input) {
  if (input.starts_with(kV1Prefix)) return ParseV1(input);
  if (input.starts_with(kV2Signature)) return ParseV2(input);
  // Too short to tell (including no input at all): a header may still be arriving.
  if (kV1Prefix.starts_with(input) || kV2Signature.starts_with(input)) {
    return WithState(ProxyParse::State::kIncomplete);
  }
  return WithState(ProxyParse::State::kNotProxy);
}

}  // namespace shardtrack
