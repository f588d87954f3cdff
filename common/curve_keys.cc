#include "common/curve_keys.h"

#include <zmq.h>

#include <array>

#include "common/list_file.h"
#include "common/trim.h"

namespace shardtrack {
namespace {

constexpr std::size_t kZ85Text = 40;  // Z85 characters of a 32-byte key, libzmq's form
constexpr std::string_view kNoCurve =
    "this libzmq was built without CURVE (zmq_has(\"curve\") is false): install a libzmq built "
    "with libsodium, as Debian's libzmq5 is";

using Z85Text = std::array<char, kZ85Text + 1>;

CurveKey FromZ85(const Z85Text& text) {
  CurveKey key;
  zmq_z85_decode(key.bytes.data(), text.data());
  return key;
}

// shardtrack-curve-keys names a pair NAME.public and NAME.secret, and any 32 bytes pass for either
// kind: a file named for the other kind, `kind`, is a swap, which would only show as handshakes
// failing. `instead` says what to give.
Status NotNamedAs(const std::string& path, std::string_view kind, std::string_view instead) {
  if (!path.ends_with("." + std::string(kind))) return OkStatus();
  return Error{path + " is named as a " + std::string(kind) +
               " key's file: " + std::string(instead)};
}

constexpr std::string_view kGivePublic =
    "give the NAME.public file of the pair here, and keep NAME.secret on the machine it is for";

// Refuses a line whose note (what follows its key) starts with `kind`: shardtrack-curve-keys
// marks each key so, and a file renamed is still known for what it holds. The line is never
// shown: it may hold a secret.
Status NoneMarked(std::string_view text, std::string_view kind) {
  return ForEachListLine(
      text,
      [kind](std::string_view line) -> Status {
        if (FirstWord(Trim(line.substr(FirstWord(line).size()))) != kind) return OkStatus();
        return Error{"its key is marked " + std::string(kind) + ", and a " + std::string(kind) +
                     " key does not go here"};
      },
      ShowBadLine::kNo);
}

Result<std::vector<CurveKey>> ParseKeys(std::string_view text, ShowBadLine show) {
  std::vector<CurveKey> keys;
  Status parsed = ForEachListLine(
      text,
      [&keys](std::string_view line) -> Status {
        auto key = CurveKey::FromHex(FirstWord(line));
        if (!key) return Error{"a CURVE key is 64 hex digits (shardtrack-curve-keys makes them)"};
        keys.push_back(*key);
        return OkStatus();
      },
      show);
  if (!parsed) return Error{parsed.error()};
  return keys;
}

// The only key of `keys`, read from `path`.
Result<CurveKey> OnlyKey(const std::string& path, Result<std::vector<CurveKey>> keys) {
  if (!keys) return Error{keys.error()};
  if (keys->size() != 1) {
    return Error{path + ": holds " + std::to_string(keys->size()) + " keys, not one"};
  }
  return keys->front();
}

}  // namespace

Result<CurveKeyPair> MakeCurveKeyPair() {
  Z85Text public_key{};
  Z85Text secret_key{};
  if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0)
    return Error{std::string(kNoCurve)};
  return CurveKeyPair{FromZ85(public_key), FromZ85(secret_key)};
}

Result<CurveKey> CurvePublicKeyOf(const CurveKey& secret_key) {
  Z85Text secret{};
  zmq_z85_encode(secret.data(), secret_key.bytes.data(), CurveKey::kSize);
  Z85Text public_key{};
  if (zmq_curve_public(public_key.data(), secret.data()) != 0) return Error{std::string(kNoCurve)};
  return FromZ85(public_key);
}

Result<std::vector<CurveKey>> ParseCurveKeys(std::string_view text) {
  if (Status kind = NoneMarked(text, kSecretNote); !kind) return Error{kind.error()};
  return ParseKeys(text, ShowBadLine::kYes);
}

Result<std::vector<CurveKey>> ParseCurveSecretKeys(std::string_view text) {
  if (Status kind = NoneMarked(text, kPublicNote); !kind) return Error{kind.error()};
  return ParseKeys(text, ShowBadLine::kNo);
}

Result<CurveKey> ReadCurveKeyFile(const std::string& path) {
  if (Status kind = NotNamedAs(path, kSecretNote, kGivePublic); !kind) return Error{kind.error()};
  return OnlyKey(path, LoadListFile(path, &ParseCurveKeys));
}

Result<CurveKey> ReadCurveSecretKeyFile(const std::string& path) {
  if (Status kind = NotNamedAs(path, kPublicNote,
                               "give this process's own NAME.secret here (shardtrack-curve-keys "
                               "NAME writes both)");
      !kind) {
    return Error{kind.error()};
  }
  return OnlyKey(path, LoadListFile(path, &ParseCurveSecretKeys));
}

Result<std::vector<CurveKey>> ReadCurveKeyListFile(const std::string& path) {
  if (Status kind = NotNamedAs(path, kSecretNote, kGivePublic); !kind) return Error{kind.error()};
  auto keys = LoadListFile(path, &ParseCurveKeys);
  if (!keys) return Error{keys.error()};
  if (keys->empty()) return Error{path + ": lists no key, so no frontend could connect"};
  return keys;
}

}  // namespace shardtrack
