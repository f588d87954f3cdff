#include "common/list_file.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "common/trim.h"

namespace shardtrack {
namespace {

constexpr std::size_t kQuotedLength = 60;  // how much of a bad line an error shows

std::string Quoted(std::string_view line) {
  return "\"" + Shown(line.substr(0, kQuotedLength)) +
         (line.size() > kQuotedLength ? "...\"" : "\"");
}

std::int64_t Nanoseconds(const timespec& time) {
  return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

// FNV-1a over every regular file's path, inode, size, mtime and ctime, in the walk's order (a
// directory's order is stable while it is unchanged). Unreadable parts are left out (the reader
// that follows fails on them).
std::uint64_t DigestOfFilesUnder(const std::string& directory) {
  std::uint64_t digest = 0xcbf29ce484222325;
  const auto add = [&digest](std::string_view bytes) {
    for (unsigned char c : bytes) digest = (digest ^ c) * 0x100000001b3;
  };
  std::error_code error;
  namespace fs = std::filesystem;
  for (fs::recursive_directory_iterator
           it(directory, fs::directory_options::skip_permission_denied, error),
       end;
       !error && it != end; it.increment(error)) {
    struct stat info {};
    if (::stat(it->path().c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    add(it->path().native());
    const std::int64_t fields[] = {static_cast<std::int64_t>(info.st_ino),
                                   static_cast<std::int64_t>(info.st_size),
                                   Nanoseconds(info.st_mtim), Nanoseconds(info.st_ctim)};
    add({reinterpret_cast<const char*>(fields), sizeof fields});
  }
  return digest;
}

}  // namespace

FileStamp StampOf(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return {};
  FileStamp stamp{true,
                  static_cast<std::uint64_t>(info.st_dev),
                  static_cast<std::uint64_t>(info.st_ino),
                  static_cast<std::int64_t>(info.st_size),
                  Nanoseconds(info.st_mtim),
                  Nanoseconds(info.st_ctim),
                  0};
  if (S_ISDIR(info.st_mode)) stamp.contents = DigestOfFilesUnder(path);
  return stamp;
}

std::string_view FirstWord(std::string_view line) {
  return line.substr(0, line.find_first_of(kWhitespace));
}

Status ForEachListLine(std::string_view text,
                       const std::function<Status(std::string_view line)>& parse_line,
                       ShowBadLine show) {
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    const std::string_view line = Trim(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty() || line.front() == '#') continue;
    if (Status parsed = parse_line(line); !parsed) {
      const std::string shown = show == ShowBadLine::kYes ? " " + Quoted(line) : "";
      return Error{"line " + std::to_string(line_number) + shown + ": " + parsed.error()};
    }
  }
  return OkStatus();
}

std::string Shown(std::string_view text) {
  std::string out;
  for (char c : text) out += Shown(c);
  return out;
}

std::string Shown(char c) {
  if (c >= ' ' && c <= '~') return std::string(1, c);
  char escaped[8];
  std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned char>(c));
  return escaped;
}

}  // namespace shardtrack
