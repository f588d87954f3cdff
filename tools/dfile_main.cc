// shardtrack-dfile: inspect a data directory, export it to the original tracker's dfile, or
// import one. Wiring only: the work is in shard/persistence/data_dir_tools.h.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/flags.h"
#include "shard/accounting/accounting_file.h"
#include "shard/accounting/baseline_file.h"
#include "shard/persistence/data_dir_tools.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/layout_retirement.h"
#include "shard/seen_time.h"

namespace shardtrack {
namespace {

constexpr char kUsage[] =
    "usage: shardtrack-dfile inspect --data-dir DIR\n"
    "       shardtrack-dfile export --data-dir DIR --out FILE   (bttrack.py dfile; - = stdout)\n"
    "                               [--peer-timeout S]          (peers silent longer are left "
    "out)\n"
    "       shardtrack-dfile import --data-dir DIR --in FILE    (bttrack.py/BitTornado dfile)\n"
    "       shardtrack-dfile retire --data-dir DIR --count N    (remove files of other shard "
    "counts\n"
    "                                                            once all N shards have started\n"
    "                                                            since they ran; exit 3: one has\n"
    "                                                            not, nothing removed: run it "
    "again)\n";

// What `command` needs that was not given ("--data-dir and --out"); empty when nothing is.
std::string Missing(const std::string& command, const std::string& data_dir, const std::string& in,
                    const std::string& out, std::uint32_t count) {
  std::vector<std::string> missing;
  if (data_dir.empty()) missing.push_back("--data-dir");
  if (command == "export" && out.empty()) missing.push_back("--out");
  if (command == "import" && in.empty()) missing.push_back("--in");
  if (command == "retire" && count == 0) missing.push_back("--count (at least 1)");
  std::string text;
  for (const std::string& flag : missing) text += (text.empty() ? "" : " and ") + flag;
  return text;
}

// The usage after what was wrong, on stderr: exit status 2.
int RefuseUse(const std::string& what) {
  std::fprintf(stderr, "shardtrack-dfile: %s\n\n%s", what.c_str(), kUsage);
  return 2;
}

int Inspect(FileOps& ops, const std::string& dir) {
  const DataDirReport report = InspectDataDir(ops, dir);
  if (!report.unlisted.empty()) {
    std::fprintf(stderr, "shardtrack-dfile: %s\n", report.unlisted.c_str());
    return 1;
  }
  for (const FileReport& file : report.files)
    std::printf("%s: %s\n", file.name.c_str(), file.text.c_str());
  std::printf("%s\n", report.merged.c_str());
  return report.ok() ? 0 : 1;
}

// For a pipe or a device, which cannot be synced (WriteWholeFile is for regular files).
Status WriteUnsynced(FileOps& ops, const std::string& path, const std::string& bytes) {
  auto file = ops.OpenWritable(path, FileOps::OpenMode::kTruncate);
  if (!file) return Error{file.error()};
  return (*file)->Append(bytes);
}

// Writes `bytes` beside `path` and renames them over it once synced, so that a failure (a full
// disk) leaves whatever `path` held, such as the original tracker's dfile being rolled back to;
// the new file keeps the old one's owner and mode, for the original tracker to write it again.
// Anything but a regular file at `path` (a symlink, a FIFO, a device) is written in place.
Status ReplaceFile(FileOps& ops, const std::string& path, const std::string& bytes) {
  struct stat old {};
  const bool exists = ::lstat(path.c_str(), &old) == 0;
  if (exists && !S_ISREG(old.st_mode)) return WriteUnsynced(ops, path, bytes);
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  Status written = WriteWholeFile(ops, temp, bytes);
  if (written && exists &&
      (::chown(temp.c_str(), old.st_uid, old.st_gid) != 0 ||
       ::chmod(temp.c_str(), old.st_mode & 07777) != 0)) {
    written = ErrnoError("give the old file's owner and mode to", temp, errno);
  }
  if (written) written = ops.Rename(temp, path);
  if (!written) {
    if (!ops.Remove(temp)) std::fprintf(stderr, "shardtrack-dfile: remove %s\n", temp.c_str());
    return written;
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return ops.SyncDir(dir.empty() ? "." : dir);
}

int Export(FileOps& ops, const std::string& dir, const std::string& out,
           std::int64_t peer_timeout) {
  const UnixSeconds live_since = peer_timeout > 0 ? SystemClock().WallNow() - peer_timeout : 0;
  auto dfile = ExportDfile(ops, dir, live_since);
  if (!dfile) {
    std::fprintf(stderr, "shardtrack-dfile: %s\n", dfile.error().c_str());
    return 1;
  }
  if (out == "-") {
    std::fwrite(dfile->data(), 1, dfile->size(), stdout);
    if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return 0;
    std::fprintf(stderr, "shardtrack-dfile: writing the dfile to standard output failed\n");
    return 1;
  }
  if (Status written = ReplaceFile(ops, out, *dfile); !written) {
    std::fprintf(stderr, "shardtrack-dfile: %s\n", written.error().c_str());
    return 1;
  }
  return 0;
}

int Import(FileOps& ops, const std::string& dir, const std::string& in) {
  auto bytes = ops.ReadFile(in, UINT64_MAX);
  auto summary = bytes ? ImportDfile(ops, dir, *bytes, SystemClock().WallNow())
                       : Result<std::string>(Error{bytes.error()});
  if (!summary) {
    std::fprintf(stderr, "shardtrack-dfile: %s\n", summary.error().c_str());
    return 1;
  }
  std::printf("%s\n", summary->c_str());
  return 0;
}

// Nothing of the old layouts could go yet: a shard of the new one has not started since another
// count ran, or the count is not the one the cluster runs at. Not 0, so that a script can tell;
// not 1 (an error) either: run it again once every shard has started.
constexpr int kRetireWaiting = 3;

// Another count's accounting goes with that count's files, never before them: until this
// layout's shards outrank those files, its credit logs may be all that holds members' transfer
// (after a kill -9), which only a start of this layout's shards finishes.
int RetireAccounting(FileOps& ops, const std::string& dir, std::uint32_t count,
                     const Retirement& retired) {
  auto removed =
      RetireOtherCountBaselines(ops, JoinPath(dir, kAccountingDir), count, retired.counts_kept);
  if (!removed) {
    std::fprintf(stderr, "shardtrack-dfile: %s\n", removed.error().c_str());
    return 1;
  }
  for (const std::string& name : *removed) {
    std::printf("removed %s/%s\n", kAccountingDir, name.c_str());
  }
  for (std::uint32_t kept : retired.counts_kept) {
    std::printf("kept the accounting of %u shards: some of their files stay (above)\n", kept);
  }
  return 0;
}

int Retire(FileOps& ops, const std::string& dir, std::uint32_t count) {
  auto retired = RetireOldLayouts(ops, dir, count);
  if (!retired) {
    std::fprintf(stderr, "shardtrack-dfile: %s\n", retired.error().c_str());
    return 1;
  }
  for (const std::string& name : retired->removed) std::printf("removed %s\n", name.c_str());
  for (const std::string& name : retired->kept) std::printf("kept %s\n", name.c_str());
  if (retired->waiting_for.empty()) return RetireAccounting(ops, dir, count, *retired);
  std::printf("nothing removed: %s\n", retired->waiting_for.c_str());
  for (const std::string& refused : retired->refused_starts) std::printf("%s\n", refused.c_str());
  return kRetireWaiting;
}

int Run(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::string data_dir;
  std::string in;
  std::string out;
  std::uint32_t count = 0;
  std::int64_t peer_timeout = 2700;
  FlagSet flags("shardtrack-dfile " + command, kUsage);
  flags.Add("data-dir", &data_dir, "the cluster's data directory");
  flags.Add("in", &in, "import: the dfile to read");
  flags.Add("out", &out, "export: the dfile to write, - for standard output");
  flags.Add("count", &count, "retire: the shard count the cluster runs at now");
  flags.Add("peer-timeout", &peer_timeout,
            "export: leave out peers silent for longer than this many seconds, as the shards' "
            "--peer-timeout would (0: keep every peer)",
            Between(0, kLongestPeerTimeout, "a week, the longest --peer-timeout"));
  if (command != "inspect" && command != "export" && command != "import" && command != "retire") {
    return RefuseUse(command.empty()            ? "give a command"
                     : command.starts_with("-") ? "the command comes first, then its options"
                                                : "no command '" + command + "'");
  }
  if (auto exit_status = flags.ParseCommandLine(argc - 1, argv + 1)) return *exit_status;
  if (const std::string missing = Missing(command, data_dir, in, out, count); !missing.empty()) {
    return RefuseUse(command + " needs " + missing);
  }
  PosixFileOps ops;
  if (command == "inspect") return Inspect(ops, data_dir);
  if (command == "export") return Export(ops, data_dir, out, peer_timeout);
  if (command == "import") return Import(ops, data_dir, in);
  return Retire(ops, data_dir, count);
}

}  // namespace
}  // namespace shardtrack

int main(int argc, char** argv) { return shardtrack::Run(argc, argv); }
