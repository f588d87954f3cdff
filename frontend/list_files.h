// The operator's list files (--access-list, --passkey-file, --client-list, --ip-list): each read
// once at start, where a missing or malformed file is an error, then kept in step with its file
// by a ListFileReloader (every interval, and at once on SIGHUP). A list without a file is off and
// has no reloader. Loop thread only.
#pragma once

#include <optional>
#include <utility>

#include "common/list_file.h"
#include "common/list_file_reloader.h"
#include "common/reactor/event_loop.h"
#include "common/result.h"
#include "frontend/access/client_access.h"
#include "frontend/access/ip_access.h"
#include "frontend/access/passkey_access.h"
#include "frontend/access/torrent_access.h"
#include "frontend/frontend_metrics.h"
#include "frontend/frontend_settings.h"

namespace shardtrack {

// One list file as start-up found it: its settings, the version of the file it read, the list in
// force (off without a file), and the loader that read it (which the reloader takes over).
template <typename Target>
struct StartingList {
  ListFileSettings settings;
  FileStamp stamp;
  Target target;
  typename Target::Loader loader;
};

struct StartingLists {
  StartingList<TorrentAccess> access;
  StartingList<PasskeyAccess> passkeys;
  StartingList<ClientAccess> clients;
  StartingList<IpAccess> ips;
};

// The four lists in force at start; an error names the flag, the file and the bad line.
Result<StartingLists> LoadStartingLists(const FrontendSettings& settings);

// A list in force and, once started with a file, its reloader (which borrows `list.target`, so
// this stays where it was made).
template <typename Target>
struct ReloadedList {
  explicit ReloadedList(StartingList<Target> starting) : list(std::move(starting)) {}

  bool enabled() const { return list.target.enabled(); }
  Target& target() { return list.target; }
  // What Admission takes: the list, or null when it is off.
  Target* in_force() { return enabled() ? &target() : nullptr; }
  // Checks the file from now on.
  void StartReloading(EventLoop& loop) {
    reloader.emplace(loop, list.settings.path, list.settings.interval, list.stamp, list.target,
                     std::move(list.loader));
    reloader->Start();
  }
  void Reload() {
    if (reloader) reloader->Reload();
  }

  StartingList<Target> list;
  std::optional<ListFileReloader<Target>> reloader;
};

struct ReloadedLists {
  explicit ReloadedLists(StartingLists starting);

  // Each list with a file: its series in `metrics`, and its file checked from now on.
  void StartReloading(EventLoop& loop, FrontendMetrics& metrics);
  bool any_enabled() const;
  // SIGHUP: every list with a file is read again.
  void Reload();

  ReloadedList<TorrentAccess> access;
  ReloadedList<PasskeyAccess> passkeys;
  ReloadedList<ClientAccess> clients;
  ReloadedList<IpAccess> ips;
};

}  // namespace shardtrack
