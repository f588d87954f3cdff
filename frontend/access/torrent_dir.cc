#include "frontend/access/torrent_dir.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "common/list_file.h"
#include "common/read_file.h"

namespace shardtrack {
namespace {

constexpr std::string_view kTorrentSuffix = ".torrent";
constexpr std::size_t kBadFilesLogged = 10;  // more are counted, not named

}  // namespace

Result<AccessList> TorrentDirReader::Load(const std::string& directory) {
  namespace fs = std::filesystem;
  const auto unreadable = [&directory](const std::error_code& error) {
    return Error{"cannot read the directory " + directory + ": " + error.message()};
  };
  std::error_code error;
  fs::recursive_directory_iterator it(directory, error);  // a subdirectory denied fails the walk
  if (error) return unreadable(error);

  std::unordered_map<std::string, ReadFile> found;
  std::size_t bad_files = 0;
  // An increment that fails also ends the walk: the error is checked after the loop.
  for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
    const std::string& path = it->path().native();
    std::error_code not_regular;
    if (!path.ends_with(kTorrentSuffix) || !it->is_regular_file(not_regular)) continue;
    found.emplace(path, Read(path, StampOf(path), bad_files));
  }
  if (error) return unreadable(error);  // a part of the walk: the list in force stays
  if (bad_files > kBadFilesLogged) {
    spdlog::warn("{} torrent files in {} left out of the access list in all", bad_files, directory);
  }
  read_ = std::move(found);

  std::vector<InfoHash> hashes;
  std::vector<std::string> names;
  for (const auto& [path, file] : read_) {
    for (const InfoHash& hash : file.identity.info_hashes) {
      hashes.push_back(hash);
      names.push_back(file.identity.name);
    }
  }
  return AccessList(std::move(hashes), std::move(names));
}

TorrentDirReader::ReadFile TorrentDirReader::Read(const std::string& path, const FileStamp& stamp,
                                                  std::size_t& bad_files) {
  // Copied, not moved: a Load that fails later keeps read_ whole for the next.
  if (auto last = read_.find(path); last != read_.end() && last->second.stamp == stamp) {
    if (last->second.identity.info_hashes.empty()) ++bad_files;
    return last->second;
  }
  ReadFile file{stamp, {}};
  const auto left_out = [&](const std::string& why, std::string_view remedy) {
    if (++bad_files <= kBadFilesLogged) {
      spdlog::warn("{} left out of the access list: {}; {}", path, why, remedy);
    }
  };
  if (stamp.size > kMaxTorrentFileBytes) {
    left_out("larger than " + std::to_string(kMaxTorrentFileBytes >> 20) +
                 " MiB, which no torrent file is",
             "replace it with a good torrent file");
    return file;
  }
  auto torrent = ReadWholeFile(path);
  if (!torrent) {  // perhaps for a while (out of descriptors, an I/O error): not remembered
    file.stamp = FileStamp{};
    left_out(torrent.error(),
             "it is read again once it changes (its permissions too), or on SIGHUP");
    return file;
  }
  auto identity = IdentifyTorrent(*torrent);
  if (!identity) {
    left_out(identity.error(), "replace it with a good torrent file");
    return file;
  }
  file.identity = std::move(*identity);
  return file;
}

}  // namespace shardtrack
