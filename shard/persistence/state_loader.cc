#include "shard/persistence/state_loader.h"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "common/routing.h"
#include "common/siphash.h"
#include "shard/persistence/journal_file.h"
#include "shard/persistence/loading_set.h"
#include "shard/persistence/shard_file_name.h"
#include "shard/persistence/snapshot_file.h"

namespace shardtrack {
namespace {

std::string CorruptMessage(const std::string& path, const std::string& what, bool unreadable) {
  return path + (unreadable ? " is unreadable (" : " is corrupt (") + what +
         "); a shard's choices: --on-corrupt=refuse (the default: fix or restore the file, then "
         "start) or --on-corrupt=quarantine (move it aside and start from what is intact: the "
         "previous snapshot, a journal's records before the damage, if any)";
}

Status CheckHeaderNames(const FileHeader& header, const ShardFileName& name) {
  if (header.index == name.index && header.count == name.count) return OkStatus();
  return Error{"header says shard " + std::to_string(header.index) + " of " +
               std::to_string(header.count)};
}

void ApplyEntry(const JournalEntry& entry, TorrentMap& torrents, const SipHashKey& key) {
  switch (entry.op) {
    case JournalOp::kCompleted: {
      std::uint64_t& completed = torrents[entry.info_hash].completed;
      completed = std::max(completed, entry.completed);
      break;
    }
    case JournalOp::kPeerUpsert:
      torrents[entry.info_hash].peers.Upsert(
          entry.peer, key,
          entry.replaces_completed ? LoadingPeers::Mark::kReplace : LoadingPeers::Mark::kAdd);
      break;
    case JournalOp::kPeerRemove:
      torrents[entry.info_hash].peers.Remove(entry.peer, key);
      break;
    case JournalOp::kForget:
      torrents.erase(entry.info_hash);
      break;
  }
}

// Renames `path` to `moved_to` in `dir`, durably.
Status MoveAside(FileOps& ops, const std::string& dir, const std::string& path,
                 const std::string& moved_to) {
  Status moved = ops.Rename(path, moved_to);
  return moved ? ops.SyncDir(dir) : moved;
}

// Why a file is unusable: what is wrong, and whether a read failed (else the bytes are corrupt).
struct Damage {
  std::string what;
  bool unreadable = false;
};

// A journal's intact records, and when it is damaged (--on-corrupt=quarantine), the damage for
// which it is set aside once a snapshot holds them.
struct JournalToReplay {
  JournalContents contents;
  std::optional<Damage> damage;
};

// A SequentialFile that remembers a failed read, to tell an unreadable file from a corrupt one.
class WatchedFile final : public SequentialFile {
 public:
  explicit WatchedFile(std::unique_ptr<SequentialFile> file) : file_(std::move(file)) {}
  Status Read(std::size_t max_bytes, std::string& out) override {
    Status read = file_->Read(max_bytes, out);
    failed_ = failed_ || !read;
    return read;
  }
  const std::string& path() const override { return file_->path(); }
  bool failed() const { return failed_; }

 private:
  std::unique_ptr<SequentialFile> file_;
  bool failed_ = false;
};

class Loader {
 public:
  // `layout_in_force`: the shard count whose sets must each have a journal (nullopt: that of
  // the newest set read).
  Loader(FileOps& ops, const LoadOptions& options, KeepTorrent keep,
         std::optional<std::uint32_t> layout_in_force)
      : ops_(ops),
        options_(options),
        keep_(std::move(keep)),
        layout_in_force_(layout_in_force),
        shards_load_(layout_in_force.has_value()) {}

  Result<LoadedState> Run(const std::function<bool(const ShardFileName&)>& wanted);

