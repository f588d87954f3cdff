// The key of the UDP connection ids from --udp-secret-file: the file's contents, without trailing
// whitespace, are a secret that every frontend behind one UDP address is given
// (udp_connection_ids.h). Read once, at start.
#pragma once

#include <string>

#include "common/result.h"
#include "frontend/udp/udp_connection_ids.h"

namespace shardtrack {

// An empty `path`: a random key of this process's own. Errors name the file and how to mend it.
Result<UdpConnectionIds> LoadUdpConnectionIds(const std::string& path);

}  // namespace shardtrack
