// LoadShardState and LoadAllState (shard/persistence/state_loader.h) over a data directory
// written from the input, held by an in-memory FileOps (MemoryFileOps below).
//
// Input: opts:u8, then up to 8 files, each: tag:u8 len:u16le chunks[len]
//   tag bits 0-2: which file: 0 shard-0-of-1.snapshot, 1 .snapshot.prev, 2 .journal,
//     3 .journal.prev, 4 shard-0-of-2.snapshot, 5 shard-0-of-2.journal, 6 shard-1-of-2.snapshot,
//     7 shard-1-of-2.journal
//   tag bit 3: raw (chunks are the file as is), else built: a preamble, a header record naming
//     the file's own shard, then the chunks of built_frames.h
//   tag bits 4-6: the header's generation
// opts bit 0: --on-corrupt=quarantine (else refuse); bit 1: load as shard 0 of 2 (else 0 of 1);
//   bit 2 (with bit 1): shard 1 of 2.
//
// Checks: a loaded state's torrents are sorted and distinct, none empty, each owned by the
// loading shard and spoken for by a set it lists as read, each with one peer per endpoint
// (LoadAllState's too). Under refuse: no file is
// touched, and loading again through reads of a few bytes each gives the same state or error.
// Under quarantine: files only move, each to `<name>.corrupt-<now>[-n]` with its bytes, no more
// of them than were counted as quarantined; the journals left to set aside are still in place;
// loading again gives the same torrents.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/routing.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/journal_file.h"
#include "shard/persistence/record_codec.h"
#include "shard/persistence/record_framing.h"
#include "shard/persistence/snapshot_file.h"
#include "shard/persistence/state_loader.h"
#include "tests/fuzz/built_frames.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/memory_file.h"

namespace shardtrack {
namespace {

constexpr std::string_view kDataDir = "/data";
constexpr UnixSeconds kNow = 1700000001;
using Files = std::map<std::string, std::string>;  // path -> bytes

// A data directory in memory (PosixFileOps' reads resize their buffer to a 1 MiB chunk each,
// which under ASan ran this target at 6 executions a second). It does what the loader does:
// reads, lists and renames; writing, linking and removing are refused.
class MemoryFileOps final : public FileOps {
 public:
  MemoryFileOps(Files files, std::uint32_t dribble_seed)
      : files_(std::move(files)), dribble_seed_(dribble_seed) {}
  const Files& files() const { return files_; }

  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path, OpenMode) override {
    return Error{"open " + path + ": the loader does not write"};
  }
  Status Rename(const std::string& from, const std::string& to) override {
    auto it = files_.find(from);
    if (it == files_.end()) return Error{"rename " + from + ": No such file"};
    std::string bytes = std::move(it->second);
    files_.erase(it);
    files_[to] = std::move(bytes);
    return OkStatus();
  }
  Status Link(const std::string& from, const std::string&) override {
    return Error{"link " + from + ": the loader does not link"};
  }
  Status SyncDir(const std::string&) override { return OkStatus(); }
  Status Remove(const std::string& path) override {
    return Error{"remove " + path + ": the loader does not remove"};
  }
  Result<std::unique_ptr<UnlinkedFile>> Unlink(const std::string& path) override {
    return Error{"unlink " + path + ": the loader does not remove"};
  }
  bool Exists(const std::string& path) override { return files_.contains(path); }
  Result<std::string> ReadFile(const std::string& path, std::uint64_t max_bytes) override {
    auto it = files_.find(path);
    if (it == files_.end()) return Error{"open " + path + ": No such file"};
    return it->second.substr(0, std::min<std::uint64_t>(max_bytes, it->second.size()));
  }
  Result<std::unique_ptr<SequentialFile>> OpenSequential(const std::string& path) override {
    auto it = files_.find(path);
    if (it == files_.end()) return Error{"open " + path + ": No such file"};
    return std::unique_ptr<SequentialFile>(
        std::make_unique<MemoryFile>(it->second, path, dribble_seed_));
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    std::vector<std::string> names;
    for (const auto& [path, bytes] : files_) {
      if (path.starts_with(dir + "/")) names.push_back(path.substr(dir.size() + 1));
    }
    return names;
  }
  Status CreateDir(const std::string&) override { return OkStatus(); }

