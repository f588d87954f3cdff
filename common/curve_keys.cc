#include "common/curve_keys.h"

#include <zmq.h>

#include <array>

#include "common/list_file.h"
#include "common/read_file.h"

namespace shardtrack {
namespace {

constexpr std::size_t kZ85Text = 40;  // Z85 characters of a 32-byte key, libzmq's form

using Z85Text = std::array<char, kZ85Text + 1>;

CurveKey FromZ85(const Z85Text& text) {
  CurveKey key;
  zmq_z85_decode(key.bytes.data(), text.data());
  return key;
}

// The keys a file lists, one a line, in the list files' format.
Result<std::vector<CurveKey>> ReadKeys(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text) return Error{text.error()};
  std::vector<CurveKey> keys;
  Status parsed = ForEachListLine(*text, [&keys](std::string_view line) -> Status {
    auto key = CurveKey::FromHex(FirstWord(line));
    if (!key) return Error{"a CURVE key is 64 hex digits (shardtrack-curve-keys makes them)"};
    keys.push_back(*key);
    return OkStatus();
  });
  if (!parsed) return Error{path + ": " + parsed.error()};
  return keys;
}

}  // namespace

CurveKeyPair MakeCurveKeyPair() {
  Z85Text public_key{};
  Z85Text secret_key{};
  zmq_curve_keypair(public_key.data(), secret_key.data());
  return {FromZ85(public_key), FromZ85(secret_key)};
}

CurveKey CurvePublicKeyOf(const CurveKey& secret_key) {
  Z85Text secret{};
  zmq_z85_encode(secret.data(), secret_key.bytes.data(), CurveKey::kSize);
  Z85Text public_key{};
  zmq_curve_public(public_key.data(), secret.data());
  return FromZ85(public_key);
}

Result<CurveKey> ReadCurveKeyFile(const std::string& path) {
  auto keys = ReadKeys(path);
  if (!keys) return Error{keys.error()};
  if (keys->size() != 1) {
    return Error{path + ": holds " + std::to_string(keys->size()) + " keys, not one"};
  }
  return keys->front();
}

Result<std::vector<CurveKey>> ReadCurveKeyListFile(const std::string& path) {
  auto keys = ReadKeys(path);
  if (!keys) return Error{keys.error()};
  if (keys->empty()) return Error{path + ": lists no key, so no frontend could connect"};
  return keys;
}

}  // namespace shardtrack
