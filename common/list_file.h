// What the operator's list files (access list, passkeys, client list, CURVE keys) share: their
// text format, and what identifies one version of a file so a reloader can tell a changed file
// without reading it. StampOf and LoadListFile do blocking file I/O: call them at start-up or from
// a background thread, never on a serving loop.
//
// The format: one entry a line, whitespace around a line ignored, blank lines and lines that
// start with '#' skipped. A bad line makes the whole text an error naming its number: a list is
// used whole or not at all.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/read_file.h"
#include "common/result.h"

namespace shardtrack {

// One version of a file: a rewrite changes its size or mtime, a rename over it (the safe way to
// replace a file) its inode. A file that cannot be stat'ed has `exists` false. A directory (the
// access list's torrent files) changes with any file in it or below it.
struct FileStamp {
  bool exists = false;
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;   // changes with the permissions too: a file made readable is read
  std::uint64_t contents = 0;  // a directory: a digest of its files' paths, inodes, sizes, times

  bool operator==(const FileStamp&) const = default;
};

FileStamp StampOf(const std::string& path);

// A line's entry: its first word, the rest of the line being the operator's note.
std::string_view FirstWord(std::string_view line);

// Whether an error shows the bad line: not for a file of secrets, whose log must not hold them.
enum class ShowBadLine { kYes, kNo };

// Calls `parse_line` with each entry's line, trimmed. The first error it returns ends the walk
// and comes back as `line 7 "<the line>": <error>` (kNo: `line 7: <error>`).
Status ForEachListLine(std::string_view text,
                       const std::function<Status(std::string_view line)>& parse_line,
                       ShowBadLine show = ShowBadLine::kYes);

// A character as an error message shows it: itself when printable, else \xNN.
std::string Shown(char c);
// Every character of `text` so.
std::string Shown(std::string_view text);

// The list a file holds, parsed by `parse`, or an error that names the file: "FILE: line 7 ..."
// or "cannot read FILE: No such file or directory".
template <typename List>
Result<List> LoadListFile(const std::string& path, Result<List> (*parse)(std::string_view)) {
  auto text = ReadWholeFile(path);
  if (!text) return Error{text.error()};
  auto list = parse(*text);
  if (!list) return Error{path + ": " + list.error()};
  return list;
}

}  // namespace shardtrack
