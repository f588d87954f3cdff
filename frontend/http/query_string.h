// Query strings (`a=b&c=d`) split into percent-decoded key/value pairs without building a map.
// Pure. QueryStringReader copies little: a part without escapes is returned as a
// view into the query itself, and one with escapes is decoded into a small inline buffer (a
// heap spill only for parts over 128 bytes). Views stay valid until the next Next() call.
// `+` decodes to a space; a malformed escape (`%`, `%4`, `%zz`) is an error, never kept as is.
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
  enum class Step { kPair, kEnd, kMalformed };

  explicit QueryStringReader(std::string_view query) : rest_(query) {}

  // Advances to the next non-empty `key[=value]` part ("flag" alone has an empty value).
  Step Next();
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  // After kMalformed: "invalid <key>: malformed percent-escape", naming the key when printable.
  std::string MalformedMessage() const;

 private:
  struct Scratch {
    std::array<char, 128> inline_bytes;
    std::string spill;
  };
  static std::optional<std::string_view> Decode(std::string_view raw, Scratch& scratch);

  std::string_view rest_;
  std::string_view key_;
  std::string_view value_;
  bool key_ok_ = false;
  Scratch key_scratch_;
  Scratch value_scratch_;
};

// Calls visit(key, value) -> Status for every pair; stops at the first error (its own or a
// malformed escape) and returns it.
template <typename Visit>
Status ForEachQueryParam(std::string_view query, Visit&& visit) {
  QueryStringReader reader(query);
  while (true) {
    switch (reader.Next()) {
      case QueryStringReader::Step::kEnd:
        return OkStatus();
      case QueryStringReader::Step::kMalformed:
        return Error{reader.MalformedMessage()};
      case QueryStringReader::Step::kPair:
        if (Status status = visit(reader.key(), reader.value()); !status) return status;
    }
  }
}

}  // namespace shardtrack
