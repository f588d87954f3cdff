#include "frontend/access/client_list.h"

#include <algorithm>
#include <iterator>

#include "common/fixed_bytes.h"
#include "common/list_file.h"

namespace shardtrack {
namespace {

constexpr std::size_t kPeerIdBytes = 20;

Result<std::string> DecodePrefix(std::string_view word) {
  std::string prefix;
  for (std::size_t i = 0; i < word.size(); ++i) {
    const char c = word[i];
    if (c < '!' || c > '~') return Error{"character " + Shown(c) + " is not printable: write %XX"};
    if (c != '%') {
      prefix += c;
      continue;
    }
    const int high = i + 2 < word.size() ? HexDigitValue(word[i + 1]) : -1;
    const int low = i + 2 < word.size() ? HexDigitValue(word[i + 2]) : -1;
    if (high < 0 || low < 0) return Error{"% is not followed by two hex digits (%25 is a %)"};
    prefix += static_cast<char>(high << 4 | low);
    i += 2;
  }
  if (prefix.size() > kPeerIdBytes) {
    return Error{"a peer id prefix of " + std::to_string(prefix.size()) +
                 " bytes: a peer id has 20"};
  }
  return prefix;
}

}  // namespace

ClientList::ClientList(std::vector<std::string> prefixes) : prefixes_(std::move(prefixes)) {
  std::sort(prefixes_.begin(), prefixes_.end());
  // Sorted, a prefix comes right before the entries it starts: keep an entry only when the last
  // one kept does not start it.
  std::vector<std::string> kept;
  for (std::string& prefix : prefixes_) {
    if (kept.empty() || !prefix.starts_with(kept.back())) kept.push_back(std::move(prefix));
  }
  prefixes_ = std::move(kept);
}

bool ClientList::Matches(std::string_view peer_id) const {
  auto after = std::upper_bound(
      prefixes_.begin(), prefixes_.end(), peer_id,
      [](std::string_view id, const std::string& prefix) { return id < std::string_view(prefix); });
  return after != prefixes_.begin() && peer_id.starts_with(*std::prev(after));
}

Result<ClientList> ParseClientList(std::string_view text) {
  std::vector<std::string> prefixes;
  Status parsed = ForEachListLine(text, [&prefixes](std::string_view line) -> Status {
    auto prefix = DecodePrefix(FirstWord(line));
    if (!prefix) return Error{prefix.error()};
    prefixes.push_back(std::move(*prefix));
    return OkStatus();
  });
  if (!parsed) return Error{parsed.error()};
  return ClientList(std::move(prefixes));
}

}  // namespace shardtrack
