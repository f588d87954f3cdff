// The UDP tracker protocol's packets (BEP 15): parsing requests and writing replies. Pure.
//
// Every request starts with connection_id (64 bits), action (32) and transaction_id (32), all big
// endian. connect (action 0) carries the protocol id 0x41727101980 as its connection id;
// announce (1) and scrape (2) carry an id from a connect reply (udp_connection_ids.h). Replies
// start with action and transaction_id; error (3) is followed by a message.
// A datagram shorter than a header is dropped (ParseUdpRequest returns false); anything else that
// is wrong, once the transaction id is readable, becomes a request with an `error` to send back.
// Announce event codes differ from HTTP: 0 none, 1 completed, 2 started, 3 stopped, and
// libtorrent's 4, paused (BEP 21's partial seed: AnnounceRequest.partial_seed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fixed_bytes.h"
#include "common/ip_address.h"
#include "frontend/announce_request.h"
#include "proto/shardtrack.pb.h"

namespace shardtrack {

inline constexpr std::uint64_t kUdpProtocolId = 0x41727101980ULL;
inline constexpr std::uint32_t kUdpMaxScrapeHashes = 74;  // BEP 15: what fits a datagram
// The longest request to read whole: a scrape of kUdpMaxScrapeHashes (16 + 74 x 20 = 1,496
// bytes). An announce is 98 bytes, and BEP 41 options may follow it.
inline constexpr std::size_t kUdpMaxRequestBytes = 16 + 20 * std::size_t{kUdpMaxScrapeHashes};

// An announce reply's length by default (--udp-max-reply-bytes): IPv6's minimum MTU (1,280)
// less its 40-byte header and UDP's 8, so that no reply is fragmented on the way (IPv6 fragments
// are often dropped): 67 IPv6 or 202 IPv4 peers.
inline constexpr std::uint32_t kUdpDefaultReplyBytes = 1232;
inline constexpr std::uint32_t kUdpLargestReplyBytes = 65507;  // an IPv4 datagram's payload
inline constexpr std::uint32_t kUdpAnnounceReplyHeader = 20;
// The shortest reply limit: room for one peer of either family.
inline constexpr std::uint32_t kUdpShortestReplyBytes = kUdpAnnounceReplyHeader + 18;

// The most peers of `client`'s family an announce reply of `max_reply_bytes` carries.
std::uint32_t UdpPeersThatFit(const IpAddress& client, std::uint32_t max_reply_bytes);

enum class UdpAction : std::uint32_t { kConnect = 0, kAnnounce = 1, kScrape = 2, kError = 3 };

struct UdpRequest {
  UdpAction action = UdpAction::kConnect;
  std::uint32_t transaction_id = 0;
  std::uint64_t connection_id = 0;
  std::string error;                // non-empty: refuse with this message
  proto::AnnounceRequest announce;  // kAnnounce: ip is the peer's address, numwant capped
  // kAnnounce: BEP 41's URL data options, joined: the path and query of the tracker's URL as
  // the client knows it ("/<passkey>/announce"); empty when it sent none.
  std::string url_data;
  std::vector<InfoHash> scrape;  // kScrape, in request order
};

struct UdpParseOptions {
  AnnounceOptions announce;  // num_want -1 means response_size; the ip field per ip_override
  std::uint32_t max_scrape_hashes = kUdpMaxScrapeHashes;  // capped at kUdpMaxScrapeHashes
  std::uint32_t max_reply_bytes = kUdpDefaultReplyBytes;  // num_want is capped to fit
};

// `client` is the datagram's source address. Fills `out` (reset first; the caller reuses it so
// its strings and vector keep their capacity). Returns false, when the datagram is too short to
// answer at all.
bool ParseUdpRequest(std::string_view datagram, const IpAddress& client,
                     const UdpParseOptions& options, UdpRequest& out);

// The writers append to `out`.
void WriteUdpConnectReply(std::uint32_t transaction_id, std::uint64_t connection_id,
                          std::string& out);
// Peers from peers6 (18-byte entries) when `ipv6`, else from peers4 (6-byte entries).
void WriteUdpAnnounceReply(std::uint32_t transaction_id, std::uint32_t interval,
                           const proto::AnnounceReply& reply, bool ipv6, std::string& out);
// The header; then one WriteUdpScrapeEntry per requested hash, in request order.
void WriteUdpScrapeHeader(std::uint32_t transaction_id, std::string& out);
void WriteUdpScrapeEntry(const proto::ScrapeEntry& entry, std::string& out);
void WriteUdpError(std::uint32_t transaction_id, std::string_view message, std::string& out);
// What WriteUdpError writes: action and transaction id, then the message.
constexpr std::size_t UdpErrorSize(std::string_view message) { return 8 + message.size(); }

}  // namespace shardtrack
