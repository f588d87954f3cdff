// What a passkey may be: 1 to 64 of the characters a URL path carries unescaped (A-Z a-z 0-9
// - . _ ~). The frontend's passkey file is held to it, and a shard refuses an announce whose
// passkey breaks it, since the passkey ends up in the accounting files' tab-separated lines.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace shardtrack {

inline constexpr std::size_t kMaxPasskeyLength = 64;

inline bool IsPasskeyCharacter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

inline bool IsValidPasskey(std::string_view passkey) {
  return !passkey.empty() && passkey.size() <= kMaxPasskeyLength &&
         std::all_of(passkey.begin(), passkey.end(), IsPasskeyCharacter);
}

}  // namespace shardtrack
