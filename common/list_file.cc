#include "common/list_file.h"

#include <sys/stat.h>

#include <cstdio>

namespace shardtrack {
namespace {

constexpr std::string_view kWhitespace = " \t\r\v\f";
constexpr std::size_t kQuotedLength = 60;  // how much of a bad line an error shows

std::string_view Trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kWhitespace) - first + 1);
}

std::string Quoted(std::string_view line) {
  std::string out = "\"";
  for (char c : line.substr(0, kQuotedLength)) out += Shown(c);
  return out + (line.size() > kQuotedLength ? "...\"" : "\"");
}

}  // namespace

FileStamp StampOf(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return {};
  return {true, static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino),
          static_cast<std::int64_t>(info.st_size),
          static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
}

std::string_view FirstWord(std::string_view line) {
  return line.substr(0, line.find_first_of(kWhitespace));
}

Status ForEachListLine(std::string_view text,
                       const std::function<Status(std::string_view line)>& parse_line) {
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    const std::string_view line = Trim(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty() || line.front() == '#') continue;
    if (Status parsed = parse_line(line); !parsed) {
      return Error{"line " + std::to_string(line_number) + " " + Quoted(line) + ": " +
                   parsed.error()};
    }
  }
  return OkStatus();
}

std::string Shown(char c) {
  if (c >= ' ' && c <= '~') return std::string(1, c);
  char escaped[8];
  std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned char>(c));
  return escaped;
}

}  // namespace shardtrack