 private:
  Files files_;
  std::uint32_t dribble_seed_;  // 0: whole reads
};

struct FileSpec {
  const char* name;
  std::uint32_t index, count;
  bool journal;
};
constexpr FileSpec kFileSpecs[8] = {
    {"shard-0-of-1.snapshot", 0, 1, false}, {"shard-0-of-1.snapshot.prev", 0, 1, false},
    {"shard-0-of-1.journal", 0, 1, true},   {"shard-0-of-1.journal.prev", 0, 1, true},
    {"shard-0-of-2.snapshot", 0, 2, false}, {"shard-0-of-2.journal", 0, 2, true},
    {"shard-1-of-2.snapshot", 1, 2, false}, {"shard-1-of-2.journal", 1, 2, true},
};

std::string BuiltFile(const FileSpec& spec, std::uint64_t generation, std::string_view chunks) {
  std::string file;
  AppendPreamble(file, spec.journal ? kJournalMagic : kSnapshotMagic,
                 spec.journal ? kJournalVersion : kSnapshotVersion);
  const FileHeader header{spec.index, spec.count, generation, 1700000000};
  AppendFrame(file, spec.journal ? RecordType::kJournalHeader : RecordType::kSnapshotHeader,
              EncodeFileHeader(header));
  AppendBuiltFrames(chunks, file, 0, 0);
  return file;
}

Files FilesFrom(std::string_view in) {
  Files files;
  for (int n = 0; n < 8 && in.size() >= 3; ++n) {
    const std::uint8_t tag = in[0];
    const std::size_t len = static_cast<std::uint8_t>(in[1]) |
                            static_cast<std::size_t>(static_cast<std::uint8_t>(in[2])) << 8;
    const std::string_view chunks = in.substr(3, len);
    in.remove_prefix(3 + chunks.size());
    const FileSpec& spec = kFileSpecs[tag & 7];
    files[std::string(kDataDir) + "/" + spec.name] =
        (tag & 8) ? std::string(chunks) : BuiltFile(spec, (tag >> 4) & 7, chunks);
  }
  return files;
}

LoadOptions OptionsFrom(std::uint8_t opts) {
  LoadOptions options;
  options.data_dir = kDataDir;
  options.count = (opts & 2) ? 2 : 1;
  options.index = (opts & 2) && (opts & 4) ? 1 : 0;
  options.on_corrupt = (opts & 1) ? OnCorrupt::kQuarantine : OnCorrupt::kRefuse;
  options.now = kNow;
  return options;
}

void CheckPeersOnePerEndpoint(const TorrentRecord& torrent) {
  std::set<std::pair<std::string, std::uint16_t>> endpoints;
  for (const auto& peer : torrent.peers) {
    FUZZ_CHECK(endpoints.emplace(std::string(peer.ip.raw()), peer.port).second);
  }
}

// `index` of `count`: the shard whose torrents these are.
void CheckTorrents(const LoadedState& state, std::uint32_t index, std::uint32_t count) {
  const auto& torrents = state.torrents;
  for (std::size_t i = 0; i < torrents.size(); ++i) {
    if (i > 0) FUZZ_CHECK(torrents[i - 1].info_hash < torrents[i].info_hash);
    FUZZ_CHECK(torrents[i].completed != 0 || !torrents[i].peers.empty());
    FUZZ_CHECK(ShardFor(torrents[i].info_hash, count) == index);
    FUZZ_CHECK(SpeakerFor(state.sets, torrents[i].info_hash) != nullptr);  // a set held it
    CheckPeersOnePerEndpoint(torrents[i]);
  }
  for (const FileSet& set : state.sets) FUZZ_CHECK(set.generation <= state.max_generation);
}

bool SameState(const LoadedState& a, const LoadedState& b) {
  return a.torrents == b.torrents && a.max_generation == b.max_generation &&
         a.torn_tail_bytes == b.torn_tail_bytes && a.sets == b.sets;
}

std::string Describe(const Result<LoadedState>& loaded) {
  return loaded ? loaded->Summary() : loaded.error();
}

// Under refuse: the files as they were, and the same outcome read a few bytes at a time.
void CheckRefused(const Files& files, const MemoryFileOps& ops, const LoadOptions& options,
                  const Result<LoadedState>& loaded, std::uint8_t opts) {
  FUZZ_CHECK(ops.files() == files);
  MemoryFileOps dribbled(files, opts | 1);
  auto again = LoadShardState(dribbled, options);
  if (loaded.ok() != again.ok() || (loaded && !SameState(*loaded, *again)) ||
      (!loaded && loaded.error() != again.error())) {
    std::fprintf(stderr, "whole reads: %s\ndribbled reads: %s\n", Describe(loaded).c_str(),
                 Describe(again).c_str());
    std::abort();
  }
}

// The file `moved_to` was moved to ("<path>.corrupt-<now>" or that and "-<n>"), or "".
std::string MovedFrom(const std::string& moved_to) {
  const std::string mark = ".corrupt-" + std::to_string(kNow);
  const auto at = moved_to.rfind(mark);
  if (at == std::string::npos) return "";
  const std::string_view rest = std::string_view(moved_to).substr(at + mark.size());
  if (!rest.empty() && !rest.starts_with('-')) return "";
  return moved_to.substr(0, at);
}

// Under quarantine: every file is where it was, or moved aside whole and counted.
void CheckQuarantined(const Files& before, const Files& after, const LoadedState& state) {
  std::size_t moved = 0;
  for (const auto& [path, bytes] : after) {
    if (before.contains(path)) {
      FUZZ_CHECK(before.at(path) == bytes);
      continue;
    }
    const std::string from = MovedFrom(path);
    FUZZ_CHECK(before.contains(from) && !after.contains(from) && before.at(from) == bytes);
    ++moved;
  }
  FUZZ_CHECK(before.size() == after.size());  // so each file gone was moved
  FUZZ_CHECK(moved <= state.quarantined);
  for (const auto& later : state.set_aside_later) FUZZ_CHECK(after.contains(later.path));
}

void CheckLoadAll(const Files& files) {
  MemoryFileOps ops(files, 0);
  auto all = LoadAllState(ops, std::string(kDataDir));
  if (all) CheckTorrents(*all, 0, 1);
  FUZZ_CHECK(ops.files() == files);  // it refuses corrupt files: nothing moves
}

}  // namespace
}  // namespace shardtrack

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace shardtrack;
  if (size < 1) return 0;
  const std::uint8_t opts = bytes[0];
  const Files files = FilesFrom({reinterpret_cast<const char*>(bytes) + 1, size - 1});
  const LoadOptions options = OptionsFrom(opts);
  MemoryFileOps ops(files, 0);
  auto loaded = LoadShardState(ops, options);
  if (loaded) CheckTorrents(*loaded, options.index, options.count);
  if (options.on_corrupt == OnCorrupt::kRefuse) {
    CheckRefused(files, ops, options, loaded, opts);
  } else if (loaded) {
    CheckQuarantined(files, ops.files(), *loaded);
    auto again = LoadShardState(ops, options);
    FUZZ_CHECK(again && again->torrents == loaded->torrents);
  }
  CheckLoadAll(files);
  return 0;
}
