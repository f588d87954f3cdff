#include "frontend/list_files.h"

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

#include "common/secret_permissions.h"

namespace shardtrack {
namespace {

// The list in force at start (off without a file). `make` turns the file's list and the mode
// into a Target.
template <typename Target, typename Make>
Result<StartingList<Target>> LoadStartingList(std::string_view flag, ListFileSettings settings,
                                              Make make) {
  StartingList<Target> starting{std::move(settings), {}, Target(), {}};
  if (starting.settings.path.empty()) return starting;
  starting.stamp = StampOf(starting.settings.path);
  auto list = starting.loader.Load(starting.settings.path);
  if (!list) return Error{"--" + std::string(flag) + ": " + list.error()};
  starting.target = make(std::move(*list), starting.settings.mode);
  spdlog::info("{} {}: {} {} in force", Target::kFileKind, starting.settings.path,
               starting.target.entries(), Target::kEntryKind);
  if (starting.target.RefusesEverything()) {
    spdlog::warn(
        "--{} {} names nothing, and in allow mode that refuses every request until it "
        "names something (was it written half-way?)",
        flag, starting.settings.path);
  }
  return starting;
}

// A mode other than its list's default does nothing without the list: said, since the list was
// likely meant to be given too.
void WarnOfAModeWithoutItsList(std::string_view mode_flag, AccessMode mode, AccessMode default_mode,
                               std::string_view list_flag, const std::string& list_path) {
  if (mode == default_mode || !list_path.empty()) return;
  spdlog::warn("--{} {} does nothing without --{}: that list is off", mode_flag,
               WordFor(AccessModeWords(), mode), list_flag);
}

}  // namespace

Result<StartingLists> LoadStartingLists(const FrontendSettings& settings) {
  const FrontendSettings defaults;
  WarnOfAModeWithoutItsList("access-mode", settings.access_mode, defaults.access_mode,
                            "access-list", settings.access_list);
  WarnOfAModeWithoutItsList("client-mode", settings.client_mode, defaults.client_mode,
                            "client-list", settings.client_list);
  WarnOfAModeWithoutItsList("ip-mode", settings.ip_mode, defaults.ip_mode, "ip-list",
                            settings.ip_list);
  auto access = LoadStartingList<TorrentAccess>(
      "access-list", AccessSettingsFrom(settings),
      [](AccessList list, AccessMode mode) { return TorrentAccess(mode, std::move(list)); });
  if (!access.ok()) return Error{access.error()};
  auto passkeys = LoadStartingList<PasskeyAccess>(
      "passkey-file", PasskeySettingsFrom(settings),
      [](PasskeyList list, AccessMode) { return PasskeyAccess(std::move(list)); });
  if (!passkeys.ok()) return Error{passkeys.error()};
  if (!settings.passkey_file.empty()) {
    WarnIfOthersMayRead("--passkey-file: ", settings.passkey_file,
                        "whoever reads it can announce as any member");
  }
  auto clients = LoadStartingList<ClientAccess>(
      "client-list", ClientListSettingsFrom(settings),
      [](ClientList list, AccessMode mode) { return ClientAccess(mode, std::move(list)); });
  if (!clients.ok()) return Error{clients.error()};
  auto ips = LoadStartingList<IpAccess>(
      "ip-list", IpListSettingsFrom(settings),
      [](IpList list, AccessMode mode) { return IpAccess(mode, std::move(list)); });
  if (!ips.ok()) return Error{ips.error()};
  return StartingLists{std::move(*access), std::move(*passkeys), std::move(*clients),
                       std::move(*ips)};
}

ReloadedLists::ReloadedLists(StartingLists starting)
    : access(std::move(starting.access)),
      passkeys(std::move(starting.passkeys)),
      clients(std::move(starting.clients)),
      ips(std::move(starting.ips)) {}

void ReloadedLists::StartReloading(EventLoop& loop, FrontendMetrics& metrics) {
  const auto start = [&](auto& list, auto watch) {
    if (!list.enabled()) return;
    (metrics.*watch)(list.target());
    list.StartReloading(loop);
  };
  start(access, &FrontendMetrics::WatchAccess);
  start(passkeys, &FrontendMetrics::WatchPasskeys);
  start(clients, &FrontendMetrics::WatchClients);
  start(ips, &FrontendMetrics::WatchIps);
}

bool ReloadedLists::any_enabled() const {
  return access.enabled() || passkeys.enabled() || clients.enabled() || ips.enabled();
}

void ReloadedLists::Reload() {
  access.Reload();
  passkeys.Reload();
  clients.Reload();
  ips.Reload();
}

}  // namespace shardtrack
