#include "common/bencode.h"

#include <charconv>

namespace shardtrack {
namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(std::string_view input) : input_(input) {}

  Result<BencodeValue> ParseAll() {
    auto value = ParseValue(0);
    if (!value.ok()) return value;
    if (pos_ != input_.size()) return Fail("trailing bytes after the value");
    return value;
  }

 private:
  Error Fail(std::string what) const {
    return Error{"bencode: " + what + " at offset " + std::to_string(pos_)};
  }

  Result<BencodeValue> ParseValue(int depth) {
    if (depth > kMaxDepth) return Fail("nesting too deep");
    if (pos_ >= input_.size()) return Fail("unexpected end");
    char c = input_[pos_];
    if (c == 'i') return ParseInt();
    if (c == 'l') return ParseList(depth);
    if (c == 'd') return ParseDict(depth);
    if (c >= '0' && c <= '9') {
      auto text = ParseString();
      if (!text.ok()) return Error{text.error()};
      return BencodeValue{std::move(text.value())};
    }
    return Fail(std::string("unexpected byte '") + c + "'");
  }

  // Digits of a non-negative or negative integer, canonical form only.
  Result<std::int64_t> ParseDigits(char terminator) {
    std::size_t end = input_.find(terminator, pos_);
    if (end == std::string_view::npos) return Fail("unterminated number");
    std::string_view digits = input_.substr(pos_, end - pos_);
    bool negative = !digits.empty() && digits[0] == '-';
    std::string_view magnitude = negative ? digits.substr(1) : digits;
    if (magnitude.empty() || (magnitude[0] == '0' && (magnitude.size() > 1 || negative))) {
      return Fail("malformed number");
    }
    std::int64_t value = 0;
    auto [ptr, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc() || ptr != digits.data() + digits.size()) {
      return Fail("malformed number");
    }
    pos_ = end + 1;
    return value;
  }

  Result<BencodeValue> ParseInt() {
    ++pos_;
    auto value = ParseDigits('e');
    if (!value.ok()) return Error{value.error()};
    return BencodeValue{*value};
  }

  Result<std::string> ParseString() {
    if (input_[pos_] == '-') return Fail("negative string length");
    auto length = ParseDigits(':');
    if (!length.ok()) return Error{length.error()};
    if (*length < 0 || static_cast<std::uint64_t>(*length) > input_.size() - pos_) {
      return Fail("string longer than the input");
    }
    std::string out(input_.substr(pos_, *length));
    pos_ += *length;
    return out;
  }

  Result<BencodeValue> ParseList(int depth) {
    ++pos_;
    BencodeValue::List list;
    while (pos_ < input_.size() && input_[pos_] != 'e') {
      auto item = ParseValue(depth + 1);
      if (!item.ok()) return item;
      list.push_back(std::move(item.value()));
    }
    if (pos_ >= input_.size()) return Fail("unterminated list");
    ++pos_;
    return BencodeValue{std::move(list)};
  }

  Result<BencodeValue> ParseDict(int depth) {
    ++pos_;
    BencodeValue::Dict dict;
    const std::string* previous = nullptr;
    while (pos_ < input_.size() && input_[pos_] != 'e') {
      if (input_[pos_] < '0' || input_[pos_] > '9') return Fail("dictionary key is not a string");
      auto key = ParseString();
      if (!key.ok()) return Error{key.error()};
      if (previous != nullptr && !(*previous < *key)) return Fail("unsorted or duplicate key");
      auto item = ParseValue(depth + 1);
      if (!item.ok()) return item;
      auto [it, inserted] = dict.emplace(std::move(key.value()), std::move(item.value()));
      previous = &it->first;
    }
    if (pos_ >= input_.size()) return Fail("unterminated dictionary");
    ++pos_;
    return BencodeValue{std::move(dict)};
  }

  std::string_view input_;
  std::size_t pos_ = 0;
};

}  // namespace

BencodeWriter& BencodeWriter::Int(std::int64_t value) {
  out_ += 'i';
  out_ += std::to_string(value);
  out_ += 'e';
  return *this;
}

BencodeWriter& BencodeWriter::String(std::string_view value) {
  out_ += std::to_string(value.size());
  out_ += ':';
  out_.append(value);
  return *this;
}

const BencodeValue* BencodeValue::Find(std::string_view key) const {
  if (!is_dict()) return nullptr;
  auto it = as_dict().find(key);
  return it == as_dict().end() ? nullptr : &it->second;
}

Result<BencodeValue> ParseBencode(std::string_view input) { return Parser(input).ParseAll(); }

void WriteBencode(const BencodeValue& value, std::string& out) {
  BencodeWriter writer(out);
  if (value.is_int()) {
    writer.Int(value.as_int());
  } else if (value.is_string()) {
    writer.String(value.as_string());
  } else if (value.is_list()) {
    writer.BeginList();
    for (const auto& item : value.as_list()) WriteBencode(item, out);
    writer.End();
  } else {
    writer.BeginDict();
    for (const auto& [key, item] : value.as_dict()) {
      writer.Key(key);
      WriteBencode(item, out);
    }
    writer.End();
  }
}

}  // namespace shardtrack
