// Query strings (`a=b&c=d`) split into percent-decoded key/value pairs without building a map.
// Pure. QueryStringReader copies little: a part without escapes is returned as a
// view into the query itself, and one with escapes is decoded into a small inline buffer (a
// heap spill only for parts over 128 bytes). Views stay valid until the next Next() call (a
// value's, until the next value() call too).
// `+` decodes to a space; a malformed escape (`%`, `%4`, `%zz`) is never kept as is. Values are
// decoded only when asked for, so a malformed escape in a parameter nobody reads (a client's
// own extension) is no error: like an unknown key, it is skipped.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace shardtrack {

// Decodes `encoded` into `out`, which has room for encoded.size() bytes. Returns the decoded
// size, or nullopt for a malformed escape.
std::optional<std::size_t> PercentDecodeInto(std::string_view encoded, char* out);
std::optional<std::string> PercentDecode(std::string_view encoded);

class QueryStringReader {
 public:
  explicit QueryStringReader(std::string_view query) : rest_(query) {}

  // Advances to the next non-empty `key[=value]` part ("flag" alone has an empty value); false
  // at the end. A key with a malformed escape names nothing and is skipped.
  bool Next();
  std::string_view key() const { return key_; }
  // The current part's decoded value; nullopt for a malformed escape.
  std::optional<std::string_view> value() { return Decode(raw_value_, value_scratch_); }

 private:
  struct Scratch {
    std::array<char, 128> inline_bytes;
    std::string spill;
  };
  static std::optional<std::string_view> Decode(std::string_view raw, Scratch& scratch);

  std::string_view rest_;
  std::string_view key_;
  std::string_view raw_value_;
  Scratch key_scratch_;
  Scratch value_scratch_;
};

// Calls visit(*field, value) -> Status for every pair whose field_of(key) -> std::optional
// names a field, skipping the others unread; stops at the first error (its own, or "invalid
// <key>: malformed percent-escape" for a named key's value) and returns it.
template <typename FieldOf, typename Visit>
Status ForEachQueryParam(std::string_view query, FieldOf&& field_of, Visit&& visit) {
  QueryStringReader reader(query);
  while (reader.Next()) {
    const auto field = field_of(reader.key());
    if (!field) continue;
    auto value = reader.value();
    if (!value) return Error{"invalid " + std::string(reader.key()) + ": malformed percent-escape"};
    if (Status status = visit(*field, *value); !status) return status;
  }
  return OkStatus();
}

}  // namespace shardtrack
