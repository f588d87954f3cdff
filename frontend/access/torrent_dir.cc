#include "frontend/access/torrent_dir.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>
#include <vector>

#include "common/read_file.h"
#include "frontend/access/torrent_file.h"

namespace shardtrack {
namespace {

constexpr std::string_view kTorrentSuffix = ".torrent";
constexpr std::size_t kBadFilesLogged = 10;  // more are counted, not named

bool IsTorrentFile(const std::filesystem::directory_entry& entry) {
  std::error_code error;
  return entry.path().native().ends_with(kTorrentSuffix) && entry.is_regular_file(error);
}

}  // namespace

Result<AccessList> LoadTorrentDir(const std::string& directory) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::recursive_directory_iterator it(directory, fs::directory_options::skip_permission_denied,
                                      error);
  if (error) return Error{"cannot read the directory " + directory + ": " + error.message()};

  std::vector<InfoHash> hashes;
  std::size_t bad_files = 0;
  for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) return Error{"cannot read the directory " + directory + ": " + error.message()};
    if (!IsTorrentFile(*it)) continue;
    auto torrent = ReadWholeFile(it->path().native());
    auto found = torrent ? InfoHashesOfTorrent(*torrent)
                         : Result<std::vector<InfoHash>>(Error{torrent.error()});
    if (found) {
      hashes.insert(hashes.end(), found->begin(), found->end());
    } else if (++bad_files <= kBadFilesLogged) {
      spdlog::warn("{} left out of the access list: {}; replace it with a good torrent file",
                   it->path().native(), found.error());
    }
  }
  if (bad_files > kBadFilesLogged) {
    spdlog::warn("{} torrent files in {} left out of the access list in all", bad_files, directory);
  }
  return AccessList(std::move(hashes));
}

}  // namespace shardtrack
