#include "frontend/access/passkey_access.h"

#include <utility>

namespace shardtrack {

std::string_view PasskeyAccess::Admit(std::string_view passkey) {
  if (!enabled_) return {};
  if (passkey.empty()) {
    ++counters_.refused_missing;
    return kPasskeyMissingReason;
  }
  if (!list_.Contains(passkey)) {
    ++counters_.refused_unknown;
    return kPasskeyUnknownReason;
  }
  return {};
}

void PasskeyAccess::Replace(PasskeyList list) {
  list_ = std::move(list);
  ++counters_.reloads_ok;
}

PasskeyPath SplitPasskeyPath(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == 0 || slash == std::string_view::npos || path.find('/', 1) != slash) {
    return {path, {}};
  }
  const std::string_view route = path.substr(slash);
  if (route != "/announce" && route != "/scrape") return {path, {}};
  return {route, path.substr(1, slash - 1)};
}

}  // namespace shardtrack
