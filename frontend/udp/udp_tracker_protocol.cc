#include "frontend/udp/udp_tracker_protocol.h"

#include <algorithm>

#include "frontend/field_errors.h"

namespace shardtrack {

std::uint32_t UdpPeersThatFit(const IpAddress& client, std::uint32_t max_reply_bytes) {
  const std::uint32_t bytes =
      std::clamp(max_reply_bytes, kUdpShortestReplyBytes, kUdpLargestReplyBytes);
  return (bytes - kUdpAnnounceReplyHeader) / (client.is_v4() ? 6 : 18);
}

namespace {

constexpr std::size_t kHeaderSize = 16;
constexpr std::size_t kAnnounceSize = 98;
constexpr std::uint32_t kPausedEventCode = 4;

// Big-endian reads from a datagram whose length the caller has checked.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::uint64_t U64() { return Read(8); }
  std::uint32_t U32() { return static_cast<std::uint32_t>(Read(4)); }
  std::uint16_t U16() { return static_cast<std::uint16_t>(Read(2)); }
  std::string_view Bytes(std::size_t n) {
    std::string_view out = data_.substr(at_, n);
    at_ += n;
    return out;
  }

 private:
  std::uint64_t Read(std::size_t n) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < n; ++i)
      value = value << 8 | static_cast<unsigned char>(data_[at_++]);
    return value;
  }
  std::string_view data_;
  std::size_t at_ = 0;
};

void Put(std::uint64_t value, std::size_t bytes, std::string& out) {
  for (std::size_t i = bytes; i-- > 0;) out.push_back(static_cast<char>(value >> (8 * i)));
}

std::optional<proto::Event> EventFromCode(std::uint32_t code) {
  switch (code) {
    case 0:
      return proto::EVENT_NONE;
    case 1:
      return proto::EVENT_COMPLETED;
    case 2:
      return proto::EVENT_STARTED;
    case 3:
      return proto::EVENT_STOPPED;
    case kPausedEventCode:  // libtorrent's "paused": BEP 21's partial seed, as over HTTP
      return proto::EVENT_NONE;
    default:
      return std::nullopt;
  }
}

void ParseAnnounceBody(Reader& in, const IpAddress& client, const UdpParseOptions& udp_options,
                       UdpRequest& request) {
  const AnnounceOptions& options = udp_options.announce;
  proto::AnnounceRequest& announce = request.announce;
  announce.mutable_info_hash()->assign(in.Bytes(20));
  announce.mutable_peer_id()->assign(in.Bytes(20));
  announce.set_downloaded(in.U64());
  announce.set_left(in.U64());
  announce.set_uploaded(in.U64());
  const std::uint32_t event_code = in.U32();
  auto event = EventFromCode(event_code);
  std::string_view ip_field = in.Bytes(4);
  in.U32();  // key: unused; a swarm keys its peers on address and port
  const auto num_want = static_cast<std::int32_t>(in.U32());
  const std::uint16_t port = in.U16();
  if (!event) {
    request.error = "invalid event";
    return;
  }
  for (const auto& [field, count] :
       {std::pair{"downloaded", announce.downloaded()}, std::pair{"left", announce.left()},
        std::pair{"uploaded", announce.uploaded()}}) {
    if (count > kMaxTransferCount) {
      request.error = InvalidCountReason(field);
      return;
    }
  }
  if (port == 0) {
    request.error = "invalid port";
    return;
  }
  announce.set_event(*event);
  announce.set_partial_seed(event_code == kPausedEventCode);
  announce.set_port(port);
  const std::uint32_t wanted =
      num_want < 0 ? options.response_size : static_cast<std::uint32_t>(num_want);
  announce.set_numwant(
      std::min({wanted, options.max_give, UdpPeersThatFit(client, udp_options.max_reply_bytes)}));
  // BEP 15: an IPv6 client leaves the 4-byte field 0, so it claims nothing. Believing an IPv4
  // address from one would make it an IPv4 peer given IPv4 peers, which its reply (18-byte
  // entries) cannot carry.
  const auto claimed = client.is_v4() ? IpAddress::FromRaw(ip_field) : std::nullopt;
  announce.mutable_ip()->assign(PeerAddressOf(options, client, claimed).raw());
}

