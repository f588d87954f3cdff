#include "frontend/field_errors.h"

#include <algorithm>
#include <cctype>

namespace shardtrack {

std::string InvalidFieldReason(std::string_view field, std::string_view why) {
  return "invalid " + std::string(field) + ": " + std::string(why);
}

std::string InvalidCountReason(std::string_view field) {
  return InvalidFieldReason(field, "must be a non-negative integer");
}

std::string NotTwentyBytesReason(std::string_view field, std::string_view value) {
  const bool hex_digits = value.size() == 40 && std::all_of(value.begin(), value.end(), [](char c) {
                            return std::isxdigit(static_cast<unsigned char>(c)) != 0;
                          });
  return InvalidFieldReason(field, hex_digits ? "must be 20 bytes, not 40 hex digits: "
                                                "percent-encode each byte (%12%34...)"
                                              : "must be 20 bytes");
}

}  // namespace shardtrack
