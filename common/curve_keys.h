// CURVE keys (ZeroMQ's CurveZMQ: elliptic-curve encryption and authentication) for the hop
// between frontends and shards when it crosses machines. A key is 32 bytes, written as 64 hex
// digits (not ZeroMQ's Z85, whose alphabet has '#', which starts a comment in a list file);
// shardtrack-curve-keys makes a pair of files (NAME.public, NAME.secret). Reading files: call at
// start-up, not on a serving loop.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/fixed_bytes.h"
#include "common/result.h"

namespace shardtrack {

using CurveKey = FixedBytes<32>;

struct CurveKeyPair {
  CurveKey public_key;
  CurveKey secret_key;
};

// A new random key pair.
CurveKeyPair MakeCurveKeyPair();
// The public key that goes with `secret_key`.
CurveKey CurvePublicKeyOf(const CurveKey& secret_key);
// The one key a file holds (in the list files' format, list_file.h), or an error naming the
// file.
Result<CurveKey> ReadCurveKeyFile(const std::string& path);
// The keys a file lists, one a line (# comments, anything after a key a note), or an error
// naming the file and the line. An empty list is an error: it would admit nobody.
Result<std::vector<CurveKey>> ReadCurveKeyListFile(const std::string& path);

}  // namespace shardtrack
