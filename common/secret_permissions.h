// Start-up warnings for files and directories that hold secrets (keys, passkeys) but that any
// user of the machine may read, as a umask of 022 or an old release may have left them: the
// CURVE and UDP secrets, the passkey file, the shards' accounting directory.
#pragma once

#include <string>
#include <string_view>

namespace shardtrack {

// Warns "<label><path> may be read by any user of this machine (mode <m>): <exposure>; chmod
// o-rwx it" when `path` exists and its mode lets others read it. `exposure`: what a reader gains.
void WarnIfOthersMayRead(std::string_view label, const std::string& path,
                         std::string_view exposure);

}  // namespace shardtrack
