// The requests a benchmark sends: deterministic torrent and peer identities, URL encoding of
// binary values, and the HTTP/1.1 GET text of an announce or a scrape. Pure.
//
// Torrent k's infohash depends only on k, so a whitelist written for one run serves every run.
// Peer p has a printable 20-byte id ("-SB0001-" and p in 12 decimal digits), a port, and the
// index of the source address it must announce from: trackers that key peers by address and
// port (opentracker) then see p as one distinct peer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/fixed_bytes.h"

namespace shardtrack {

// Percent-encodes every byte outside RFC 3986's unreserved set (A-Z a-z 0-9 - . _ ~).
std::string UrlEncode(std::string_view bytes);

InfoHash BenchInfoHash(std::uint64_t torrent);

// Peer p announces port 1024 + (p / sources) mod this: a run tells apart at most this many peers
// per source address.
inline constexpr std::uint32_t kBenchPortsPerSource = 64000;

struct BenchPeer {
  PeerId peer_id;
  std::uint16_t port;
  std::uint32_t source_index;  // which of the run's source addresses this peer uses
};
// `source_count` must be at least 1.
BenchPeer BenchPeerFor(std::uint64_t peer, std::uint32_t source_count);
// The passkey of `peer` when the run has `passkeys` members (at least 1): bench00000000,
// bench00000001, ... (--print-passkeys writes the tracker's passkey file).
std::string BenchPasskey(std::uint64_t peer, std::uint64_t passkeys);

enum class AnnounceEvent { kNone, kStarted, kCompleted, kStopped };

struct AnnounceSpec {
  InfoHash info_hash;
  PeerId peer_id;
  std::uint16_t port = 0;
  AnnounceEvent event = AnnounceEvent::kNone;
  std::uint64_t left = 0;
  int numwant = 50;
  std::string passkey;  // non-empty: the request goes to /<passkey>/announce
};

// `host` is the Host header value; without `keep_alive` the request asks for Connection: close.
std::string BuildAnnounceRequest(const AnnounceSpec& spec, std::string_view host, bool keep_alive);
// A non-empty `passkey` makes it /<passkey>/scrape.
std::string BuildScrapeRequest(const InfoHash& info_hash, std::string_view host, bool keep_alive,
                               std::string_view passkey = {});

}  // namespace shardtrack
