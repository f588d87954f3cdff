// ClientList: the BitTorrent clients an operator's client file names, by the start of the peer
// ids they send (Azureus-style "-qB4", "-TR3", Shadow-style "M7-"): the client whitelists of
// private trackers and the block lists public ones keep for clients that cheat or misbehave.
//
// The text holds one prefix a line (list_file.h's format): its first word, 1 to 20 bytes, with
// %XX for a byte that is not printable ASCII (or for '%' itself); anything after the word is
// the operator's note. A bad line makes the whole text an error naming its number.
//
// Held sorted with every prefix that a shorter listed one covers dropped, so no listed prefix
// starts another and the only candidate for a peer id is the greatest prefix not above it: one
// binary search, no allocation per lookup. Pure value type.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace shardtrack {

class ClientList {
 public:
  ClientList() = default;  // lists no client
  explicit ClientList(std::vector<std::string> prefixes);

  // Whether `peer_id` starts with a listed prefix.
  bool Matches(std::string_view peer_id) const;
  std::size_t size() const { return prefixes_.size(); }

 private:
  std::vector<std::string> prefixes_;  // sorted; none starts another
};

// The list `text` holds, or an error such as `line 3 "-XL%2": %2 is not followed by two hex
// digits`.
Result<ClientList> ParseClientList(std::string_view text);

}  // namespace shardtrack
