// Trim: a view of `text` without the leading and trailing characters of `chars`. One helper for
// every grammar that trims (list files: any whitespace; HTTP: spaces and tabs; flag lists).
#pragma once

#include <string_view>

namespace shardtrack {

inline constexpr std::string_view kWhitespace = " \t\r\v\f";

inline std::string_view Trim(std::string_view text, std::string_view chars = kWhitespace) {
  const std::size_t first = text.find_first_not_of(chars);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(chars) - first + 1);
}

}  // namespace shardtrack
