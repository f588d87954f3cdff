#include "common/http/query_string.h"

#include "common/fixed_bytes.h"

namespace shardtrack {
std::optional<std::size_t> PercentDecodeInto(std::string_view encoded, char* out) {
  std::size_t size = 0;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      if (i + 2 >= encoded.size()) return std::nullopt;
      int high = HexDigitValue(encoded[i + 1]);
      int low = HexDigitValue(encoded[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    }
    out[size++] = c;
  }
  return size;
}

std::optional<std::string> PercentDecode(std::string_view encoded) {
  std::string out(encoded.size(), '\0');
  auto size = PercentDecodeInto(encoded, out.data());
  if (!size) return std::nullopt;
  out.resize(*size);
  return out;
}

std::optional<std::string_view> QueryStringReader::Decode(std::string_view raw, Scratch& scratch) {
  if (raw.find_first_of("%+") == std::string_view::npos) return raw;
  char* out = scratch.inline_bytes.data();
  if (raw.size() > scratch.inline_bytes.size()) {
    scratch.spill.resize(raw.size());
    out = scratch.spill.data();
  }
  auto size = PercentDecodeInto(raw, out);
  if (!size) return std::nullopt;
  return std::string_view(out, *size);
}

bool QueryStringReader::Next() {
  while (!rest_.empty()) {
    std::size_t amp = rest_.find('&');
    std::string_view part = rest_.substr(0, amp);
    rest_.remove_prefix(amp == std::string_view::npos ? rest_.size() : amp + 1);
    if (part.empty()) continue;
    std::size_t equals = part.find('=');
    auto key = Decode(part.substr(0, equals), key_scratch_);
    if (!key) continue;
    key_ = *key;
    raw_value_ = equals == std::string_view::npos ? std::string_view() : part.substr(equals + 1);
    return true;
  }
  return false;
}

}  // namespace shardtrack
