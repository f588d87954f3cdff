#include "frontend/access/access_list.h"

#include <algorithm>
#include <optional>
#include <string>

#include "common/list_file.h"

namespace shardtrack {
namespace {

constexpr std::string_view kMagnetPrefix = "magnet:?";
constexpr std::string_view kBtihPrefix = "xt=urn:btih:";
constexpr std::string_view kBtmhPrefix = "xt=urn:btmh:";
constexpr std::string_view kSha256Multihash = "1220";   // BEP 52's btmh: SHA-256, 32 bytes
constexpr std::size_t kV1Digits = 2 * InfoHash::kSize;  // SHA-1, the infohash itself
constexpr std::size_t kV2Digits = 64;                   // SHA-256, cut to its first 20 bytes
constexpr std::size_t kBase32Digits = 32;               // a btih in base32 (BEP 9): 20 bytes

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b);
         });
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

// RFC 4648's alphabet, either case: A-Z are 0-25, 2-7 are 26-31.
int Base32DigitValue(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

Result<InfoHash> InfoHashFromBase32(std::string_view digits) {
  InfoHash out;
  std::uint32_t pending = 0;  // bits read and not yet written
  int pending_bits = 0;
  std::size_t next = 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const int value = Base32DigitValue(digits[i]);
    if (value < 0) {
      return Error{"character " + std::to_string(i + 1) + " of the base32 infohash, '" +
                   Shown(digits[i]) + "', is not base32 (A-Z, 2-7)"};
    }
    pending = (pending << 5) | static_cast<std::uint32_t>(value);
    pending_bits += 5;
    if (pending_bits >= 8) {
      pending_bits -= 8;
      out.bytes[next++] = static_cast<std::uint8_t>(pending >> pending_bits);
    }
  }
  return out;
}

// A magnet's xt=urn:btih: value: 40 hex digits, or 32 base32 characters.
Result<InfoHash> InfoHashFromBtih(std::string_view value) {
  if (value.size() == kBase32Digits) return InfoHashFromBase32(value);
  if (value.size() != kV1Digits) {
    return Error{"expected 40 hex digits or 32 base32 characters after xt=urn:btih:, found " +
                 std::to_string(value.size()) + " characters"};
  }
  return InfoHashFromHex(value);
}

// A magnet's xt=urn:btmh: value (a v2 torrent's): 1220, then the SHA-256 in 64 hex digits.
Result<InfoHash> InfoHashFromBtmh(std::string_view value) {
  if (!value.starts_with(kSha256Multihash) || value.size() != kSha256Multihash.size() + kV2Digits) {
    return Error{"expected 1220 and 64 hex digits after xt=urn:btmh: (a SHA-256 multihash)"};
  }
  return InfoHashFromHex(value.substr(kSha256Multihash.size()));
}

// Every infohash a magnet URI names: a hybrid torrent's names its v1 and its v2 one, and clients
// announce under both.
Status ParseMagnet(std::string_view parameters, std::vector<InfoHash>& out) {
  const std::size_t before = out.size();
  while (!parameters.empty()) {
    const std::size_t end = parameters.find('&');
    const std::string_view parameter = parameters.substr(0, end);
    std::optional<Result<InfoHash>> hash;  // none: a parameter naming no infohash
    if (StartsWithIgnoringCase(parameter, kBtihPrefix)) {
      hash = InfoHashFromBtih(parameter.substr(kBtihPrefix.size()));
    } else if (StartsWithIgnoringCase(parameter, kBtmhPrefix)) {
      hash = InfoHashFromBtmh(parameter.substr(kBtmhPrefix.size()));
    }
    if (hash && !*hash) return Error{hash->error()};
    if (hash) out.push_back(**hash);
    if (end == std::string_view::npos) break;
    parameters.remove_prefix(end + 1);
  }
  if (out.size() > before) return OkStatus();
  return Error{
      "a magnet URI without xt=urn:btih:<40 hex digits> or xt=urn:btmh:1220<64 hex digits>"};
}

// A line's infohashes: the line itself in hex, or a magnet URI's.
Status ParseLine(std::string_view line, std::vector<InfoHash>& out) {
  if (StartsWithIgnoringCase(line, kMagnetPrefix)) {
    return ParseMagnet(line.substr(kMagnetPrefix.size()), out);
  }
  auto hash = InfoHashFromHex(line);
  if (!hash) return Error{hash.error()};
  out.push_back(*hash);
  return OkStatus();
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
  Status parsed = ForEachListLine(
      text, [&hashes](std::string_view line) -> Status { return ParseLine(line, hashes); });
  if (!parsed) return Error{parsed.error()};
  return AccessList(std::move(hashes));
}

}  // namespace shardtrack
