#include "frontend/access/access_list.h"

#include <algorithm>
#include <string>

#include "common/list_file.h"

namespace shardtrack {
namespace {

constexpr std::string_view kMagnetPrefix = "magnet:?";
constexpr std::string_view kBtihPrefix = "xt=urn:btih:";
constexpr std::size_t kV1Digits = 2 * InfoHash::kSize;  // SHA-1, the infohash itself
constexpr std::size_t kV2Digits = 64;                   // SHA-256, cut to its first 20 bytes

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b);
         });
}

// The hex digits a line gives: the line itself, or a magnet URI's btih parameter.
Result<std::string_view> HexDigitsOf(std::string_view line) {
  if (!StartsWithIgnoringCase(line, kMagnetPrefix)) return line;
  std::string_view parameters = line.substr(kMagnetPrefix.size());
  while (!parameters.empty()) {
    const std::size_t end = parameters.find('&');
    const std::string_view parameter = parameters.substr(0, end);
    if (StartsWithIgnoringCase(parameter, kBtihPrefix)) return parameter.substr(kBtihPrefix.size());
    if (end == std::string_view::npos) break;
    parameters.remove_prefix(end + 1);
  }
  return Error{"a magnet URI without xt=urn:btih:<40 hex digits>"};
}

Result<InfoHash> InfoHashFromHex(std::string_view digits) {
  if (digits.size() != kV1Digits && digits.size() != kV2Digits) {
    return Error{"expected an infohash of 40 hex digits (64 for a v2 torrent), found " +
                 std::to_string(digits.size()) + " characters"};
  }
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (HexDigitValue(digits[i]) < 0) {
      return Error{"character " + std::to_string(i + 1) + " of the infohash, '" + Shown(digits[i]) +
                   "', is not a hex digit"};
    }
  }
  return *InfoHash::FromHex(digits.substr(0, kV1Digits));
}

Result<InfoHash> ParseLine(std::string_view line) {
  auto digits = HexDigitsOf(line);
  if (!digits) return Error{digits.error()};
  return InfoHashFromHex(*digits);
}

}  // namespace

AccessList::AccessList(std::vector<InfoHash> hashes) : sorted_(std::move(hashes)) {
  std::sort(sorted_.begin(), sorted_.end());
  sorted_.erase(std::unique(sorted_.begin(), sorted_.end()), sorted_.end());
  if (sorted_.capacity() - sorted_.size() > sorted_.size() / 4) sorted_.shrink_to_fit();
  IndexPrefixes();
}

AccessList::AccessList(std::vector<InfoHash> hashes, std::vector<std::string> names) {
  std::vector<std::size_t> order(hashes.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&hashes](std::size_t a, std::size_t b) { return hashes[a] < hashes[b]; });
  for (std::size_t i : order) {
    if (!sorted_.empty() && sorted_.back() == hashes[i]) continue;
    sorted_.push_back(hashes[i]);
    longest_name_ = std::max(longest_name_, names[i].size());
    names_.push_back(std::move(names[i]));
  }
  IndexPrefixes();
}

void AccessList::IndexPrefixes() {
  if (sorted_.empty()) return;
  prefix_start_.assign((std::size_t{1} << 16) + 1, 0);
  for (const InfoHash& hash : sorted_) ++prefix_start_[PrefixOf(hash) + 1];
  for (std::size_t p = 1; p < prefix_start_.size(); ++p) prefix_start_[p] += prefix_start_[p - 1];
}

std::optional<std::size_t> AccessList::Find(const InfoHash& info_hash) const {
  if (sorted_.empty()) return std::nullopt;
  const std::size_t prefix = PrefixOf(info_hash);
  const auto end = sorted_.begin() + prefix_start_[prefix + 1];
  const auto found = std::lower_bound(sorted_.begin() + prefix_start_[prefix], end, info_hash);
  if (found == end || *found != info_hash) return std::nullopt;
  return static_cast<std::size_t>(found - sorted_.begin());
}

std::string_view AccessList::NameOf(const InfoHash& info_hash) const {
  if (!named()) return {};
  const auto index = Find(info_hash);
  return index ? std::string_view(names_[*index]) : std::string_view();
}

Result<AccessList> ParseAccessList(std::string_view text) {
  std::vector<InfoHash> hashes;
  hashes.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  Status parsed = ForEachListLine(text, [&hashes](std::string_view line) -> Status {
    auto info_hash = ParseLine(line);
    if (!info_hash) return Error{info_hash.error()};
    hashes.push_back(*info_hash);
    return OkStatus();
  });
  if (!parsed) return Error{parsed.error()};
  return AccessList(std::move(hashes));
}

}  // namespace shardtrack