 private:
  // Parses the file `name` through `read`, which returns a parse error or ok, and puts the
  // damage of an unusable file in `*damage`. An error: the file cannot be opened.
  template <typename Parsed, typename Read>
  Result<Result<Parsed>> Parse(const ShardFileName& name, const Read& read, Damage& damage);
  // Parse, and SetAside an unusable file. nullopt: the file was unusable and has been
  // quarantined; an error: unusable and the policy is to refuse.
  template <typename Parsed, typename Read>
  Result<std::optional<Parsed>> ReadChecked(const ShardFileName& name, const Read& read);
  // An unusable file: the error to refuse with, or ok once it has been quarantined.
  Status SetAside(const ShardFileName& name, const Damage& damage);
  // Notes `name` as quarantined for `damage`, and returns the name it is moved to.
  std::string NoteQuarantined(const ShardFileName& name, const Damage& damage);
  // A damaged file of another layout is read by every shard of this one: moving it aside would
  // hide from the others what they own in it. Quarantine skips it (or its damaged part) in place.
  bool OursAlone(const ShardFileName& name) const {
    return name.index == options_.index && name.count == options_.count;
  }
  void NoteLeftInPlace(const ShardFileName& name, const Damage& damage);
  // `current`: the current snapshot was loaded (not the previous one, nor none).
  Status LoadSnapshot(SetState& set, bool& loaded, bool& current);
  // Checks the journal of `kind`; nullopt when it is missing or was quarantined whole.
  Result<std::optional<JournalToReplay>> CheckJournal(const SetState& set, ShardFileKind kind);
  // Replays the records the check found intact (a second read of the file); a damaged journal
  // joins set_aside_later.
  Status ApplyJournal(SetState& set, ShardFileKind kind, const JournalToReplay& journal,
                      bool have_snapshot);
  Status Replay(SetState& set, const ShardFileName& name, const JournalContents& contents,
                bool have_snapshot);
  Result<std::optional<SetState>> LoadSet(const ShardFileName& set_name);
  std::string PathOf(const ShardFileName& name) const {
    return JoinPath(options_.data_dir, name.ToString());
  }
  bool AnySnapshotOnDisk(const SetState& set);
  // A missing file: `what` says which, and how it may have gone. Refused, or (quarantine)
  // started `without` it. `it`: how the error refers to what is missing.
  Status NoteMissing(const std::string& what, std::string_view without, std::string_view it = "it");
  Status CheckSnapshotNotMissing(const SetState& set, bool snapshot_on_disk, bool have_journal);
  Status CheckFollowsSnapshot(const SetState& set, ShardFileKind kind,
                              const JournalContents& first);
  // `layout`: the shard count in force.
  Status CheckJournalsNotMissing(std::uint32_t layout);
  // Refuses (or notes, under quarantine) the shards of other layouts whose files are missing
  // though they may hold torrents this load keeps, which no newer files speak for
  // (UncoveredGaps). `layout`: the shard count in force; `unread`: sets whose files are there
  // but were set aside as damaged (already reported as such, not as missing).
  Status CheckNoLayoutGaps(std::uint32_t layout, const std::vector<FileSet>& unread);
  std::string WhereIs(std::uint32_t index, std::uint32_t count) const;

