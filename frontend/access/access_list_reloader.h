// AccessListReloader: keeps a TorrentAccess's list in step with its file (the original tracker's
// parse_allowed_interval). Every `interval` a BackgroundWorker thread stats the file and, when
// its size, mtime or inode changed, reads and parses it; the new list is swapped in on the loop
// and logged with its entry count. A missing or malformed file keeps the list in force and is
// logged once per version of the file, saying what is wrong and what to do. Reload() (SIGHUP)
// checks at once and re-reads the file even when it looks unchanged. The loop never waits for
// the disk. Loop thread only; borrows the loop and the TorrentAccess, which must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/reactor/background_worker.h"
#include "common/reactor/event_loop.h"
#include "frontend/access/access_list_file.h"
#include "frontend/access/torrent_access.h"

namespace shardtrack {

class AccessListReloader {
 public:
  // `loaded`: the stamp of the file version `access` holds now (read at start-up).
  AccessListReloader(EventLoop& loop, std::string path, Duration interval, FileStamp loaded,
                     TorrentAccess& access);
  ~AccessListReloader();
  AccessListReloader(const AccessListReloader&) = delete;
  AccessListReloader& operator=(const AccessListReloader&) = delete;

  // Checks the file every `interval` from now on.
  void Start();
  // Re-reads the file now (or as soon as a check in progress has finished).
  void Reload();
  // Checks finished so far, whether or not the file had changed.
  std::uint64_t checks() const { return checks_; }

 private:
  // What a check found, written by the worker thread and read on the loop once it is done.
  struct Found {
    FileStamp stamp;
    std::optional<Result<AccessList>> loaded;  // empty: the file did not change
  };

  void OnTimer();
  void Check(bool force);
  void OnChecked();

  EventLoop& loop_;
  const std::string path_;
  const Duration interval_;
  TorrentAccess& access_;
  FileStamp seen_;  // the version last loaded or last refused: not read again until it changes
  bool reload_wanted_ = false;
  std::uint64_t checks_ = 0;
  TimerId timer_ = 0;
  Found found_;
  BackgroundWorker worker_;  // last: its thread stops before the members it writes go
};

}  // namespace shardtrack
