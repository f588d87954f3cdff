// ListFileReloader: keeps a list in force in step with its file (the original tracker's
// parse_allowed_interval). Every `interval` a BackgroundWorker thread stats the file and, when
// its size, mtime or inode changed, reads and parses it; the new list is swapped in on the loop
// and logged with its entry count. A missing or malformed file keeps the list in force and is
// logged once per version of the file, saying what is wrong and what to do. Reload() (SIGHUP)
// checks at once and re-reads the file even when it looks unchanged. The loop never waits for
// the disk. Loop thread only; borrows the loop and the target, which must outlive it.
//
// `Target` holds the list in force (TorrentAccess, PasskeyAccess, ClientAccess: a ListInForce,
// which gives List, Replace, CountFailedReload, RefusalOf and entries) and provides besides:
//   static constexpr std::string_view kFileKind  "access list", for the log
//   static constexpr std::string_view kEntryKind "torrents"
//   Loader, whose Result<List> Load(const std::string& path) reads the file: blocking, it runs
//     on the worker. It may remember what it read, to read less the next time (a directory of
//     torrent files is read only where it changed); PlainLoader (list_in_force.h) does not.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "common/clock.h"
#include "common/list_file.h"
#include "common/reactor/background_worker.h"
#include "common/reactor/event_loop.h"
#include "common/result.h"

namespace shardtrack {

template <typename Target>
class ListFileReloader {
 public:
  using Loader = typename Target::Loader;

  // `loaded`: the stamp of the file version `target` holds now, which `loader` read at start-up.
  ListFileReloader(EventLoop& loop, std::string path, Duration interval, FileStamp loaded,
                   Target& target, Loader loader = {})
      : loop_(loop),
        path_(std::move(path)),
        interval_(interval),
        target_(target),
        seen_(loaded),
        loader_(std::move(loader)),
        worker_(loop) {}
  ~ListFileReloader() { loop_.Cancel(timer_); }
  ListFileReloader(const ListFileReloader&) = delete;
  ListFileReloader& operator=(const ListFileReloader&) = delete;

  // Checks the file every `interval` from now on.
  void Start() {
    timer_ = loop_.RunAfter(interval_, [this] { OnTimer(); });
  }
  // Re-reads the file now (or as soon as a check in progress has finished).
  void Reload() {
    spdlog::info("reloading the {} {}", Target::kFileKind, path_);
    if (worker_.busy()) {
      reload_wanted_ = true;
      return;
    }
    Check(true);
  }
  // Checks finished so far, whether or not the file had changed.
  std::uint64_t checks() const { return checks_; }

 private:
  using List = typename Target::List;
  // What a check found, written by the worker thread and read on the loop once it is done.
  struct Found {
    FileStamp stamp;
    std::optional<Result<List>> loaded;  // empty: the file did not change
  };

  void OnTimer() {
    Start();
    if (!worker_.busy()) Check(false);
  }

  void Check(bool force) {
    worker_.Start(
        [force, seen = seen_, &found = found_, &path = path_, &loader = loader_] {
          found.stamp = StampOf(path);
          found.loaded.reset();
          if (force || found.stamp != seen) found.loaded = loader.Load(path);
          return OkStatus();
        },
        [this](Status) { OnChecked(); });
  }

  void OnChecked() {
    ++checks_;
    seen_ = found_.stamp;
    if (found_.loaded && found_.loaded->ok()) {
      std::string refusal = target_.RefusalOf(found_.loaded->value());
      if (!refusal.empty()) found_.loaded = Result<List>(Error{std::move(refusal)});
    }
    if (found_.loaded && found_.loaded->ok()) {
      target_.Replace(std::move(found_.loaded->value()));
      spdlog::info("{} {} reloaded: {} {}", Target::kFileKind, path_, target_.entries(),
                   Target::kEntryKind);
    } else if (found_.loaded) {
      target_.CountFailedReload();
      spdlog::error(
          "{} not reloaded, the previous one ({} {}) stays in force: {}; fix the file (write the "
          "new one beside it and rename it over the old) and it is read again within {} s, or "
          "send SIGHUP",
          Target::kFileKind, target_.entries(), Target::kEntryKind, found_.loaded->error(),
          std::chrono::duration_cast<std::chrono::seconds>(interval_).count());
    }
    found_.loaded.reset();
    if (std::exchange(reload_wanted_, false)) Check(true);
  }

  EventLoop& loop_;
  const std::string path_;
  const Duration interval_;
  Target& target_;
  FileStamp seen_;  // the version last loaded or last refused: not read again until it changes
  bool reload_wanted_ = false;
  std::uint64_t checks_ = 0;
  TimerId timer_ = 0;
  Loader loader_;  // the worker's while a check runs
  Found found_;
  BackgroundWorker worker_;  // last: its thread stops before the members it writes go
};

}  // namespace shardtrack
