// FrontendRuntime: everything a frontend runs on an event loop: the HTTP and UDP trackers, the
// router to the shards, the operator's list files (access list, passkeys, client list) and their
// reloads, and the metrics. SIGINT/SIGTERM drain it (the listeners close after --drain-grace-ms,
// requests in flight are answered) and then stop the loop; SIGHUP reloads the list files.
// shardtrack-frontend runs one per process; shardtrack-node runs one beside its shards. Loop thread
// only.
#pragma once

#include <memory>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/reactor/event_loop.h"
#include "common/result.h"
#include "frontend/frontend_settings.h"

namespace shardtrack {

class FrontendRuntime {
  struct OnlyCreate {  // a key only Create can make: the constructor is public for make_unique
    explicit OnlyCreate() = default;
  };

 public:
  // Checks the settings and builds the parts; an error names the setting at fault. Call it
  // before anything creates a ZeroMQ socket or another thread: it blocks the signals it watches,
  // and threads started later inherit that. `settings` and `clock` must outlive the runtime.
  // `descriptors_elsewhere`: what the rest of the process holds open (a node's shards), which
  // the open-file limit must leave room for beside --max-connections.
  static Result<std::unique_ptr<FrontendRuntime>> Create(EventLoop& loop, zmq::context_t& context,
                                                         const FrontendSettings& settings,
                                                         const Clock& clock,
                                                         std::uint64_t descriptors_elsewhere = 0);
  explicit FrontendRuntime(OnlyCreate);
  ~FrontendRuntime();
  FrontendRuntime(const FrontendRuntime&) = delete;
  FrontendRuntime& operator=(const FrontendRuntime&) = delete;

  // Opens the HTTP listener (and the UDP socket with --udp-port), then logs the ready line.
  Status Start();
  // Whether Start could take --port, --udp-port and --metrics-listen now (one port given to
  // both TCP listeners is refused): a node asks before it loads its shards (minutes, and a
  // snapshot each, at millions of peers), not after.
  Status CheckPorts();
  // Served at /metrics; other parts of the process may add their series.
  MetricsRegistry& metrics_registry();

 private:
  struct Parts;
  // SIGINT and SIGTERM drain, SIGHUP reloads the list files.
  void WatchSignals(EventLoop& loop);

  std::unique_ptr<Parts> parts_;
};

}  // namespace shardtrack
