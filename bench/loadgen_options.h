// LoadgenOptions: every setting of shardtrack-loadgen with its default, and their translation
// into a Workload's options. Value type. Pure.
#pragma once

#include <cstdint>
#include <string>

#include "bench/workload.h"
#include "common/flags.h"
#include "common/result.h"

namespace shardtrack {

// "announce", "scrape", "mix" or "populate": what --mode takes, and the run's label.
std::string ModeName(WorkloadMode mode);

struct LoadgenOptions {
  std::string host = "127.0.0.1";  // the tracker's IPv4 address, a loopback one
  std::uint16_t port = 6969;
  // Source addresses 127.0.0.1 .. 127.0.0.<sources>: peer p always announces from one of them,
  // so trackers that key peers by address and port see distinct peers.
  std::uint32_t sources = 8;
  std::uint32_t connections = 64;  // concurrent connections, one request in flight on each
  WorkloadMode mode = WorkloadMode::kAnnounce;
  bool keep_alive = true;             // false: a new connection per request
  std::string distribution = "zipf";  // zipf, gamma (aquatic's 0.2, 100) or uniform
  double zipf_s = 1.0;
  std::int64_t torrents = 10000;
  std::int64_t peers = 100000;
  std::int64_t numwant = 50;
  double started_percent = 5;
  double completed_percent = 2;
  double stopped_percent = 3;
  double seeder_percent = 25;
  double scrape_fraction = 0.2;  // mix mode
  double warmup = 1;             // seconds of load before measuring
  double duration = 5;           // seconds measured (0: until --requests replies)
  std::int64_t requests = 0;     // requests measured, failures included (0: use --duration)
  double rate = 0;     // requests per second across all connections; 0 = as fast as possible
  double timeout = 5;  // seconds from a request's origin after which it is a timeout
  std::int64_t seed = 1;
  std::int64_t print_infohashes = 0;  // print this many torrents' hex infohashes and exit
  std::int64_t passkeys = 0;          // members (peer p uses passkey p mod N); 0: none
  bool print_passkeys = false;        // print the --passkeys passkeys (a passkey file) and exit
  std::string label;                  // copied into the JSON line

  void Register(FlagSet& flags);
  // Builds the workload's options, checking what relates settings; each setting's own range
  // is Register's, held by FlagSet (so `sources` is at least 1 here).
  Result<WorkloadOptions> ToWorkloadOptions() const;
};

}  // namespace shardtrack