// BEP 41: options after an announce, each starting with a type byte: 0 ends them, 1 is a byte of
// padding, any other is followed by a length byte and that many bytes: URL data for type 2 (a
// long URL comes in several), skipped for a type this tracker does not know. Reading stops at
// an option cut short.
void ParseAnnounceOptions(std::string_view options, std::string& url_data) {
  constexpr unsigned char kEndOfOptions = 0, kNop = 1, kUrlData = 2;
  std::size_t at = 0;
  while (at < options.size()) {
    const auto type = static_cast<unsigned char>(options[at++]);
    if (type == kEndOfOptions) return;
    if (type == kNop) continue;
    if (at == options.size()) return;
    const std::size_t length = static_cast<unsigned char>(options[at++]);
    if (length > options.size() - at) return;
    if (type == kUrlData) url_data.append(options.substr(at, length));
    at += length;
  }
}

void ParseScrapeBody(std::string_view hashes, const UdpParseOptions& options, UdpRequest& request) {
  const std::uint32_t cap = std::min(options.max_scrape_hashes, kUdpMaxScrapeHashes);
  if (hashes.empty() || hashes.size() % 20 != 0) {
    request.error = "scrape needs whole 20-byte info hashes";
    return;
  }
  if (hashes.size() / 20 > cap) {
    request.error = "too many info hashes (at most " + std::to_string(cap) + ")";
    return;
  }
  for (std::size_t at = 0; at < hashes.size(); at += 20) {
    request.scrape.push_back(*InfoHash::FromRaw(hashes.substr(at, 20)));
  }
}

}  // namespace

bool ParseUdpRequest(std::string_view datagram, const IpAddress& client,
                     const UdpParseOptions& options, UdpRequest& request) {
  if (datagram.size() < kHeaderSize) return false;
  Reader in(datagram);
  request.error.clear();
  request.announce.Clear();
  request.scrape.clear();
  request.url_data.clear();
  request.connection_id = in.U64();
  const std::uint32_t action = in.U32();
  request.transaction_id = in.U32();
  switch (action) {
    case 0:
      request.action = UdpAction::kConnect;
      if (request.connection_id != kUdpProtocolId) request.error = "bad protocol id";
      break;
    case 1:
      request.action = UdpAction::kAnnounce;
      if (datagram.size() < kAnnounceSize) {
        request.error = "announce too short";
      } else {
        ParseAnnounceBody(in, client, options, request);
        ParseAnnounceOptions(datagram.substr(kAnnounceSize), request.url_data);
      }
      break;
    case 2:
      request.action = UdpAction::kScrape;
      ParseScrapeBody(datagram.substr(kHeaderSize), options, request);
      break;
    default:
      request.action = UdpAction::kError;
      request.error = "unknown action";
      break;
  }
  return true;
}

void WriteUdpConnectReply(std::uint32_t transaction_id, std::uint64_t connection_id,
                          std::string& out) {
  Put(static_cast<std::uint32_t>(UdpAction::kConnect), 4, out);
  Put(transaction_id, 4, out);
  Put(connection_id, 8, out);
}

void WriteUdpAnnounceReply(std::uint32_t transaction_id, std::uint32_t interval,
                           const proto::AnnounceReply& reply, bool ipv6, std::string& out) {
  Put(static_cast<std::uint32_t>(UdpAction::kAnnounce), 4, out);
  Put(transaction_id, 4, out);
  Put(interval, 4, out);
  Put(reply.incomplete(), 4, out);
  Put(reply.complete(), 4, out);
  out.append(ipv6 ? reply.peers6() : reply.peers4());
}

void WriteUdpScrapeHeader(std::uint32_t transaction_id, std::string& out) {
  Put(static_cast<std::uint32_t>(UdpAction::kScrape), 4, out);
  Put(transaction_id, 4, out);
}

void WriteUdpScrapeEntry(const proto::ScrapeEntry& entry, std::string& out) {
  Put(entry.complete(), 4, out);
  Put(entry.downloaded(), 4, out);
  Put(entry.incomplete(), 4, out);
}

void WriteUdpError(std::uint32_t transaction_id, std::string_view message, std::string& out) {
  Put(static_cast<std::uint32_t>(UdpAction::kError), 4, out);
  Put(transaction_id, 4, out);
  out.append(message);
}

}  // namespace shardtrack
