// PasskeyList: the members' passkeys a private tracker's passkey file names, read by
// ParsePasskeyList (the file format of list_file.h).
//
// A line's first word is a passkey (common/passkey.h: 1 to 64 of the characters a URL path
// carries unescaped, A-Z a-z 0-9 - . _ ~). What follows it on the line is the operator's (a user
// name or id) and is ignored. A passkey listed twice is kept once. Pure value type; a lookup
// allocates nothing.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/passkey.h"
#include "common/result.h"

namespace shardtrack {

class PasskeyList {
 public:
  PasskeyList() = default;  // lists no passkey
  explicit PasskeyList(std::vector<std::string> passkeys);

  bool Contains(std::string_view passkey) const { return passkeys_.contains(passkey); }
  std::size_t size() const { return passkeys_.size(); }

 private:
  // Lets a string_view be looked up without building a string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  std::unordered_set<std::string, Hash, std::equal_to<>> passkeys_;
};

// The list `text` holds, or an error such as "line 7 "...": character 3, '/', cannot be in a
// passkey".
Result<PasskeyList> ParsePasskeyList(std::string_view text);

}  // namespace shardtrack
