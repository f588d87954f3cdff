// Gzip: a response body in gzip form (RFC 1952) for a client whose Accept-Encoding takes it. A
// full scrape's bencoded list shrinks to about a third: its keys repeat in every entry (the
// infohashes do not compress). zlib's default level. Pure.
#pragma once

#include <string>
#include <string_view>

namespace shardtrack {

// Writes `body` gzipped into `out`, replacing what it held; false (and `out` empty) when zlib
// cannot (no memory, or a body of 4 GiB or more).
bool Gzip(std::string_view body, std::string& out);

}  // namespace shardtrack
