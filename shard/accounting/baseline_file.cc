#include "shard/accounting/baseline_file.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/routing.h"
#include "shard/accounting/accounting_file.h"
#include "shard/accounting/credit_log.h"
#include "shard/persistence/byte_codec.h"
#include "shard/persistence/record_framing.h"
#include "shard/persistence/shard_file_name.h"

namespace shardtrack {
namespace {

constexpr std::string_view kMagic = "STBASE";
constexpr std::uint16_t kVersion = 6;
constexpr std::uint16_t kVersionWithoutLog = 5;     // read, as through no credit log
constexpr std::uint16_t kVersionWithoutRun = 4;     // read, as of generation 0
constexpr std::uint16_t kVersionWithoutFamily = 3;  // read so too, every baseline IPv4
constexpr std::uint16_t kOlderVersions[] = {1, 2};  // read as nothing
// Parse's cutoff that keeps every record: a start replays the credit logs on the baselines as
// they were saved (a baseline last seen within the timeout of a logged announce credits it),
// and forgets those expired only after (AccountingFlusher::LoadSavedBaselines).
constexpr UnixSeconds kEveryRecord = std::numeric_limits<UnixSeconds>::min();
constexpr std::uint8_t kSeeder = 1;
constexpr std::uint8_t kCompleted = 2;
constexpr std::uint8_t kIpv6 = 4;

void EncodeClientKey(const SipHashKey& key, const ShardRun& run, std::uint64_t through,
                     std::string& out) {
  const std::size_t frame = BeginFrame(out, RecordType::kAccountingClientKey);
  ByteWriter(out).U64(key[0]).U64(key[1]).U64(run.since).U64(through);
  FinishFrame(out, frame);
}

void Encode(const TransferLedger::PeerBaseline& baseline, std::string& out) {
  const std::size_t frame = BeginFrame(out, RecordType::kAccountingBaseline);
  ByteWriter(out)
      .Bytes(baseline.info_hash.view())
      .U64(baseline.client)
      .U64(baseline.member)
      .U64(baseline.uploaded)
      .U64(baseline.downloaded)
      .I64(baseline.last_seen)
      .U8((baseline.seeder ? kSeeder : 0) | (baseline.completed ? kCompleted : 0) |
          (baseline.ipv6 ? kIpv6 : 0));
  FinishFrame(out, frame);
}

Result<TransferLedger::PeerBaseline> Decode(std::string_view fields) {
  ByteReader in(fields);
  TransferLedger::PeerBaseline baseline;
  auto info_hash = InfoHash::FromRaw(in.Bytes(InfoHash::kSize));
  baseline.client = in.U64();
  baseline.member = in.U64();
  baseline.uploaded = in.U64();
  baseline.downloaded = in.U64();
  baseline.last_seen = in.I64();
  const std::uint8_t flags = in.U8();
  if (!in.ok() || (flags & ~(kSeeder | kCompleted | kIpv6)) != 0 || !in.AtEnd() || !info_hash) {
    return Error{"a malformed baseline record"};
  }
  baseline.info_hash = *info_hash;
  baseline.seeder = (flags & kSeeder) != 0;
  baseline.completed = (flags & kCompleted) != 0;
  baseline.ipv6 = (flags & kIpv6) != 0;
  return baseline;
}

// The client key (and from version 5, the saving run's generation; from 6, the last credit log
// included), then the records last seen after `cutoff`, into `out`; an error leaves those before
// the damage.
Status Parse(std::string_view file, UnixSeconds cutoff, SavedBaselines& out) {
  const bool with_log = CheckPreamble(file, kMagic, kVersion).ok();
  const bool with_run = with_log || CheckPreamble(file, kMagic, kVersionWithoutLog).ok();
  if (!with_run) {
    Status older = CheckPreamble(file, kMagic, kVersionWithoutRun);
    if (!older) older = CheckPreamble(file, kMagic, kVersionWithoutFamily);
    if (!older) return older;
  }
  const auto read_key = [&](std::string_view fields) -> Status {
    ByteReader key(fields);
    out.client_key = {key.U64(), key.U64()};
    if (with_run) out.since = key.U64();
    const std::uint64_t through = with_log ? key.U64() : 0;
    if (!key.ok() || !key.AtEnd()) return Error{"a malformed client key"};
    out.through = through;
    return OkStatus();
  };
  return WalkHeadedFile(file, RecordType::kAccountingClientKey, read_key,
                        [&](const FrameCursor::Frame& frame) -> Status {
                          if (frame.type != RecordType::kAccountingBaseline) {
                            return Error{"an unexpected record"};
                          }
                          auto baseline = Decode(frame.fields);
                          if (!baseline) return Error{baseline.error()};
                          if (baseline->last_seen > cutoff) out.baselines.push_back(*baseline);
                          return OkStatus();
                        });
}

// The layout a baselines file name (or its .tmp) names, if it is one.
std::optional<ShardLayout> BaselineFileLayout(std::string_view name) {
  if (name.ends_with(".tmp")) name.remove_suffix(4);
  if (!name.starts_with("shard") || !name.ends_with(".baselines")) return std::nullopt;
  name.remove_prefix(5);
  name.remove_suffix(std::string_view(".baselines").size());
  auto layout = TakeShardLayout(name);
  if (!layout || !name.empty()) return std::nullopt;
  return layout;
}

bool IsSet(const FileSet& set, std::uint32_t index, std::uint32_t count) {
  return set.index == index && set.count == count;
}

// The directory's names; none without the directory (nothing saved yet).
Result<std::vector<std::string>> ListSaved(FileOps& files, const std::string& accounting_dir) {
  auto names = files.ListDir(accounting_dir);
  if (names) return names;
  if (!files.Exists(accounting_dir)) return std::vector<std::string>{};
  return Error{"cannot list " + accounting_dir + ": " + names.error()};
}

struct Removal {
  std::vector<std::string> removed;
  std::vector<std::string> failed;  // names that stay
  std::vector<std::string> errors;  // of the files that stay, and of the directory's sync

