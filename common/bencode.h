// Bencoding (BEP 3): BencodeWriter appends encoded values to a string in wire order;
// ParseBencode reads a whole buffer into a BencodeValue tree. Pure.
//
// The writer does not sort dictionary keys: callers write keys in sorted byte order, as BEP 3
// requires (replies have fixed key sets, so sorting at run time would be wasted work).
// The parser is strict: sorted unique keys, no leading zeros, no "-0", bounded nesting.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"

namespace shardtrack {

class BencodeWriter {
 public:
  explicit BencodeWriter(std::string& out) : out_(out) {}
  BencodeWriter& Int(std::int64_t value);
  BencodeWriter& String(std::string_view value);
  BencodeWriter& BeginDict() { return Raw("d"); }
  BencodeWriter& BeginList() { return Raw("l"); }
  BencodeWriter& End() { return Raw("e"); }
  // A key followed by its value, for the common cases.
  BencodeWriter& Key(std::string_view key) { return String(key); }

 private:
  BencodeWriter& Raw(std::string_view bytes) {
    out_.append(bytes);
    return *this;
  }
  std::string& out_;
};

struct BencodeValue {
  using List = std::vector<BencodeValue>;
  using Dict = std::map<std::string, BencodeValue, std::less<>>;
  std::variant<std::int64_t, std::string, List, Dict> value;

  bool is_int() const { return value.index() == 0; }
  bool is_string() const { return value.index() == 1; }
  bool is_list() const { return value.index() == 2; }
  bool is_dict() const { return value.index() == 3; }
  std::int64_t as_int() const { return std::get<0>(value); }
  const std::string& as_string() const { return std::get<1>(value); }
  const List& as_list() const { return std::get<2>(value); }
  const Dict& as_dict() const { return std::get<3>(value); }
  // The value under `key` of a dict, or nullptr when absent or not a dict.
  const BencodeValue* Find(std::string_view key) const;
};

// Parses exactly one value that spans all of `input`. The error names the offset.
Result<BencodeValue> ParseBencode(std::string_view input);
// Writes a value back (dict keys come out sorted, as stored).
void WriteBencode(const BencodeValue& value, std::string& out);

}  // namespace shardtrack