  FileOps& ops_;
  const LoadOptions& options_;
  KeepTorrent keep_;
  std::optional<std::uint32_t> layout_in_force_;
  const bool shards_load_;  // else the tools' load of every set
  struct SetWithoutJournal {
    std::uint32_t index, count;
  };
  std::vector<SetWithoutJournal> without_journal_;  // a snapshot, and no journal beside it
  SipHashKey index_key_ = RandomSipHashKey();       // for LoadingPeers' indexes only
  LoadedState out_;
};

template <typename Parsed, typename Read>
Result<Result<Parsed>> Loader::Parse(const ShardFileName& name, const Read& read, Damage& damage) {
  const std::string path = PathOf(name);
  auto opened = ops_.OpenSequential(path);
  if (!opened) {  // not damage (permissions, the open-file limit): nothing to set aside
    return Error{"cannot load " + path + ": " + opened.error() +
                 "; the file is not known to be damaged, so --on-corrupt does not set it aside: "
                 "fix that, then start the shard again"};
  }
  WatchedFile file(std::move(*opened));
  Result<Parsed> parsed = read(file);
  if (!parsed) damage = {parsed.error(), file.failed()};
  return parsed;
}

template <typename Parsed, typename Read>
Result<std::optional<Parsed>> Loader::ReadChecked(const ShardFileName& name, const Read& read) {
  Damage damage;
  auto parsed = Parse<Parsed>(name, read, damage);
  if (!parsed) return Error{parsed.error()};
  if (*parsed) return std::optional<Parsed>(std::move(parsed->value()));
  if (Status set_aside = SetAside(name, damage); !set_aside) return Error{set_aside.error()};
  return std::optional<Parsed>();
}

Status Loader::SetAside(const ShardFileName& name, const Damage& damage) {
  const std::string path = PathOf(name);
  if (options_.on_corrupt == OnCorrupt::kRefuse) {
    return Error{CorruptMessage(path, damage.what, damage.unreadable)};
  }
  if (!OursAlone(name)) {
    NoteLeftInPlace(name, damage);
    return OkStatus();
  }
  Status moved = MoveAside(ops_, options_.data_dir, path, NoteQuarantined(name, damage));
  if (moved) return OkStatus();
  return Error{"cannot quarantine " + path + " (" + damage.what + "): " + moved.error()};
}

void Loader::NoteLeftInPlace(const ShardFileName& name, const Damage& damage) {
  out_.notes.push_back("left " + name.ToString() + " in place (" + damage.what +
                       "): every shard of this layout reads another layout's files, so none "
                       "moves them; once all have started, `shardtrack-dfile retire` removes "
                       "them (or move it aside by hand)");
  ++out_.quarantined;
}

std::string Loader::NoteQuarantined(const ShardFileName& name, const Damage& damage) {
  const std::string path = PathOf(name);
  std::string moved_to = path + ".corrupt-" + std::to_string(options_.now);
  for (int n = 2; ops_.Exists(moved_to); ++n) {
    moved_to = path + ".corrupt-" + std::to_string(options_.now) + "-" + std::to_string(n);
  }
  out_.notes.push_back("quarantined " + name.ToString() + " (" + damage.what + ") as " + moved_to);
  ++out_.quarantined;
  return moved_to;
}

Status Loader::LoadSnapshot(SetState& set, bool& loaded, bool& current) {
  auto keep = [&](const InfoHash& hash) { return set.Owns(hash) && keep_(hash); };
  // Each torrent goes straight into the set as it is decoded; the file is never held whole.
  auto take = [&](TorrentRecord&& torrent) {
    LoadingTorrent& loading = set.torrents[torrent.info_hash];
    loading.completed = torrent.completed;
    loading.peers.AddFromSnapshot(std::move(torrent.peers));
  };
  for (auto kind : {ShardFileKind::kSnapshot, ShardFileKind::kPreviousSnapshot}) {
    const ShardFileName name{set.index, set.count, kind};
    if (!ops_.Exists(PathOf(name))) continue;
    auto snapshot =
        ReadChecked<SnapshotContents>(name, [&](SequentialFile& file) -> Result<SnapshotContents> {
          auto contents = ReadSnapshot(file, keep, take);
          Status names = contents ? CheckHeaderNames(contents->header, name) : OkStatus();
          if (!contents || !names) set.torrents.clear();  // never half-loaded
          if (!names) return Error{names.error()};
          return contents;
        });
    if (!snapshot) return Error{snapshot.error()};
    if (!*snapshot) continue;  // quarantined: try the previous one
    set.generation = (*snapshot)->header.generation;
    out_.notes.push_back("loaded " + name.ToString() + " (generation " +
                         std::to_string(set.generation) + ": " +
                         std::to_string(set.torrents.size()) + " of its " +
                         std::to_string((*snapshot)->stats.torrents) + " torrents are ours)");
    loaded = true;
    current = kind == ShardFileKind::kSnapshot;
    return OkStatus();
  }
  return OkStatus();
}

Result<std::optional<JournalToReplay>> Loader::CheckJournal(const SetState& set,
                                                            ShardFileKind kind) {
  const ShardFileName name{set.index, set.count, kind};
  if (!ops_.Exists(PathOf(name))) return std::optional<JournalToReplay>();
  std::optional<JournalContents> before_damage;  // its header is intact and names the file
  Damage damage;
  auto parsed = Parse<JournalContents>(
      name,
      [&](SequentialFile& file) -> Result<JournalContents> {
        auto contents = ReadJournal(file, {}, UINT64_MAX, &before_damage);
        if (before_damage && !CheckHeaderNames(before_damage->header, name)) before_damage.reset();
        if (!contents) return contents;
        if (Status names = CheckHeaderNames(contents->header, name); !names) {
          return Error{names.error()};
        }
        return contents;
      },
      damage);
  if (!parsed) return Error{parsed.error()};
  if (*parsed) return std::optional<JournalToReplay>({std::move(parsed->value()), {}});
  // What is intact before the damage is replayed first, when the damaged file is set aside.
  if (before_damage && options_.on_corrupt == OnCorrupt::kQuarantine) {
    return std::optional<JournalToReplay>({std::move(*before_damage), std::move(damage)});
  }
  if (Status set_aside = SetAside(name, damage); !set_aside) return Error{set_aside.error()};
  return std::optional<JournalToReplay>();
}

Status Loader::ApplyJournal(SetState& set, ShardFileKind kind, const JournalToReplay& journal,
                            bool have_snapshot) {
  const ShardFileName name{set.index, set.count, kind};
  Status replayed = Replay(set, name, journal.contents, have_snapshot);
  if (!replayed || !journal.damage) return replayed;
  if (OursAlone(name)) {
    out_.set_aside_later.push_back({PathOf(name), NoteQuarantined(name, *journal.damage)});
  } else {
    NoteLeftInPlace(name, *journal.damage);
  }
  return replayed;
}

Status Loader::Replay(SetState& set, const ShardFileName& name, const JournalContents& contents,
                      bool have_snapshot) {
  const std::uint64_t base = contents.header.generation;
  std::string note = name.ToString() + " (follows generation " + std::to_string(base);
  if (have_snapshot && base < set.generation) {
    out_.notes.push_back("skipped stale " + note + "; the snapshot holds its changes)");
    return OkStatus();
  }
  std::uint64_t replayed = 0;
  auto replay = [&](const JournalEntry& entry) {
    if (!set.Owns(entry.info_hash) || !keep_(entry.info_hash)) return;
    ApplyEntry(entry, set.torrents, index_key_);
    ++replayed;
  };
  const std::string path = PathOf(name);
  auto file = ops_.OpenSequential(path);
  auto read = file ? ReadJournal(**file, replay, contents.records)
                   : Result<JournalContents>(Error{file.error()});
  // Another journal under the name since (a rotation beside a running shard: the tools) may hold
  // as many records: the generation it follows tells them apart.
  if (!read || read->records != contents.records ||
      read->header.generation != contents.header.generation) {
    return Error{"reading " + path +
                 " again to replay it: " + (read ? "it changed while loading" : read.error())};
  }
  note += "): replayed " + std::to_string(replayed) + " of " + std::to_string(contents.records) +
          " records";
  if (contents.torn_tail_bytes > 0) {
    note += ", ignored a torn tail of " + std::to_string(contents.torn_tail_bytes) + " bytes";
    out_.torn_tail_bytes += contents.torn_tail_bytes;
  }
  out_.notes.push_back("replayed " + note);
  set.generation = std::max(set.generation, base);
  return OkStatus();
}

bool Loader::AnySnapshotOnDisk(const SetState& set) {
  return std::ranges::any_of(std::array{ShardFileKind::kSnapshot, ShardFileKind::kPreviousSnapshot},
                             [&](auto kind) {
                               return ops_.Exists(PathOf({set.index, set.count, kind}));
                             });
}

Status Loader::NoteMissing(const std::string& what, std::string_view without, std::string_view it) {
  if (options_.on_corrupt == OnCorrupt::kRefuse) {
    const std::string files(it);
    return Error{what + "; put " + files + " back, or start the shard with " +
                 "--on-corrupt=quarantine to start without " + files + " (what is in " + files +
                 " is lost)"};
  }
  out_.notes.push_back(what + " (started " + std::string(without) + ")");
  ++out_.missing_files;
  return OkStatus();
}

std::string Loader::WhereIs(std::uint32_t index, std::uint32_t count) const {
  return "shard " + std::to_string(index) + " of " + std::to_string(count) + " is in " +
         options_.data_dir;
}

// A set starts with an empty journal that follows generation 0, before its first snapshot, and
// each later journal follows a snapshot written before it, so a journal past generation 0
// without any snapshot means the snapshot was removed: what it held would be lost unnoticed.
Status Loader::CheckSnapshotNotMissing(const SetState& set, bool snapshot_on_disk,
                                       bool have_journal) {
  if (snapshot_on_disk || !have_journal || set.generation == 0) return OkStatus();
  return NoteMissing("no snapshot of " + WhereIs(set.index, set.count) +
                         " though its journal follows generation " +
                         std::to_string(set.generation) + ": someone removed it",
                     "from the journals alone");
}

// The first journal replayed over a snapshot follows it (or an older one, whose changes it
// holds): one that follows a newer generation leaves out what changed in between, which no file
// holds any more (the journal that followed the snapshot was removed, or a start paired it with a
// newer snapshot that was later set aside).
Status Loader::CheckFollowsSnapshot(const SetState& set, ShardFileKind kind,
                                    const JournalContents& first) {
  const std::uint64_t base = first.header.generation;
  if (base <= set.generation) return OkStatus();
  return NoteMissing("what " + WhereIs(set.index, set.count) + " changed between generation " +
                         std::to_string(set.generation) + " and " + std::to_string(base) +
                         " is in no file: the snapshot loaded is of generation " +
                         std::to_string(set.generation) + ", and " +
                         ShardFileName{set.index, set.count, kind}.ToString() +
                         ", the first journal after it, follows generation " + std::to_string(base),
                     "without those changes");
}

// A journal replaces the last by a rename, so the layout in force never has a snapshot without a
// journal beside it: else the changes since that snapshot would be lost unnoticed. An older
// layout may (an import by a build before 2026-12-05 wrote none; a retire cut short removes
// journals first), and its files are history, never written again: not checked.
Status Loader::CheckJournalsNotMissing(std::uint32_t layout) {
  for (const SetWithoutJournal& set : without_journal_) {
    if (set.count != layout) continue;
    Status missing = NoteMissing(
        "no journal of " + WhereIs(set.index, set.count) +
            " though its snapshot is: someone removed it, or a start with "
            "--on-corrupt=quarantine set a corrupt one aside and stopped before writing another",
        "from the snapshot alone");
    if (!missing) return missing;
  }
  return OkStatus();
}

// Loaded without a shard's files (a partial copy or restore of the directory), the torrents they
// held would be lost unnoticed, and for a shard for good: its first snapshot outranks them, so
// putting them back later would bring nothing back. The tools' export would drop them too.
Status Loader::CheckNoLayoutGaps(std::uint32_t layout, const std::vector<FileSet>& unread) {
  std::vector<FileSet> there = out_.sets;
  there.insert(there.end(), unread.begin(), unread.end());
  const std::string torrents = shards_load_ ? "torrents shard " + std::to_string(options_.index) +
                                                  " of " + std::to_string(options_.count) + " owns"
                                            : "torrents";
  for (const LayoutGap& gap : UncoveredGaps(there, options_.index, options_.count, layout)) {
    const bool several = gap.missing.size() + gap.more_missing > 1;
    const std::string they = several ? "they" : "it";
    const std::string them = several ? "them" : "it";
    Status missing = NoteMissing(
        DescribeGap(gap, options_.data_dir) + ": " + they + " may hold " + torrents +
            " that no newer files speak for (a copy or a restore that left " + them +
            " out? a resize given up before " + they + " started?)",
        "without " + them + ": what " + they +
            " held of this shard's torrents stays lost once this shard has written a snapshot, "
            "even if put back",
        them);
    if (!missing) return missing;
  }
  return OkStatus();
}

Result<std::optional<SetState>> Loader::LoadSet(const ShardFileName& set_name) {
  SetState set;
  set.index = set_name.index;
  set.count = set_name.count;
  bool have_snapshot = false;
  bool current = false;
  // Before a corrupt file is moved aside.
  const bool snapshot_on_disk = AnySnapshotOnDisk(set);
  const bool journal_on_disk = ops_.Exists(PathOf({set.index, set.count, ShardFileKind::kJournal}));
  if (Status status = LoadSnapshot(set, have_snapshot, current); !status) {
    return Error{status.error()};
  }
  auto journal = CheckJournal(set, ShardFileKind::kJournal);
  if (!journal) return Error{journal.error()};
  // The previous journal holds what the snapshot in force lacks when that is the previous
  // snapshot (or none), or when the journal already follows a newer snapshot than the one loaded
  // (a crash came between starting that journal and installing its snapshot).
  const bool journal_is_newer = *journal && (*journal)->contents.header.generation > set.generation;
  std::optional<JournalToReplay> previous;
  if (!current || journal_is_newer) {
    auto checked = CheckJournal(set, ShardFileKind::kPreviousJournal);
    if (!checked) return Error{checked.error()};
    previous = std::move(*checked);
  }
  const bool have_journal = previous || *journal;
  if (have_snapshot && have_journal) {
    const auto& [kind, first] = previous ? std::pair{ShardFileKind::kPreviousJournal, &*previous}
                                         : std::pair{ShardFileKind::kJournal, &**journal};
    if (Status gap = CheckFollowsSnapshot(set, kind, first->contents); !gap) {
      return Error{gap.error()};
    }
  }
  if (previous) {
    Status applied = ApplyJournal(set, ShardFileKind::kPreviousJournal, *previous, have_snapshot);
    if (!applied) return Error{applied.error()};
  }
  if (*journal) {
    Status applied = ApplyJournal(set, ShardFileKind::kJournal, **journal, have_snapshot);
    if (!applied) return Error{applied.error()};
  }
  if (Status missing = CheckSnapshotNotMissing(set, snapshot_on_disk, have_journal); !missing) {
    return Error{missing.error()};
  }
  if (snapshot_on_disk && !journal_on_disk) without_journal_.push_back({set.index, set.count});
  if (!have_snapshot && !have_journal) return std::optional<SetState>();
  out_.max_generation = std::max(out_.max_generation, set.generation);
  return std::optional<SetState>(std::move(set));
}

Result<LoadedState> Loader::Run(const std::function<bool(const ShardFileName&)>& wanted) {
  auto names = ops_.ListDir(options_.data_dir);
  if (!names) return Error{names.error()};
  std::map<std::pair<std::uint32_t, std::uint32_t>, ShardFileName> set_names;
  std::set<std::pair<std::uint32_t, std::uint32_t>> with_files;  // more than a temp file
  for (const std::string& name : *names) {
    auto parsed = ShardFileName::Parse(name);
    if (!parsed || !wanted(*parsed)) continue;
    set_names.try_emplace({parsed->count, parsed->index}, parsed->As(ShardFileKind::kSnapshot));
    if (!parsed->is_temp()) with_files.insert({parsed->count, parsed->index});
  }
  std::vector<SetState> sets;
  std::vector<FileSet> unread;  // files there, but nothing loaded: damaged (quarantine)
  for (const auto& [layout, set_name] : set_names) {
    auto set = LoadSet(set_name);
    if (!set) return Error{set.error()};
    if (*set) {
      sets.push_back(std::move(**set));
    } else if (with_files.contains(layout)) {
      unread.push_back({set_name.index, set_name.count, 0});
    }
  }
  if (!layout_in_force_) {  // that of the newest set (the last of equal generations)
    for (const SetState& set : sets) {
      if (set.generation == out_.max_generation) layout_in_force_ = set.count;
    }
  }
  if (Status missing = CheckJournalsNotMissing(layout_in_force_.value_or(0)); !missing) {
    return Error{missing.error()};
  }
  for (const SetState& set : sets) out_.sets.push_back(set);
  if (Status gaps = CheckNoLayoutGaps(layout_in_force_.value_or(options_.count), unread); !gaps) {
    return Error{gaps.error()};
  }
  MergeSets(sets, out_.torrents);
  return std::move(out_);
}

}  // namespace

Status SetAsideReplayed(FileOps& ops, const std::string& data_dir,
                        const std::vector<SetAsideLater>& files) {
  for (const SetAsideLater& file : files) {
    if (Status moved = MoveAside(ops, data_dir, file.path, file.moved_to); !moved) {
      return Error{"cannot quarantine " + file.path + " once a snapshot held its intact records: " +
                   moved.error() + "; the next start replays them again"};
    }
  }
  return OkStatus();
}

std::uint64_t LoadedState::peers() const {
  std::uint64_t total = 0;
  for (const TorrentRecord& torrent : torrents) total += torrent.peers.size();
  return total;
}

std::string LoadedState::Summary() const {
  std::string out = "recovered " + std::to_string(torrents.size()) + " torrents and " +
                    std::to_string(peers()) + " peers";
  if (fresh_start()) return out + " (no files: a fresh start)";
  out += ":";
  for (const std::string& note : notes) out += " " + note + ";";
  out.pop_back();
  return out;
}

Result<LoadedState> LoadShardState(FileOps& ops, const LoadOptions& options) {
  Loader loader(
      ops, options,
      [&](const InfoHash& hash) { return ShardFor(hash, options.count) == options.index; },
      options.count);
  return loader.Run([&](const ShardFileName& name) {
    return name.count != options.count || name.index == options.index;
  });
}

Result<LoadedState> LoadAllState(FileOps& ops, const std::string& data_dir) {
  const LoadOptions options{data_dir, 0, 1, OnCorrupt::kRefuse, 0};
  Loader loader(
      ops, options, [](const InfoHash&) { return true; }, std::nullopt);
  return loader.Run([](const ShardFileName&) { return true; });
}

}  // namespace shardtrack
