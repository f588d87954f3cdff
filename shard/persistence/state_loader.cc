#include "shard/persistence/state_loader.h"

#include <algorithm>
#include <map>
#include <utility>

#include "common/routing.h"
#include "shard/persistence/journal_file.h"
#include "shard/persistence/shard_file_name.h"
#include "shard/persistence/snapshot_file.h"

namespace shardtrack {
namespace {

// A torrent while its set is loaded: peers by endpoint (address bytes and port), so replaying a
// journal costs a lookup per record however large the swarm.
struct LoadingTorrent {
  std::uint64_t completed = 0;
  std::map<std::string, PeerRecord> peers;
};
using TorrentMap = std::map<InfoHash, LoadingTorrent>;

std::string EndpointKey(const PeerRecord& peer) {
  std::string key(peer.ip.raw());
  key.push_back(static_cast<char>(peer.port >> 8));
  key.push_back(static_cast<char>(peer.port & 0xff));
  return key;
}

// One (index, count)'s snapshot plus journal, as far as the loading shard keeps it.
struct SetState {
  std::uint32_t index = 0;
  std::uint32_t count = 1;
  std::uint64_t generation = 0;
  TorrentMap torrents;

  bool Owns(const InfoHash& hash) const { return ShardFor(hash, count) == index; }
};

std::string CorruptMessage(const std::string& path, const std::string& what, bool unreadable) {
  return path + (unreadable ? " is unreadable (" : " is corrupt (") + what +
         "); choices: --on-corrupt=refuse (the default: fix or restore the file, then start) or "
         "--on-corrupt=quarantine (move it aside and start from the previous good snapshot)";
}

Status CheckHeaderNames(const FileHeader& header, const ShardFileName& name) {
  if (header.index == name.index && header.count == name.count) return OkStatus();
  return Error{"header says shard " + std::to_string(header.index) + " of " +
               std::to_string(header.count)};
}

void ApplyEntry(const JournalEntry& entry, TorrentMap& torrents) {
  LoadingTorrent& torrent = torrents[entry.info_hash];
  const std::string key = EndpointKey(entry.peer);
  switch (entry.op) {
    case JournalOp::kCompleted:
      torrent.completed = std::max(torrent.completed, entry.completed);
      break;
    case JournalOp::kPeerUpsert: {
      auto [it, inserted] = torrent.peers.try_emplace(key, entry.peer);
      if (!inserted) {
        const bool completed = it->second.completed || entry.peer.completed;  // as swarms keep it
        it->second = entry.peer;
        it->second.completed = completed;
      }
      break;
    }
    case JournalOp::kPeerRemove:
      torrent.peers.erase(key);
      break;
  }
}

class Loader {
 public:
  Loader(FileOps& ops, const LoadOptions& options, KeepTorrent keep)
      : ops_(ops), options_(options), keep_(std::move(keep)) {}

  Result<LoadedState> Run(const std::function<bool(const ShardFileName&)>& wanted);

 private:
  // Reads and parses a whole file; nullopt when it was unusable and has been quarantined.
  template <typename Parsed, typename Parse>
  Result<std::optional<Parsed>> ReadChecked(const ShardFileName& name, const Parse& parse);
  // `current`: the current snapshot was loaded (not the previous one, nor none).
  Status LoadSnapshot(SetState& set, bool& loaded, bool& current);
  // The journal of `kind`; nullopt when it is missing or was quarantined.
  Result<std::optional<JournalContents>> ReadJournal(const SetState& set, ShardFileKind kind);
  void ApplyJournal(SetState& set, ShardFileKind kind, const JournalContents& contents,
                    bool have_snapshot);
  Result<std::optional<SetState>> LoadSet(const ShardFileName& set_name);
  void Merge(const std::vector<SetState>& sets);

