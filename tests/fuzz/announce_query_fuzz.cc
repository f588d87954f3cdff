// ParseAnnounce, ParseScrape, PercentDecode / QueryStringReader, called as TrackerHandler calls
// them. Input: 1 byte of options, then the raw query string.
// Checks: what HandleAnnounce relies on after an ok parse (20-byte info_hash and peer_id, port
// 1..65535, a 4- or 16-byte ip, numwant <= max_give); scrape hashes sorted, distinct, bounded;
// percent-encoding round trip.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/request_builder.h"  // UrlEncode, as the load generator sends
#include "common/http/query_string.h"
#include "frontend/announce_request.h"
#include "frontend/scrape_request.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace shardtrack;
  if (size < 1) return 0;
  const std::uint8_t opt = bytes[0];
  std::string_view query(reinterpret_cast<const char*>(bytes) + 1, size - 1);

  static const char* kClients[] = {"203.0.113.7", "10.1.2.3", "2001:db8::5", "::1", "fe80::1"};
  const IpAddress client = *IpAddress::Parse(kClients[opt % 5]);
  AnnounceOptions options;
  options.ip_override = static_cast<IpOverride>((opt >> 3) % 3);
  if (opt & 0x20) {
    options.max_give = 10;
    options.response_size = 5;
  }

  static ParsedAnnounce parsed;  // reused, as TrackerHandler reuses its own
  Status status = ParseAnnounce(query, client, options, parsed);
  if (status) {
    const auto& r = parsed.request;
    FUZZ_CHECK(r.info_hash().size() == 20);
    FUZZ_CHECK(r.peer_id().size() == 20);
    FUZZ_CHECK(r.port() >= 1 && r.port() <= 65535);
    FUZZ_CHECK(r.ip().size() == 4 || r.ip().size() == 16);
    auto ip = IpAddress::FromRaw(r.ip());
    FUZZ_CHECK(ip.has_value());
    FUZZ_CHECK(r.numwant() <= options.max_give);
    FUZZ_CHECK(r.uploaded() <= kMaxTransferCount && r.downloaded() <= kMaxTransferCount &&
               r.left() <= kMaxTransferCount);
    if (options.ip_override == IpOverride::kNever) FUZZ_CHECK(*ip == client);
    FUZZ_CHECK(InfoHash::FromRaw(r.info_hash()).has_value());
  } else {
    FUZZ_CHECK(!status.error().empty());
  }

  static std::vector<InfoHash> hashes;
  const std::uint32_t max_hashes = (opt & 0x40) ? 3 : 74;
  Status scraped = ParseScrape(query, max_hashes, hashes);
  if (scraped) {
    FUZZ_CHECK(hashes.size() <= max_hashes);
    FUZZ_CHECK(std::is_sorted(hashes.begin(), hashes.end()));
    FUZZ_CHECK(std::adjacent_find(hashes.begin(), hashes.end()) == hashes.end());
  }

  // Query reader: every key and value it returns decodes the same through PercentDecode.
  QueryStringReader reader(query);
  int parts = 0;
  while (reader.Next()) {
    ++parts;
    std::string key(reader.key());
    auto value = reader.value();
    if (value) {
      std::string v(*value);
      auto again = reader.value();  // asked twice: same answer
      FUZZ_CHECK(again && *again == v);
    }
    FUZZ_CHECK(parts <= static_cast<int>(query.size()));
  }

  // Round trip: PercentDecode(PercentEncode(x)) == x; PercentDecode agrees with PercentDecodeInto.
  auto decoded = PercentDecode(UrlEncode(query));
  FUZZ_CHECK(decoded && *decoded == query);
  auto direct = PercentDecode(query);
  if (direct) FUZZ_CHECK(direct->size() <= query.size());
  return 0;
}
