// ParseUdpRequest (BEP 15) as UdpTrackerHandler calls it, then the handler's PasskeyOf on the
// BEP 41 URL data. Input: 1 byte of options, then the datagram.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "frontend/tracker_route.h"
#include "frontend/udp/udp_tracker_protocol.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace shardtrack;
  if (size < 1) return 0;
  const std::uint8_t opt = bytes[0];
  std::string_view datagram(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  static const char* kClients[] = {"203.0.113.7", "10.1.2.3", "2001:db8::5", "::1"};
  const IpAddress client = *IpAddress::Parse(kClients[opt & 3]);
  UdpParseOptions options;
  options.announce.ip_override = static_cast<IpOverride>((opt >> 2) % 3);
  if (opt & 0x10) options.max_scrape_hashes = 2;
  if (opt & 0x20) options.max_reply_bytes = 0;       // clamped to the shortest
  if (opt & 0x40) options.max_reply_bytes = 100000;  // clamped to the largest
  if (opt & 0x80) options.announce.max_give = 1000;

  static UdpRequest request;  // reused, as the handler reuses its own
  if (!ParseUdpRequest(datagram, client, options, request)) {
    FUZZ_CHECK(datagram.size() < 16);
    return 0;
  }
  FUZZ_CHECK(datagram.size() >= 16);
  if (request.error.empty()) {
    switch (request.action) {
      case UdpAction::kConnect:
        FUZZ_CHECK(request.connection_id == kUdpProtocolId);
        break;
      case UdpAction::kAnnounce: {
        const auto& a = request.announce;
        FUZZ_CHECK(a.info_hash().size() == 20 && a.peer_id().size() == 20);
        FUZZ_CHECK(a.port() >= 1 && a.port() <= 65535);
        FUZZ_CHECK(a.ip().size() == 4 || a.ip().size() == 16);
        auto ip = IpAddress::FromRaw(a.ip());
        FUZZ_CHECK(ip && ip->is_v4() == client.is_v4());  // reply entries must fit the family
        FUZZ_CHECK(a.numwant() <= UdpPeersThatFit(client, options.max_reply_bytes));
        FUZZ_CHECK(a.numwant() <= options.announce.max_give);
        FUZZ_CHECK(a.uploaded() <= kMaxTransferCount && a.downloaded() <= kMaxTransferCount &&
                   a.left() <= kMaxTransferCount);
        FUZZ_CHECK(request.url_data.size() <= datagram.size());
        // PasskeyOf in udp_tracker_handler.cc
        const std::string_view url = request.url_data;
        const std::size_t question = url.find('?');
        const PasskeyPath path =
            FindPasskey(url.substr(0, question),
                        question == std::string_view::npos ? "" : url.substr(question + 1));
        (void)path;
        break;
      }
      case UdpAction::kScrape:
        FUZZ_CHECK(!request.scrape.empty());
        FUZZ_CHECK(request.scrape.size() <=
                   std::min(options.max_scrape_hashes, kUdpMaxScrapeHashes));
        FUZZ_CHECK(request.scrape.size() * 20 + 16 == datagram.size());
        break;
      case UdpAction::kError:
        FUZZ_CHECK(false);  // an unknown action always carries an error
    }
  }
  std::string out;
  WriteUdpError(request.transaction_id, request.error, out);
  FUZZ_CHECK(out.size() == UdpErrorSize(request.error));
  return 0;
}
