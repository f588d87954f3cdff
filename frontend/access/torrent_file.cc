#include "frontend/access/torrent_file.h"

#include <optional>
#include <string>

#include "common/sha1.h"
#include "common/sha256.h"

namespace shardtrack {
namespace {

constexpr int kMaxNesting = 64;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads bencoded values from `text`, checking their structure but not their order or form.
class BencodeScanner {
 public:
  explicit BencodeScanner(std::string_view text) : text_(text) {}

  std::size_t position() const { return position_; }
  // Whether a string comes next.
  bool PeekString() const { return position_ < text_.size() && IsDigit(text_[position_]); }
  bool AtEnd() const { return position_ == text_.size(); }
  bool Consume(char c) {
    if (position_ >= text_.size() || text_[position_] != c) return false;
    ++position_;
    return true;
  }

  std::optional<std::string_view> String() {
    std::size_t length = 0;
    const std::size_t start = position_;
    while (position_ < text_.size() && IsDigit(text_[position_])) {
      if (position_ - start > 12) return std::nullopt;
      length = length * 10 + static_cast<std::size_t>(text_[position_++] - '0');
    }
    if (position_ == start || !Consume(':') || text_.size() - position_ < length) {
      return std::nullopt;
    }
    position_ += length;
    return text_.substr(position_ - length, length);
  }

  std::optional<std::int64_t> Int() {
    if (!Consume('i')) return std::nullopt;
    const bool negative = Consume('-');
    const std::size_t start = position_;
    std::int64_t value = 0;
    while (position_ < text_.size() && IsDigit(text_[position_])) {
      if (position_ - start > 17) return std::nullopt;
      value = value * 10 + (text_[position_++] - '0');
    }
    if (position_ == start || !Consume('e')) return std::nullopt;
    return negative ? -value : value;
  }

  // Steps over one value of any kind.
  bool Skip(int depth = 0) {
    if (depth > kMaxNesting || position_ >= text_.size()) return false;
    const char kind = text_[position_];
    if (kind == 'i') return Int().has_value();
    if (IsDigit(kind)) return String().has_value();
    if (kind != 'l' && kind != 'd') return false;
    ++position_;
    while (!Consume('e')) {
      if (kind == 'd' && !String()) return false;
      if (!Skip(depth + 1)) return false;
    }
    return true;
  }

 private:
  std::string_view text_;
  std::size_t position_ = 0;
};

// Calls `on_entry(key, scanner)` for each entry of the dictionary at the scanner's position;
// `on_entry` must step over the value. False when the bencoding is bad.
template <typename OnEntry>
bool ForEachDictEntry(BencodeScanner& scanner, OnEntry&& on_entry) {
  if (!scanner.Consume('d')) return false;
  while (!scanner.Consume('e')) {
    const auto key = scanner.String();
    if (!key || !on_entry(*key, scanner)) return false;
  }
  return true;
}

// `text` cut to at most `limit` bytes, not inside a UTF-8 character.
std::string CutAtCharacter(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

Error BadBencoding(const BencodeScanner& scanner) {
  return Error{"bad bencoding at byte " + std::to_string(scanner.position())};
}

}  // namespace

Result<TorrentIdentity> IdentifyTorrent(std::string_view torrent) {
  BencodeScanner file(torrent);
  std::optional<std::string_view> info;
  const bool read = ForEachDictEntry(file, [&](std::string_view key, BencodeScanner& scanner) {
    const std::size_t start = scanner.position();
    if (!scanner.Skip()) return false;
    if (key == "info") info = torrent.substr(start, scanner.position() - start);
    return true;
  });
  if (!read || !file.AtEnd()) return BadBencoding(file);
  if (!info) return Error{"no info dictionary"};

  TorrentIdentity identity;
  bool has_v1_pieces = false;
  std::int64_t meta_version = 1;
  BencodeScanner fields(*info);
  const bool is_dict = ForEachDictEntry(fields, [&](std::string_view key, BencodeScanner& scanner) {
    if (key == "pieces") has_v1_pieces = true;
    if (key == "name" && scanner.PeekString()) {
      const auto name = scanner.String();
      if (name) identity.name = CutAtCharacter(*name, kMaxTorrentNameBytes);
      return name.has_value();
    }
    if (key != "meta version") return scanner.Skip();
    const auto version = scanner.Int();
    if (version) meta_version = *version;
    return version.has_value();
  });
  if (!is_dict) return Error{"the info value is not a dictionary"};
  if (meta_version != 1 && meta_version != 2) {
    return Error{"meta version " + std::to_string(meta_version) + " is not 1 or 2"};
  }

  std::vector<InfoHash>& hashes = identity.info_hashes;
  if (meta_version != 2 || has_v1_pieces) hashes.push_back(Sha1(*info));
  if (meta_version == 2) {
    hashes.push_back(*InfoHash::FromRaw(Sha256(*info).view().substr(0, InfoHash::kSize)));
  }
  return identity;
}

}  // namespace shardtrack
