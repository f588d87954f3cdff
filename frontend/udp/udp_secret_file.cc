#include "frontend/udp/udp_secret_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace shardtrack {

Result<UdpConnectionIds> LoadUdpConnectionIds(const std::string& path) {
  if (path.empty()) return UdpConnectionIds::WithRandomSecret();
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) {
    return Error{"--udp-secret-file " + path + ": cannot read it: " + std::strerror(errno)};
  }
  std::string secret((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  secret.erase(secret.find_last_not_of(" \t\r\n") + 1);  // npos + 1 == 0: all blank
  auto ids = UdpConnectionIds::FromSharedSecret(secret);
  if (!ids.ok()) {
    return Error{"--udp-secret-file " + path + ": " + ids.error() +
                 " (make one with: head -c 32 /dev/urandom | base64 > " + path + ")"};
  }
  return ids;
}

}  // namespace shardtrack
