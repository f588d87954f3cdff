#include "frontend/access/passkey_list.h"

#include <algorithm>

#include "frontend/access/list_file.h"

namespace shardtrack {
namespace {

constexpr std::string_view kWhitespace = " \t\r\v\f";

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

PasskeyList::PasskeyList(std::vector<std::string> passkeys)
    : passkeys_(std::make_move_iterator(passkeys.begin()),
                std::make_move_iterator(passkeys.end())) {}

Result<PasskeyList> ParsePasskeyList(std::string_view text) {
  std::vector<std::string> passkeys;
  Status parsed = ForEachListLine(text, [&passkeys](std::string_view line) -> Status {
    const std::string_view passkey = line.substr(0, line.find_first_of(kWhitespace));
    if (Status checked = CheckPasskey(passkey); !checked) return checked;
    passkeys.emplace_back(passkey);
    return OkStatus();
  });
  if (!parsed) return Error{parsed.error()};
  return PasskeyList(std::move(passkeys));
}

}  // namespace shardtrack