  FileOps& ops_;
  const LoadOptions& options_;
  KeepTorrent keep_;
  LoadedState out_;
};

template <typename Parsed, typename Parse>
Result<std::optional<Parsed>> Loader::ReadChecked(const ShardFileName& name, const Parse& parse) {
  const std::string path = JoinPath(options_.data_dir, name.ToString());
  auto bytes = ops_.ReadFile(path);
  std::string what;
  if (bytes) {
    Result<Parsed> parsed = parse(std::string_view(*bytes));
    if (parsed) return std::optional<Parsed>(std::move(parsed.value()));
    what = parsed.error();
  } else {
    what = bytes.error();
  }
  if (options_.on_corrupt == OnCorrupt::kRefuse) return Error{CorruptMessage(path, what, !bytes)};
  std::string moved_to = path + ".corrupt-" + std::to_string(options_.now);
  for (int n = 2; ops_.Exists(moved_to); ++n) {
    moved_to = path + ".corrupt-" + std::to_string(options_.now) + "-" + std::to_string(n);
  }
  Status moved = ops_.Rename(path, moved_to);
  if (moved) moved = ops_.SyncDir(options_.data_dir);
  if (!moved) return Error{"cannot quarantine " + path + " (" + what + "): " + moved.error()};
  out_.notes.push_back("quarantined " + name.ToString() + " (" + what + ") as " + moved_to);
  return std::optional<Parsed>();
}

Status Loader::LoadSnapshot(SetState& set, bool& loaded, bool& current) {
  for (auto kind : {ShardFileKind::kSnapshot, ShardFileKind::kPreviousSnapshot}) {
    const ShardFileName name{set.index, set.count, kind};
    if (!ops_.Exists(JoinPath(options_.data_dir, name.ToString()))) continue;
    auto keep = [&](const InfoHash& hash) { return set.Owns(hash) && keep_(hash); };
    auto snapshot = ReadChecked<SnapshotContents>(
        name, [&](std::string_view bytes) -> Result<SnapshotContents> {
          auto contents = ParseSnapshot(bytes, keep);
          if (!contents) return contents;
          if (Status names = CheckHeaderNames(contents->header, name); !names) {
            return Error{names.error()};
          }
          return contents;
        });
    if (!snapshot) return Error{snapshot.error()};
    if (!*snapshot) continue;  // quarantined: try the previous one
    SnapshotContents& contents = **snapshot;
    set.generation = contents.header.generation;
    out_.notes.push_back("loaded " + name.ToString() + " (generation " +
                         std::to_string(set.generation) + ": " +
                         std::to_string(contents.torrents.size()) + " of its " +
                         std::to_string(contents.stats.torrents) + " torrents are ours)");
    for (const TorrentRecord& torrent : contents.torrents) {
      LoadingTorrent& loading = set.torrents[torrent.info_hash];
      loading.completed = torrent.completed;
      for (const PeerRecord& peer : torrent.peers) loading.peers[EndpointKey(peer)] = peer;
    }
    loaded = true;
    current = kind == ShardFileKind::kSnapshot;
    return OkStatus();
  }
  return OkStatus();
}

Result<std::optional<JournalContents>> Loader::ReadJournal(const SetState& set,
                                                           ShardFileKind kind) {
  const ShardFileName name{set.index, set.count, kind};
  if (!ops_.Exists(JoinPath(options_.data_dir, name.ToString()))) {
    return std::optional<JournalContents>();
  }
  return ReadChecked<JournalContents>(name, [&](std::string_view bytes) -> Result<JournalContents> {
    auto contents = ParseJournal(bytes);
    if (!contents) return contents;
    if (Status names = CheckHeaderNames(contents->header, name); !names) {
      return Error{names.error()};
    }
    return contents;
  });
}

void Loader::ApplyJournal(SetState& set, ShardFileKind kind, const JournalContents& contents,
                          bool have_snapshot) {
  const ShardFileName name{set.index, set.count, kind};
  const std::uint64_t base = contents.header.generation;
  std::string note = name.ToString() + " (follows generation " + std::to_string(base);
  if (have_snapshot && base < set.generation) {
    out_.notes.push_back("skipped stale " + note + "; the snapshot holds its changes)");
    return;
  }
  std::uint64_t replayed = 0;
  for (const JournalEntry& entry : contents.entries) {
    if (!set.Owns(entry.info_hash) || !keep_(entry.info_hash)) continue;
    ApplyEntry(entry, set.torrents);
    ++replayed;
  }
  note += "): replayed " + std::to_string(replayed) + " of " +
          std::to_string(contents.entries.size()) + " records";
  if (contents.torn_tail_bytes > 0) {
    note += ", ignored a torn tail of " + std::to_string(contents.torn_tail_bytes) + " bytes";
  }
  out_.notes.push_back("replayed " + note);
  set.generation = std::max(set.generation, base);
}

Result<std::optional<SetState>> Loader::LoadSet(const ShardFileName& set_name) {
  SetState set;
  set.index = set_name.index;
  set.count = set_name.count;
  bool have_snapshot = false;
  bool current = false;
  if (Status status = LoadSnapshot(set, have_snapshot, current); !status) {
    return Error{status.error()};
  }
  auto journal = ReadJournal(set, ShardFileKind::kJournal);
  if (!journal) return Error{journal.error()};
  // The previous journal holds what the snapshot in force lacks when that is the previous
  // snapshot (or none), or when the journal already follows a newer snapshot than the one loaded
  // (a crash came between starting that journal and installing its snapshot).
  const bool journal_is_newer = *journal && (*journal)->header.generation > set.generation;
  bool have_journal = journal->has_value();
  if (!current || journal_is_newer) {
    auto previous = ReadJournal(set, ShardFileKind::kPreviousJournal);
    if (!previous) return Error{previous.error()};
    if (*previous) {
      have_journal = true;
      ApplyJournal(set, ShardFileKind::kPreviousJournal, **previous, have_snapshot);
    }
  }
  if (*journal) ApplyJournal(set, ShardFileKind::kJournal, **journal, have_snapshot);
  if (!have_snapshot && !have_journal) return std::optional<SetState>();
  out_.max_generation = std::max(out_.max_generation, set.generation);
  return std::optional<SetState>(std::move(set));
}

void Loader::Merge(const std::vector<SetState>& sets) {
  std::map<InfoHash, TorrentRecord> merged;
  for (const SetState& set : sets) {
    for (const auto& [hash, torrent] : set.torrents) {
      TorrentRecord& into = merged[hash];
      into.info_hash = hash;
      into.completed = std::max(into.completed, torrent.completed);
    }
  }
  for (auto& [hash, torrent] : merged) {
    const SetState* authority = nullptr;
    for (const SetState& set : sets) {
      if (set.Owns(hash) && (authority == nullptr || set.generation > authority->generation)) {
        authority = &set;
      }
    }
    auto found = authority->torrents.find(hash);
    if (found != authority->torrents.end()) {
      for (const auto& [key, peer] : found->second.peers) torrent.peers.push_back(peer);
    }
    if (torrent.completed == 0 && torrent.peers.empty()) continue;
    out_.torrents.push_back(std::move(torrent));
  }
}

Result<LoadedState> Loader::Run(const std::function<bool(const ShardFileName&)>& wanted) {
  auto names = ops_.ListDir(options_.data_dir);
  if (!names) return Error{names.error()};
  std::map<std::pair<std::uint32_t, std::uint32_t>, ShardFileName> set_names;
  for (const std::string& name : *names) {
    auto parsed = ShardFileName::Parse(name);
    if (!parsed || !wanted(*parsed)) continue;
    set_names.try_emplace({parsed->count, parsed->index}, parsed->As(ShardFileKind::kSnapshot));
  }
  std::vector<SetState> sets;
  for (const auto& [layout, set_name] : set_names) {
    auto set = LoadSet(set_name);
    if (!set) return Error{set.error()};
    if (*set) sets.push_back(std::move(**set));
  }
  Merge(sets);
  return std::move(out_);
}

}  // namespace

std::optional<OnCorrupt> ParseOnCorrupt(std::string_view text) {
  if (text == "refuse") return OnCorrupt::kRefuse;
  if (text == "quarantine") return OnCorrupt::kQuarantine;
  return std::nullopt;
}

std::uint64_t LoadedState::peers() const {
  std::uint64_t total = 0;
  for (const TorrentRecord& torrent : torrents) total += torrent.peers.size();
  return total;
}

std::string LoadedState::Summary() const {
  std::string out = "recovered " + std::to_string(torrents.size()) + " torrents and " +
                    std::to_string(peers()) + " peers";
  if (notes.empty()) return out + " (no files: a fresh start)";
  out += ":";
  for (const std::string& note : notes) out += " " + note + ";";
  out.pop_back();
  return out;
}

Result<LoadedState> LoadShardState(FileOps& ops, const LoadOptions& options) {
  Loader loader(ops, options, [&](const InfoHash& hash) {
    return ShardFor(hash, options.count) == options.index;
  });
  return loader.Run([&](const ShardFileName& name) {
    return name.count != options.count || name.index == options.index;
  });
}

Result<LoadedState> LoadAllState(FileOps& ops, const std::string& data_dir) {
  const LoadOptions options{data_dir, 0, 1, OnCorrupt::kRefuse, 0};
  Loader loader(ops, options, [](const InfoHash&) { return true; });
  return loader.Run([](const ShardFileName&) { return true; });
}

}  // namespace shardtrack
