#include "frontend/access/access_list_reloader.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

namespace shardtrack {

AccessListReloader::AccessListReloader(EventLoop& loop, std::string path, Duration interval,
                                       FileStamp loaded, TorrentAccess& access)
    : loop_(loop),
      path_(std::move(path)),
      interval_(interval),
      access_(access),
      seen_(loaded),
      worker_(loop) {}

AccessListReloader::~AccessListReloader() { loop_.Cancel(timer_); }

void AccessListReloader::Start() {
  timer_ = loop_.RunAfter(interval_, [this] { OnTimer(); });
}

void AccessListReloader::Reload() {
  spdlog::info("reloading the access list {}", path_);
  if (worker_.busy()) {
    reload_wanted_ = true;
    return;
  }
  Check(true);
}

void AccessListReloader::OnTimer() {
  Start();
  if (!worker_.busy()) Check(false);
}

void AccessListReloader::Check(bool force) {
  worker_.Start(
      [force, seen = seen_, &found = found_, &path = path_] {
        found.stamp = StampOf(path);
        found.loaded.reset();
        if (force || found.stamp != seen) found.loaded = LoadAccessList(path);
        return OkStatus();
      },
      [this](Status) { OnChecked(); });
}

void AccessListReloader::OnChecked() {
  ++checks_;
  seen_ = found_.stamp;
  if (found_.loaded && found_.loaded->ok()) {
    const std::size_t entries = found_.loaded->value().size();
    access_.Replace(std::move(found_.loaded->value()));
    spdlog::info("access list {} reloaded: {} torrents", path_, entries);
  } else if (found_.loaded) {
    access_.CountFailedReload();
    spdlog::error(
        "access list not reloaded, the previous one ({} torrents) stays in force: {}; fix the "
        "file (write the new one beside it and rename it over the old) and it is read again "
        "within {} s, or send SIGHUP",
        access_.entries(), found_.loaded->error(),
        std::chrono::duration_cast<std::chrono::seconds>(interval_).count());
  }
  found_.loaded.reset();
  if (std::exchange(reload_wanted_, false)) Check(true);
}

}  // namespace shardtrack
