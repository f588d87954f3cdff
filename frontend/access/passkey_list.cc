#include "frontend/access/passkey_list.h"

#include <algorithm>
#include <bit>
#include <functional>

#include "common/list_file.h"

namespace shardtrack {
namespace {

Status CheckPasskey(std::string_view passkey) {
  if (passkey.size() > kMaxPasskeyLength) {
    return Error{"a passkey is at most " + std::to_string(kMaxPasskeyLength) +
                 " characters, this one " + std::to_string(passkey.size())};
  }
  const auto bad = std::find_if_not(passkey.begin(), passkey.end(), IsPasskeyCharacter);
  if (bad != passkey.end()) {
    return Error{"character " + std::to_string(bad - passkey.begin() + 1) + ", '" + Shown(*bad) +
                 "', cannot be in a passkey (A-Z a-z 0-9 - . _ ~)"};
  }
  return OkStatus();
}

}  // namespace

PasskeyList::PasskeyList(const std::vector<std::string>& passkeys) {
  for (const std::string& passkey : passkeys) Add(passkey);
  Build();
}

void PasskeyList::Add(std::string_view passkey) {
  if (starts_.empty()) starts_.push_back(0);
  bytes_.append(passkey);
  starts_.push_back(static_cast<std::uint32_t>(bytes_.size()));
}

// Lays the passkeys added out again without repeats, numbering each in the table.
void PasskeyList::Build() {
  const std::string added_bytes = std::move(bytes_);
  const std::vector<std::uint32_t> added_starts = std::move(starts_);
  const std::size_t added = added_starts.empty() ? 0 : added_starts.size() - 1;
  bytes_.clear();
  bytes_.reserve(added_bytes.size());
  starts_.assign(1, 0);
  starts_.reserve(added + 1);
  slots_.assign(std::bit_ceil(std::max<std::size_t>(2 * added, 2)), 0);
  for (std::size_t n = 0; n < added; ++n) {
    const std::string_view passkey =
        std::string_view(added_bytes)
            .substr(added_starts[n], added_starts[n + 1] - added_starts[n]);
    std::uint32_t& slot = slots_[SlotOf(passkey)];
    if (slot != 0) continue;  // listed twice
    bytes_.append(passkey);
    starts_.push_back(static_cast<std::uint32_t>(bytes_.size()));
    slot = static_cast<std::uint32_t>(starts_.size() - 1);  // its number + 1
  }
  bytes_.shrink_to_fit();
}

std::size_t PasskeyList::SlotOf(std::string_view passkey) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t slot = std::hash<std::string_view>{}(passkey)&mask;; slot = (slot + 1) & mask) {
    if (slots_[slot] == 0 || At(slots_[slot] - 1) == passkey) return slot;
  }
}

bool PasskeyList::Contains(std::string_view passkey) const {
  return !slots_.empty() && slots_[SlotOf(passkey)] != 0;
}

Result<PasskeyList> ParsePasskeyList(std::string_view text) {
  PasskeyList list;
  // A passkey is a member's secret: an error names the line, never shows it (logs get mailed).
  Status parsed = ForEachListLine(
      text,
      [&list](std::string_view line) -> Status {
        const std::string_view passkey = FirstWord(line);
        if (Status checked = CheckPasskey(passkey); !checked) return checked;
        list.Add(passkey);
        return OkStatus();
      },
      ShowBadLine::kNo);
  if (!parsed) return Error{parsed.error()};
  // Most likely a site's export that failed half-way: reloaded, it would lock every member out.
  if (list.size() == 0) {
    return Error{"lists no passkey, which would refuse every member (a failed export?)"};
  }
  list.Build();
  return list;
}

}  // namespace shardtrack
