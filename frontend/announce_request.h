// ParseAnnounce: turns the query of GET /announce (BEP 3, 7, 23) into the proto::AnnounceRequest
// a shard takes, plus what the frontend needs to write the reply. Pure.
//
// Required: info_hash and peer_id (20 bytes each after percent-decoding), port (1..65535),
// uploaded, downloaded, left (decimal digits, at most kMaxTransferCount). Optional: event (started,
// completed, stopped, paused (BEP 21's partial seed), empty), compact (0/1, default 1),
// no_peer_id (0/1), numwant (capped at max_give; absent means response_size), ip (believed per
// ip_override; otherwise, or when not an address literal, ignored). Anything else is ignored.
// A known parameter given twice is an error. Error messages name the field ("missing port").
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "common/ip_address.h"
#include "common/result.h"
#include "proto/shardtrack.pb.h"

namespace shardtrack {

// The largest uploaded, downloaded or left taken. UDP carries them as signed 64-bit numbers (BEP
// 15), so a larger one there is a negative count; no transfer comes near it.
inline constexpr std::uint64_t kMaxTransferCount = std::numeric_limits<std::int64_t>::max();

// Whose `ip=` parameter is believed.
enum class IpOverride {
  kLocal,  // only from a loopback or private source (the original only_local_override_ip)
  kAlways,
  kNever,
};

struct AnnounceOptions {
  std::uint32_t response_size = 50;  // peers wanted when numwant is absent
  std::uint32_t max_give = 200;      // cap on numwant
  IpOverride ip_override = IpOverride::kLocal;
};

// The address a peer is listed under: the one it claims when `options` believe it (a claim that
// no peer can have, such as 0.0.0.0 or multicast, is no claim), else the request's source.
IpAddress PeerAddressOf(const AnnounceOptions& options, const IpAddress& client,
                        const std::optional<IpAddress>& claimed);

struct ParsedAnnounce {
  proto::AnnounceRequest request;  // ip is the peer's address (4 or 16 bytes)
  bool compact = true;
  bool no_peer_id = false;
};

// `client` is the address the request came from (after any trusted proxy header). Fills `out`
// (cleared first), which the caller reuses so its strings keep their capacity: parsing allocates
// nothing. On an error `out` holds part of the request.
Status ParseAnnounce(std::string_view raw_query, const IpAddress& client,
                     const AnnounceOptions& options, ParsedAnnounce& out);

}  // namespace shardtrack
