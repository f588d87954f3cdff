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

// A new random key pair; an error when this libzmq was built without CURVE.
Result<CurveKeyPair> MakeCurveKeyPair();
// The public key that goes with `secret_key`; an error when this libzmq has no CURVE.
Result<CurveKey> CurvePublicKeyOf(const CurveKey& secret_key);

// What shardtrack-curve-keys writes after each key, as its note: the file's kind, which a reader
// of the other kind refuses (a file renamed is still known for what it holds).
inline constexpr std::string_view kPublicNote = "public";
inline constexpr std::string_view kSecretNote = "secret";

// The keys `text` lists, one a line in the list files' format (list_file.h; anything after a key
// is a note), or an error naming the bad line. The secret variant's errors do not show the line,
// nor does the refusal of a key whose note starts with the other kind's word.
Result<std::vector<CurveKey>> ParseCurveKeys(std::string_view text);
Result<std::vector<CurveKey>> ParseCurveSecretKeys(std::string_view text);

// The one public key a file holds, or an error naming the file. A file named NAME.secret is
// refused, unread: shardtrack-curve-keys names a pair's files by their kind.
Result<CurveKey> ReadCurveKeyFile(const std::string& path);
// The one secret key a file holds; an error names the file, never its text. A file named
// NAME.public is refused.
Result<CurveKey> ReadCurveSecretKeyFile(const std::string& path);
// The public keys a file lists (at least one: an empty list would admit nobody), or an error
// naming the file and the line. A file named NAME.secret is refused.
Result<std::vector<CurveKey>> ReadCurveKeyListFile(const std::string& path);

}  // namespace shardtrack
