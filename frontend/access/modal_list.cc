#include "frontend/access/modal_list.h"

namespace shardtrack {

std::optional<AccessMode> ParseAccessMode(std::string_view text) {
  if (text == "allow") return AccessMode::kAllow;
  if (text == "deny") return AccessMode::kDeny;
  return std::nullopt;
}

}  // namespace shardtrack
