#include "frontend/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace shardtrack {
namespace {

using State = ProxyParse::State;

const std::string kSignature("\r\n\r\n\0\r\nQUIT\n", 12);

// A v2 header: signature, version/command, family/protocol, length, then `body`.
std::string V2(std::uint8_t version_command, std::uint8_t family_protocol, std::string body) {
  std::string out = kSignature;
  out += static_cast<char>(version_command);
  out += static_cast<char>(family_protocol);
  out += static_cast<char>(body.size() >> 8);
  out += static_cast<char>(body.size() & 0xff);
  return out + body;
}

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

// 203.0.113.7:51234 -> 10.0.0.5:6969
const std::string kInet4Block = Bytes({203, 0, 113, 7, 10, 0, 0, 5, 0xc8, 0x22, 0x1b, 0x39});

TEST(ProxyProtocolTest, ParsesV1Tcp4AndReportsBytesConsumed) {
  std::string header = "PROXY TCP4 203.0.113.7 10.0.0.5 51234 6969\r\n";
  auto parse = ParseProxyHeader(header + "GET /announce HTTP/1.1\r\nHost: h\r\n");
  ASSERT_EQ(parse.state, State::kComplete) << parse.error;
  EXPECT_EQ(parse.header.version, 1);
  EXPECT_EQ(parse.header.consumed, header.size());
  ASSERT_TRUE(parse.header.source);
  EXPECT_EQ(parse.header.source->address.ToString(), "203.0.113.7");
  EXPECT_EQ(parse.header.source->port, 51234);
}

TEST(ProxyProtocolTest, ParsesV1Tcp6) {
  auto parse = ParseProxyHeader("PROXY TCP6 2001:db8::7 2001:db8::1 65535 0\r\n");
  ASSERT_EQ(parse.state, State::kComplete) << parse.error;
  ASSERT_TRUE(parse.header.source);
  EXPECT_EQ(parse.header.source->address.ToString(), "2001:db8::7");
  EXPECT_EQ(parse.header.source->port, 65535);
}

TEST(ProxyProtocolTest, V1UnknownKeepsTheConnectionAddress) {
  for (std::string line : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ::1 ::1 1 2\r\n"}) {
    auto parse = ParseProxyHeader(line);
    ASSERT_EQ(parse.state, State::kComplete) << line;
    EXPECT_FALSE(parse.header.source);
    EXPECT_EQ(parse.header.consumed, line.size());
  }
}

TEST(ProxyProtocolTest, EveryProperPrefixIsIncomplete) {
  for (std::string header :
       {std::string("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), V2(0x21, 0x11, kInet4Block)}) {
    for (std::size_t n = 0; n < header.size(); ++n) {
      EXPECT_EQ(ParseProxyHeader(header.substr(0, n)).state, State::kIncomplete) << n;
    }
    EXPECT_EQ(ParseProxyHeader(header).state, State::kComplete);
  }
}

TEST(ProxyProtocolTest, PlainHttpIsNotProxy) {
  EXPECT_EQ(ParseProxyHeader("GET /announce?info_hash=").state, State::kNotProxy);
  EXPECT_EQ(ParseProxyHeader("G").state, State::kNotProxy);
  EXPECT_EQ(ParseProxyHeader("PROXX").state, State::kNotProxy);
  EXPECT_EQ(ParseProxyHeader("\r\n\r\nX").state, State::kNotProxy);
}

TEST(ProxyProtocolTest, RejectsMalformedV1Lines) {
  for (std::string line : {
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",        // LF without CR
           "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",     // two spaces
           "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",        // a field missing
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",    // a field too many
           "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",      // not TCP
           "PROXY TCP4 ::1 ::1 1 2\r\n",              // family mismatch
           "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n",      // family mismatch
           "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",    // bad address
           "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",  // port out of range
           "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",    // leading zero
           "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",     // sign
           "PROXY \r\n",
       }) {
    EXPECT_EQ(ParseProxyHeader(line).state, State::kError) << line;
  }
}

TEST(ProxyProtocolTest, V1WithoutCrlfIsAnErrorAt107Bytes) {
  std::string line = "PROXY UNKNOWN " + std::string(92, 'x');  // 106 bytes
  EXPECT_EQ(ParseProxyHeader(line).state, State::kIncomplete);
  line += 'x';  // 107
  auto parse = ParseProxyHeader(line);
  EXPECT_EQ(parse.state, State::kError);
  EXPECT_FALSE(parse.error.empty());
}

TEST(ProxyProtocolTest, V1LongestLegalLineIsAccepted) {
  std::string longest = "PROXY UNKNOWN " + std::string(91, 'x') + "\r\n";
  ASSERT_EQ(longest.size(), kMaxProxyV1Bytes);
  EXPECT_EQ(ParseProxyHeader(longest).state, State::kComplete);
  EXPECT_EQ(ParseProxyHeader("PROXY UNKNOWN " + std::string(92, 'x') + "\r\n").state,
            State::kError);
}

TEST(ProxyProtocolTest, ParsesV2ProxyOverTcp4) {
  std::string header = V2(0x21, 0x11, kInet4Block);
  auto parse = ParseProxyHeader(header + "GET /");
  ASSERT_EQ(parse.state, State::kComplete) << parse.error;
  EXPECT_EQ(parse.header.version, 2);
  EXPECT_EQ(parse.header.consumed, header.size());
  ASSERT_TRUE(parse.header.source);
  EXPECT_EQ(parse.header.source->address.ToString(), "203.0.113.7");
  EXPECT_EQ(parse.header.source->port, 51234);
}

TEST(ProxyProtocolTest, ParsesV2ProxyOverTcp6) {
  std::string block = Bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7});
  block += std::string(16, '\0') + Bytes({0x1b, 0x39, 0, 80});
  auto parse = ParseProxyHeader(V2(0x21, 0x21, block));
  ASSERT_EQ(parse.state, State::kComplete) << parse.error;
  ASSERT_TRUE(parse.header.source);
  EXPECT_EQ(parse.header.source->address.ToString(), "2001:db8::7");
  EXPECT_EQ(parse.header.source->port, 6969);
}

TEST(ProxyProtocolTest, V2SkipsTlvsAfterTheAddresses) {
  std::string tlvs = Bytes({0x05, 0x00, 0x03, 'a', 'b', 'c'});  // PP2_TYPE_UNIQUE_ID "abc"
  std::string header = V2(0x21, 0x11, kInet4Block + tlvs);
  auto parse = ParseProxyHeader(header + "GET");
  ASSERT_EQ(parse.state, State::kComplete);
  EXPECT_EQ(parse.header.consumed, header.size());
  EXPECT_EQ(parse.header.source->address.ToString(), "203.0.113.7");
}

TEST(ProxyProtocolTest, V2LocalKeepsTheConnectionAddressAndSkipsItsBlock) {
  std::string header = V2(0x20, 0x11, kInet4Block);  // LOCAL with addresses present
  auto parse = ParseProxyHeader(header);
  ASSERT_EQ(parse.state, State::kComplete);
  EXPECT_FALSE(parse.header.source);
  EXPECT_EQ(parse.header.consumed, header.size());
  EXPECT_EQ(ParseProxyHeader(V2(0x20, 0x00, "")).state, State::kComplete);
}

TEST(ProxyProtocolTest, V2UnspecUdpAndUnixFallBackToTheConnectionAddress) {
  for (std::uint8_t family_protocol : {0x00, 0x12, 0x31}) {
    auto parse = ParseProxyHeader(V2(0x21, family_protocol, std::string(216, '\0')));
    ASSERT_EQ(parse.state, State::kComplete) << int{family_protocol};
    EXPECT_FALSE(parse.header.source);
  }
}

TEST(ProxyProtocolTest, RejectsMalformedV2Headers) {
  EXPECT_EQ(ParseProxyHeader(V2(0x11, 0x11, kInet4Block)).state, State::kError);  // version 1
  EXPECT_EQ(ParseProxyHeader(V2(0x22, 0x11, kInet4Block)).state, State::kError);  // command 2
  EXPECT_EQ(ParseProxyHeader(V2(0x21, 0x41, kInet4Block)).state, State::kError);  // family 4
  EXPECT_EQ(ParseProxyHeader(V2(0x21, 0x13, kInet4Block)).state, State::kError);  // protocol 3
  EXPECT_EQ(ParseProxyHeader(V2(0x21, 0x11, kInet4Block.substr(0, 8))).state, State::kError);
  EXPECT_EQ(ParseProxyHeader(V2(0x21, 0x21, kInet4Block)).state, State::kError);  // short v6
}

TEST(ProxyProtocolTest, V2LengthIsBoundedBeforeBuffering) {
  std::size_t largest = kMaxProxyV2Bytes - kProxyV2FixedBytes;
  EXPECT_EQ(ParseProxyHeader(V2(0x21, 0x11, kInet4Block + std::string(largest - 12, '\0'))).state,
            State::kComplete);
  // Only the fixed part of a too-long header has arrived: refused at once, not awaited.
  std::string too_long = V2(0x21, 0x11, std::string(largest + 1, '\0'));
  EXPECT_EQ(ParseProxyHeader(too_long.substr(0, kProxyV2FixedBytes)).state, State::kError);
}

}  // namespace
}  // namespace shardtrack
