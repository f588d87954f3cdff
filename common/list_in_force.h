// ListInForce: what every list read from an operator's file shares (the frontends' access, passkey,
// client and IP lists, the shards' frontend keys): the list the file gave (none: the feature is
// off) and how its reloads went. A ListFileReloader swaps a new
// list in with Replace. Each derived class adds what it checks and counts. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "common/metrics.h"

namespace shardtrack {

template <typename ListType>
class ListInForce {
 public:
  using List = ListType;
  struct Reloads {
    std::uint64_t ok = 0;      // a new list came into force
    std::uint64_t failed = 0;  // the file was missing or malformed; the list in force stayed
    bool stale = false;        // the last reload failed: the file is not the list in force
  };

  ListInForce() = default;  // off
  explicit ListInForce(List list) : enabled_(true), list_(std::move(list)) {}

  bool enabled() const { return enabled_; }
  std::size_t entries() const { return list_.size(); }
  const Reloads& reloads() const { return reloads_; }

  // A reloaded list takes the place of the one in force.
  void Replace(List list) {
    list_ = std::move(list);
    ++reloads_.ok;
    reloads_.stale = false;
  }
  // A reload failed and the list in force stays.
  void CountFailedReload() {
    ++reloads_.failed;
    reloads_.stale = true;
  }
  // Why a reloaded `list` must not replace the one in force, though its file parsed; empty: it
  // may. Whether the list in force lets nothing through. (ModalList has its own of both.)
  std::string RefusalOf(const List& /*list*/) const { return {}; }
  bool RefusesEverything() const { return false; }

 protected:
  const List& list() const { return list_; }

 private:
  bool enabled_ = false;
  List list_;
  Reloads reloads_;
};

// A file's loader (ListFileReloader's Target::Loader) that calls `load(path)` each time.
template <auto load>
struct PlainLoader {
  auto Load(const std::string& path) const { return load(path); }
};

// A list's reloads as `name`{result="ok"|"failed"}, with `labels` besides, and whether the file
// is stale as a gauge named like it ("shardtrack_access_list_reloads_total" gives
// "shardtrack_access_list_stale"): a failed reload is counted once, but stays until the file is
// fixed. `list` must outlive the registry.
template <typename Target>
void AddReloadCounters(MetricsRegistry& registry, const char* name, const Target& list,
                       const MetricLabels& labels = {}) {
  const std::string help = "Reloads of a changed " + std::string(Target::kFileKind) +
                           ": ok (the new list is in force) or failed (missing or "
                           "malformed; the previous list stays).";
  MetricLabels ok = labels;
  ok.emplace_back("result", "ok");
  registry.AddCounter(name, help, ok, [&list] { return list.reloads().ok; });
  MetricLabels failed = labels;
  failed.emplace_back("result", "failed");
  registry.AddCounter(name, help, failed, [&list] { return list.reloads().failed; });
  const std::string counter = name;
  const std::string stale = counter.substr(0, counter.rfind("_reloads_total")) + "_stale";
  registry.AddGauge(stale,
                    "1 while the " + std::string(Target::kFileKind) +
                        " on disk is missing or malformed and an older list is in force.",
                    labels, [&list] { return list.reloads().stale ? 1.0 : 0.0; });
}

}  // namespace shardtrack
