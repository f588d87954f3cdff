// Asker: an HTTP request as its answer needs it once the request itself is gone: where the answer
// goes, and what the metrics record of it (the route it took, and when it arrived, which its
// latency runs from). Made when the request arrives and kept by what answers it later: an
// exchange waiting on shards, or a shared fan-out's waiters. Pure.
#pragma once

#include "common/clock.h"
#include "frontend/frontend_metrics.h"
#include "frontend/http_server.h"

namespace shardtrack {

struct Asker {
  ResponseSlot slot;
  Route route = Route::kOther;
  MonoTime started{};
  bool gzip = false;  // takes a full scrape gzipped: it accepts gzip and --full-scrape-gzip is on
};

}  // namespace shardtrack