  void Add(const Removal& more) {
    removed.insert(removed.end(), more.removed.begin(), more.removed.end());
    failed.insert(failed.end(), more.failed.begin(), more.failed.end());
    errors.insert(errors.end(), more.errors.begin(), more.errors.end());
  }
};

// Removes the files among `names` that `remove` picks, then syncs the directory.
template <typename Pick>
Removal RemoveFiles(FileOps& files, const std::string& accounting_dir,
                    const std::vector<std::string>& names, const Pick& remove) {
  Removal out;
  for (const std::string& name : names) {
    if (!remove(name)) continue;
    if (Status gone = files.Remove(JoinPath(accounting_dir, name)); gone) {
      out.removed.push_back(name);
    } else {
      out.failed.push_back(name);
      out.errors.push_back(gone.error());
    }
  }
  if (!out.removed.empty()) {
    if (Status synced = files.SyncDir(accounting_dir); !synced) {
      out.errors.push_back(synced.error() + " (removed files may come back after a power loss)");
    }
  }
  return out;
}

// The layout of a credit log or an accounting file not handed over, if `name` is one.
std::optional<ShardLayout> NumberedFileLayout(std::string_view name) {
  for (const std::string_view suffix : {kCreditLogSuffix, kPreparedSuffix}) {
    if (auto numbered = NumberedShardFile::Parse(name, suffix)) {
      return ShardLayout{numbered->index, numbered->count};
    }
  }
  return std::nullopt;
}

// The accounting file among `names` that a layout `going` picks had committed (its baselines name
// it) but not renamed into place (a stop whose last hand-over failed) goes out now, since nothing
// else holds its totals. Returns the temporary names handed over; a layout whose file could not
// be is added to `kept`: its files stay, for a later start to try again.
template <typename Pick>
std::vector<std::string> HandOverCommitted(FileOps& files, const std::string& accounting_dir,
                                           const std::vector<std::string>& names, const Pick& going,
                                           std::vector<ShardLayout>& kept) {
  std::vector<std::string> handed;
  std::uint64_t sequence = std::random_device{}();
  for (const std::string& name : names) {
    const auto prepared = NumberedShardFile::Parse(name, kPreparedSuffix);
    if (!prepared || !going(ShardLayout{prepared->index, prepared->count})) continue;
    auto text = files.ReadFile(BaselineFilePath(accounting_dir, prepared->index, prepared->count));
    SavedBaselines saved;  // the key frame alone: no record is last seen after the cutoff
    if (!text ||
        (!Parse(*text, std::numeric_limits<UnixSeconds>::max(), saved) && !saved.through) ||
        saved.through != prepared->number) {
      continue;
    }
    auto path =
        HandOverAccountingFile(files, accounting_dir, *prepared, SystemClock().WallNow(), sequence);
    if (path) {
      spdlog::info("handed over {} as {}: its layout had saved it with its baselines", name, *path);
      handed.push_back(name);
    } else {
      spdlog::error("cannot hand over {}: {} (its layout's files stay until it can be)", name,
                    path.error());
      kept.push_back({prepared->index, prepared->count});
    }
  }
  return handed;
}

// Removes the files of the layouts `going` picks among `names`: a committed accounting file is
// handed over first (HandOverCommitted); then the credit logs and the accounting files never
// committed; then the baselines of each layout all of whose logs went. Baselines gone before the
// logs they include would leave those to be replayed again.
template <typename Pick>
Removal RemoveLayouts(FileOps& files, const std::string& accounting_dir,
                      const std::vector<std::string>& names, const Pick& going) {
  std::vector<ShardLayout> kept;
  const auto handed = HandOverCommitted(files, accounting_dir, names, going, kept);
  const auto stays = [&](const ShardLayout& layout) {
    return !going(layout) || std::find(kept.begin(), kept.end(), layout) != kept.end();
  };
  Removal out = RemoveFiles(files, accounting_dir, names, [&](const std::string& name) {
    const auto layout = NumberedFileLayout(name);
    return layout && !stays(*layout) && !Listed(handed, name);
  });
  for (const std::string& name : out.failed) kept.push_back(*NumberedFileLayout(name));
  out.Add(RemoveFiles(files, accounting_dir, names, [&](const std::string& name) {
    const auto layout = BaselineFileLayout(name);
    return layout && !stays(*layout);
  }));
  return out;
}

// Removes this shard index's files of other shard counts (RemoveLayouts: what their credit logs
// and uncommitted files held is lost), and the baselines an older build named by the index
// alone, once what they held is loaded: from now on this layout credits their torrents. Other
// indexes' files wait for the shards that read them.
void RemoveSuperseded(FileOps& files, const std::string& accounting_dir,
                      const std::vector<std::string>& names, std::uint32_t shard,
                      std::uint32_t count) {
  const std::string older_build = fmt::format("shard{}.baselines", shard);
  Removal removal = RemoveLayouts(files, accounting_dir, names, [&](const ShardLayout& layout) {
    return layout.index == shard && layout.count != count;
  });
  removal.Add(RemoveFiles(files, accounting_dir, names,
                          [&](const std::string& name) { return name == older_build; }));
  for (const std::string& name : removal.removed) {
    spdlog::info("removed {}: this layout credits its torrents now", name);
  }
  for (const std::string& error : removal.errors) {
    spdlog::warn("{}: delete it by hand (read again only should that layout come back)", error);
  }
}

// Reads one shard's file: removed when it is damaged or an older build's (nothing is read from
// those), after the credit logs it includes (all of its layout's when that cannot be read), which
// would otherwise be replayed again; an error leaves the records before the damage.
Status ReadSaved(FileOps& files, const std::string& accounting_dir,
                 const std::vector<std::string>& names, SavedBaselines& out) {
  const std::string path = BaselineFilePath(accounting_dir, out.index, out.count);
  auto text = files.ReadFile(path);
  if (!text) return Error{text.error()};
  const bool older_form = std::any_of(
      std::begin(kOlderVersions), std::end(kOlderVersions),
      [&text](std::uint16_t version) { return CheckPreamble(*text, kMagic, version).ok(); });
  const Status parsed = older_form ? OkStatus() : Parse(*text, kEveryRecord, out);
  // Kept while it matches the accounting files (the next one replaces it first); a damaged file
  // or an older build's goes, so that the next start does not read it again.
  if (older_form || !parsed) {
    if (older_form) out.through.reset();  // else known once its key frame was read
    // One step at a time: the file goes only once the logs it may include are gone.
    Status step = RemoveCreditLogs(files, accounting_dir, names, out.index, out.count, out.through);
    if (step) step = files.Remove(path);
    if (step) step = files.SyncDir(accounting_dir);
    if (!step) {
      out.baselines.clear();
      return Error{step.error() + "; its baselines are not used: delete " + path +
                   " and its layout's credit logs"};
    }
  }
  if (older_form) {
    spdlog::info(
        "removed {} unread: an older build saved its baselines in another form; each client's "
        "next announce sets where its counters stand",
        path);
  }
  if (!parsed) return Error{path + ": " + parsed.error()};
  return OkStatus();
}

// Of this shard index's files (of any shard count) whose set the state load read, the one saved
// by the latest run; the others are older, so nothing in them can be newer. A file without its
// set's snapshots has nothing left to be checked against, and is not read. `status`: how reading
// the chosen one went.
std::optional<SavedBaselines> ReadLatest(FileOps& files, const std::string& accounting_dir,
                                         const std::vector<std::string>& names, const ShardRun& run,
                                         const std::vector<FileSet>& sets, Status& status,
                                         std::optional<std::uint64_t>& own_through) {
  std::optional<SavedBaselines> latest;
  for (const std::string& name : names) {
    const auto layout = BaselineFileLayout(name);
    if (!layout || name.ends_with(".tmp") || layout->index != run.shard) continue;
    const bool set_read = std::any_of(sets.begin(), sets.end(), [&](const FileSet& set) {
      return IsSet(set, layout->index, layout->count);
    });
    if (!set_read) continue;
    SavedBaselines saved;
    saved.index = layout->index;
    saved.count = layout->count;
    Status read = ReadSaved(files, accounting_dir, names, saved);
    if (saved.count == run.count) own_through = saved.through;
    if (!latest || saved.since > latest->since) {
      latest = std::move(saved);
      status = std::move(read);
    } else if (!read) {
      spdlog::warn("accounting baselines of an older run: {}", read.error());
    }
  }
  return latest;
}

// Removes the saved baselines, if any, and syncs the directory.
Status RemoveBaselines(FileOps& files, const std::string& accounting_dir, std::uint32_t shard,
                       std::uint32_t count) {
  // Not asked whether it exists first: a stat that fails would pass for "no file".
  if (Status removed = files.Remove(BaselineFilePath(accounting_dir, shard, count)); !removed) {
    return removed;  // a missing file is no error
  }
  return files.SyncDir(accounting_dir);
}

// This layout's file made this run's: what was loaded (even nothing), or no file. Any other file
// under its name would be older than this run's first snapshot, which then hides what makes it
// stale (the other layouts' newer files, which `retire` may remove). Either way the credit logs
// above `through` are still to be replayed on top; without the file, those up to it go first.
Status MakeOwnFileThisRuns(FileOps& files, const std::string& accounting_dir,
                           const std::vector<std::string>& names, const ShardRun& run,
                           std::uint64_t through, const TransferLedger& ledger) {
  // Saved even empty while it marks the accounting file it committed as such (not handed over
  // yet: the start does that next).
  const bool marks_a_file =
      through > 0 &&
      Listed(names, NumberedShardFile{run.shard, run.count, through}.ToString(kPreparedSuffix));
  if ((ledger.baselines() > 0 || marks_a_file) &&
      SaveBaselines(files, accounting_dir, run, through, ledger)) {
    return OkStatus();
  }
  if (Status logs_gone =
          RemoveCreditLogs(files, accounting_dir, names, run.shard, run.count, through);
      !logs_gone) {
    return logs_gone;
  }
  return RemoveBaselines(files, accounting_dir, run.shard, run.count);
}

bool StillLatest(const std::vector<FileSet>& sets, const SavedBaselines& file,
                 const InfoHash& hash) {
  return StillLatest(sets, {file.index, file.count}, file.since, hash);
}

}  // namespace

Status ReadBaselineFile(FileOps& files, const std::string& accounting_dir, SavedBaselines& out) {
  auto text = files.ReadFile(BaselineFilePath(accounting_dir, out.index, out.count));
  if (!text) return Error{text.error()};
  return Parse(*text, kEveryRecord, out);
}

bool StillLatest(const std::vector<FileSet>& sets, ShardLayout saved_by, std::uint64_t since,
                 const InfoHash& hash) {
  return std::none_of(sets.begin(), sets.end(), [&](const FileSet& set) {
    return !IsSet(set, saved_by.index, saved_by.count) && set.Owns(hash) && set.generation >= since;
  });
}

std::string BaselineFileName(std::uint32_t shard, std::uint32_t count) {
  return fmt::format("shard{}-of-{}.baselines", shard, count);
}

std::string BaselineFilePath(const std::string& accounting_dir, std::uint32_t shard,
                             std::uint32_t count) {
  return JoinPath(accounting_dir, BaselineFileName(shard, count));
}

Status SaveBaselines(FileOps& files, const std::string& accounting_dir, const ShardRun& run,
                     std::uint64_t through, const TransferLedger& ledger, bool* directory_synced) {
  return SaveBaselines(files, accounting_dir, run, through, ledger.client_key(), ledger.Baselines(),
                       directory_synced);
}

Status SaveBaselines(FileOps& files, const std::string& accounting_dir, const ShardRun& run,
                     std::uint64_t through, const SipHashKey& client_key,
                     const std::vector<TransferLedger::PeerBaseline>& baselines,
                     bool* directory_synced) {
  if (Status created = files.CreateDir(accounting_dir); !created) return created;
  std::string out;
  AppendPreamble(out, kMagic, kVersion);
  EncodeClientKey(client_key, run, through, out);
  for (const auto& baseline : baselines) Encode(baseline, out);
  const std::string path = BaselineFilePath(accounting_dir, run.shard, run.count);
  if (Status written = WriteWholeFile(files, path + ".tmp", out); !written) return written;
  if (Status renamed = files.Rename(path + ".tmp", path); !renamed) return renamed;
  // In place from here: the file says what it includes, so a failure must not pass for "not
  // saved" (the caller would hand its totals on again).
  const Status synced = files.SyncDir(accounting_dir);
  if (!synced) {
    spdlog::warn("{} saved, but: {} (a power loss may bring back the one it replaced)", path,
                 synced.error());
  }
  if (directory_synced != nullptr) *directory_synced = synced.ok();
  return OkStatus();
}

Result<std::vector<std::string>> RetireOtherCountBaselines(
    FileOps& files, const std::string& accounting_dir, std::uint32_t count,
    const std::vector<std::uint32_t>& counts_kept) {
  auto names = ListSaved(files, accounting_dir);
  if (!names) return Error{names.error()};
  Removal removal = RemoveLayouts(files, accounting_dir, *names, [&](const ShardLayout& layout) {
    return layout.count != count &&
           std::find(counts_kept.begin(), counts_kept.end(), layout.count) == counts_kept.end();
  });
  if (!removal.errors.empty()) return Error{removal.errors.front()};
  return std::move(removal.removed);
}

Result<LoadedBaselines> LoadBaselines(FileOps& files, const std::string& accounting_dir,
                                      const ShardRun& run, const std::vector<FileSet>& sets,
                                      TransferLedger& ledger) {
  auto names = ListSaved(files, accounting_dir);
  if (!names) return Error{names.error()};
  if (names->empty()) return LoadedBaselines{};  // nothing saved, nothing to replace
  Status read = OkStatus();
  std::optional<std::uint64_t> own_through;
  auto latest = ReadLatest(files, accounting_dir, *names, run, sets, read, own_through);
  if (!own_through && Listed(*names, BaselineFileName(run.shard, run.count))) {
    // This layout's file, unread: which of its credit logs it includes is unknown.
    if (Status gone =
            RemoveCreditLogs(files, accounting_dir, *names, run.shard, run.count, std::nullopt);
        !gone) {
      return Error{"cannot remove the credit logs of an unread " +
                   BaselineFilePath(accounting_dir, run.shard, run.count) + ": " + gone.error() +
                   " (they could credit a transfer twice; fix the directory or delete them)"};
    }
  }
  const std::uint64_t through = own_through.value_or(0);
  std::size_t read_count = 0;
  if (latest) {
    read_count = latest->baselines.size();
    std::erase_if(latest->baselines, [&](const TransferLedger::PeerBaseline& baseline) {
      return ShardFor(baseline.info_hash, run.count) != run.shard ||
             !StillLatest(sets, *latest, baseline.info_hash);
    });
    if (!latest->baselines.empty()) ledger.SetClientKey(latest->client_key);
    // Newest first: over a bound lowered since, those that expired are the ones left out.
    std::stable_sort(latest->baselines.begin(), latest->baselines.end(),
                     [](const auto& a, const auto& b) { return a.last_seen > b.last_seen; });
    for (const auto& baseline : latest->baselines) ledger.AddBaseline(baseline);
  }
  const bool own_file_as_is =
      latest && latest->count == run.count && read.ok() && latest->baselines.size() == read_count;
  if (!own_file_as_is) {
    if (Status made = MakeOwnFileThisRuns(files, accounting_dir, *names, run, through, ledger);
        !made) {
      return Error{"cannot replace " + BaselineFilePath(accounting_dir, run.shard, run.count) +
                   " with this start's baselines: " + made.error() +
                   " (left as it is, it could credit a transfer twice; fix the directory or "
                   "delete the file)"};
    }
  }
  RemoveSuperseded(files, accounting_dir, *names, run.shard, run.count);
  return LoadedBaselines{latest ? latest->baselines.size() : 0, read.ok() ? "" : read.error(),
                         through};
}

}  // namespace shardtrack
