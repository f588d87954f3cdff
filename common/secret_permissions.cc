#include "common/secret_permissions.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

namespace shardtrack {

void WarnIfOthersMayRead(std::string_view label, const std::string& path,
                         std::string_view exposure) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0 || (status.st_mode & (S_IROTH | S_IWOTH)) == 0) return;
  const std::string_view may = (status.st_mode & S_IROTH) != 0 ? "read" : "changed";
  spdlog::warn("{}{} may be {} by any user of this machine (mode {:o}): {}; chmod o-rwx it", label,
               path, may, status.st_mode & 0777, exposure);
}

}  // namespace shardtrack
