#include "frontend/udp/udp_secret_file.h"

#include "common/read_file.h"

namespace shardtrack {

Result<UdpConnectionIds> LoadUdpConnectionIds(const std::string& path) {
  if (path.empty()) return UdpConnectionIds::WithRandomSecret();
  auto contents = ReadWholeFile(path);
  if (!contents) return Error{"--udp-secret-file: " + contents.error()};
  std::string& secret = *contents;
  secret.erase(secret.find_last_not_of(" \t\r\n") + 1);  // npos + 1 == 0: all blank
  auto ids = UdpConnectionIds::FromSharedSecret(secret);
  if (!ids.ok()) {
    return Error{"--udp-secret-file " + path + ": " + ids.error() +
                 " (make one with: (umask 077; head -c 32 /dev/urandom | base64 > " + path + "))"};
  }
  return ids;
}

}  // namespace shardtrack
