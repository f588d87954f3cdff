#include "frontend/access/passkey_access.h"

namespace shardtrack {

std::string_view PasskeyAccess::Admit(std::string_view passkey) {
  if (!enabled()) return {};
  if (passkey.empty()) {
    ++counters_.refused_missing;
    return kPasskeyMissingReason;
  }
  if (!list().Contains(passkey)) {
    ++counters_.refused_unknown;
    return kPasskeyUnknownReason;
  }
  return {};
}

}  // namespace shardtrack
