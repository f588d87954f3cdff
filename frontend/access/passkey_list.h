// PasskeyList: the members' passkeys a private tracker's passkey file names, read by
// ParsePasskeyList (the file format of list_file.h).
//
// A line's first word is a passkey (common/passkey.h: 1 to 64 of the characters a URL path
// carries unescaped, A-Z a-z 0-9 - . _ ~). What follows it on the line is the operator's (a user
// name or id) and is ignored. A passkey listed twice is kept once.
//
// Flat: the passkeys one after another in one string, and an open-addressing table (at most
// half full) of their numbers, so a list is three allocations, whatever its size. A hash set of
// strings took 120 bytes a passkey, and freeing a million of them, which a reload does on the
// serving loop, held it for half a second; this takes 46 (a million 35-character passkeys) and
// frees at once. Pure value type; a lookup allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/passkey.h"
#include "common/result.h"

namespace shardtrack {

class PasskeyList {
 public:
  PasskeyList() = default;  // lists no passkey
  explicit PasskeyList(const std::vector<std::string>& passkeys);

  bool Contains(std::string_view passkey) const;
  std::size_t size() const { return starts_.empty() ? 0 : starts_.size() - 1; }

 private:
  friend Result<PasskeyList> ParsePasskeyList(std::string_view text);

  // Adds a passkey unless listed already; Build must follow the last one.
  void Add(std::string_view passkey);
  void Build();
  std::string_view At(std::uint32_t number) const {
    return std::string_view(bytes_).substr(starts_[number], starts_[number + 1] - starts_[number]);
  }
  // The slot holding `passkey`'s number + 1, or the empty one where it would go.
  std::size_t SlotOf(std::string_view passkey) const;

  std::string bytes_;                  // every passkey, one after another
  std::vector<std::uint32_t> starts_;  // passkey n is bytes_[starts_[n], starts_[n + 1])
  std::vector<std::uint32_t> slots_;   // passkey number + 1; 0: empty. A power of two
};

// The list `text` holds, or an error such as "line 7 "...": character 3, '/', cannot be in a
// passkey".
Result<PasskeyList> ParsePasskeyList(std::string_view text);

}  // namespace shardtrack
