#include "common/http/http_text.h"

#include <algorithm>
#include <cstring>

namespace shardtrack {
namespace {

// An ASCII letter or digit, or one of `others`.
bool IsAlnumOr(char c, const char* others) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != '\0' && std::strchr(others, c) != nullptr;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

bool IsHttpToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return IsAlnumOr(c, "!#$%&'*+-.^_`|~");  // tchar
  });
}

bool IsHttpFieldValue(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
  });
}

bool IsHttpHost(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return IsAlnumOr(c, "-._~!$&'()*+,;=%:[]"); });
}

bool IsDecimal(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsDigit);
}

std::optional<int> ParseHttpVersion(std::string_view text) {
  if (text.size() != 8 || text.substr(0, 5) != "HTTP/" || !IsDigit(text[5]) || text[6] != '.' ||
      !IsDigit(text[7])) {
    return std::nullopt;
  }
  if (text[5] != '1') return -1;
  return text[7] == '0' ? 0 : 1;
}

std::optional<std::pair<std::size_t, std::size_t>> LocatePath(std::string_view target) {
  bool clean = !target.empty() && std::all_of(target.begin(), target.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte != 0x7f;
  });
  if (!clean) return std::nullopt;
  std::size_t begin = 0;
  if (target.front() != '/') {
    std::size_t scheme_end = 0;
    if (StartsWithIgnoreCase(target, "http://")) scheme_end = 7;
    if (StartsWithIgnoreCase(target, "https://")) scheme_end = 8;
    if (scheme_end == 0 || scheme_end == target.size()) return std::nullopt;
    begin = std::min(target.find_first_of("/?#", scheme_end), target.size());
    if (begin == scheme_end) return std::nullopt;  // no host
  }
  std::size_t end = std::min(target.find_first_of("?#", begin), target.size());
  return std::make_pair(begin, end - begin);
}

namespace {

// A weight (qvalue): "0" or "1", or one of them, a dot and up to three digits ("1" only zeros).
std::optional<bool> WeightAboveZero(std::string_view weight) {
  if (weight.empty() || (weight[0] != '0' && weight[0] != '1')) return std::nullopt;
  const std::string_view fraction = weight.substr(1);
  if (fraction.empty()) return weight[0] == '1';
  const std::string_view digits = fraction.substr(1);
  if (fraction[0] != '.' || digits.size() > 3 || !(digits.empty() || IsDecimal(digits))) {
    return std::nullopt;
  }
  const bool zeros = digits.find_first_not_of('0') == std::string_view::npos;
  if (weight[0] == '1') return zeros ? std::optional<bool>(true) : std::nullopt;
  return !zeros;
}

}  // namespace

CodingWeight ParseCodingItem(std::string_view item) {
  std::size_t semicolon = item.find(';');
  CodingWeight result{TrimHttpSpace(item.substr(0, semicolon)), true};
  while (semicolon != std::string_view::npos) {
    item.remove_prefix(semicolon + 1);
    semicolon = item.find(';');
    const std::string_view parameter = item.substr(0, semicolon);
    const std::size_t equals = parameter.find('=');
    if (equals != std::string_view::npos &&
        EqualsIgnoreCase(TrimHttpSpace(parameter.substr(0, equals)), "q")) {
      const std::string_view weight = TrimHttpSpace(parameter.substr(equals + 1));
      result.accepted = WeightAboveZero(weight).value_or(false);
    }
  }
  return result;
}

}  // namespace shardtrack
