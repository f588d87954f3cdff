// Bencoded tracker reply bodies (BEP 3, 7, 23, 24, 48), written straight into a caller-owned
// buffer (appended; callers clear and reuse it). Keys come out in sorted byte order. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "proto/shardtrack.pb.h"

namespace shardtrack {

struct AnnounceReplyOptions {
  bool compact = true;         // BEP 23 `peers` (+ BEP 7 `peers6`); else a list of dicts
  bool want_peer_ids = false;  // non-compact only: each dict carries `peer id`
  std::uint32_t interval = 1800;
  std::uint32_t min_interval = 900;
  std::optional<IpAddress> external_ip;  // BEP 24: the requester's address as seen here
};

// complete, downloaded, external ip, incomplete, interval, min interval, peers, peers6.
// Compact: `peers` holds peers4 as is and `peers6` (only when non-empty) peers6. Non-compact:
// `peers` lists {ip, peer id, port} for the entries of both.
void WriteAnnounceReply(const proto::AnnounceReply& reply, const AnnounceReplyOptions& options,
                        std::string& out);

// d5:filesd<hash>d8:completei..e10:downloadedi..e(11:downloadersi..e)10:incompletei..e(4:name..)e
// ...ee with hashes sorted (`downloaders`, BEP 21, and `name` when the entry has them); a hash
// given twice is written once. The pointers are reordered.
void WriteScrapeReply(std::vector<const proto::ScrapeEntry*>& entries, std::string& out);

// Any range of proto::ScrapeEntry (a RepeatedPtrField, a vector, ...). `pointers` is scratch
// space, which a caller that writes many replies reuses so that writing allocates nothing.
template <typename Entries>
void WriteScrapeReply(const Entries& entries, std::vector<const proto::ScrapeEntry*>& pointers,
                      std::string& out) {
  pointers.clear();
  for (const proto::ScrapeEntry& entry : entries) pointers.push_back(&entry);
  WriteScrapeReply(pointers, out);
}

// d14:failure reason<reason>e
void WriteFailure(std::string_view reason, std::string& out);
// d14:failure reason<reason>8:retry ini<minutes>ee: BEP 31's hint of when to ask again.
void WriteFailure(std::string_view reason, std::uint32_t retry_in_minutes, std::string& out);

}  // namespace shardtrack
