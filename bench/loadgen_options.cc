#include "bench/loadgen_options.h"

#include <arpa/inet.h>

#include <limits>

#include "bench/request_builder.h"
#include "bench/torrent_picker.h"

namespace shardtrack {
namespace {

constexpr std::int64_t kMaxSources = 254;  // 127.0.0.1 to 127.0.0.254

// Requests leave from 127.0.0.1..127.0.0.<sources>, which reach only a loopback address.
Status CheckHost(const std::string& host) {
  in_addr address{};
  if (::inet_pton(AF_INET, host.c_str(), &address) != 1) {
    return Error{"--host must be an IPv4 address, not '" + host + "'"};
  }
  if ((ntohl(address.s_addr) >> 24) != 127) {
    return Error{
        "--host must be a loopback address (127.x.x.x): requests are sent from "
        "127.0.0.1..127.0.0.<sources>, not '" +
        host + "'"};
  }
  return OkStatus();
}

// Peers are told apart by source address and port, and a source has kBenchPortsPerSource ports.
Status CheckPeersPerSource(std::int64_t peers, std::uint32_t sources) {
  const std::int64_t per_source = (peers + sources - 1) / sources;
  if (per_source <= kBenchPortsPerSource) return OkStatus();
  return Error{"--peers " + std::to_string(peers) + " over --sources " + std::to_string(sources) +
               " is " + std::to_string(per_source) + " peers per source address, more than its " +
               std::to_string(kBenchPortsPerSource) + " ports tell apart: raise --sources (up to " +
               std::to_string(kMaxSources) + ") or lower --peers"};
}

const Words<WorkloadMode> kModes = {{"announce", WorkloadMode::kAnnounce},
                                    {"scrape", WorkloadMode::kScrape},
                                    {"mix", WorkloadMode::kMix},
                                    {"populate", WorkloadMode::kPopulate}};

}  // namespace

std::string ModeName(WorkloadMode mode) { return WordFor(kModes, mode); }

void LoadgenOptions::Register(FlagSet& flags) {
  flags.Add("host", &host, "the tracker's IPv4 address, a loopback one (127.x.x.x)");
  flags.Add("port", &port, "the tracker's HTTP port");
  flags.Add("sources", &sources, "source addresses 127.0.0.1..127.0.0.N",
            Between(1, kMaxSources, "the host numbers of 127.0.0.0/24"));
  flags.Add("connections", &connections, "concurrent connections, one request in flight each",
            AtLeast(1));
  flags.Add("mode", &mode,
            "what is sent: announces, scrapes, a mix of both, or populate (each peer announces "
            "once, then the run ends)",
            kModes);
  flags.Add("keep-alive", &keep_alive, "reuse connections (--keep-alive=false: one per request)");
  flags.Add("distribution", &distribution, "torrent popularity",
            WordsOf(TorrentPicker::Distributions()));
  flags.Add("zipf-s", &zipf_s, "Zipf exponent");
  flags.Add("torrents", &torrents, "torrents in the workload", AtLeast(1));
  flags.Add("peers", &peers,
            "distinct peers in the workload (at most " + std::to_string(kBenchPortsPerSource) +
                " per source)",
            AtLeast(1));
  flags.Add("numwant", &numwant, "numwant of each announce",
            Between(0, std::numeric_limits<int>::max()));
  flags.Add("started-percent", &started_percent, "announces with event=started");
  flags.Add("completed-percent", &completed_percent, "announces with event=completed");
  flags.Add("stopped-percent", &stopped_percent, "announces with event=stopped");
  flags.Add("seeder-percent", &seeder_percent, "peer/torrent pairs that announce left=0");
  flags.Add("scrape-fraction", &scrape_fraction, "share of scrapes in mix mode");
  flags.Add("warmup", &warmup, "seconds of load before measuring");
  flags.Add("duration", &duration,
            "seconds measured (0: until --requests requests are answered or failed)");
  flags.Add("requests", &requests,
            "requests to measure, failed ones included, then stop (0: use --duration)");
  flags.Add("rate", &rate, "requests per second over all connections (0: closed loop, max)");
  flags.Add("timeout", &timeout,
            "seconds from a request's start (paced: its scheduled time) after which it is a "
            "timeout, answered later or not");
  flags.Add("seed", &seed, "random seed");
  flags.Add("print-infohashes", &print_infohashes,
            "print the hex infohashes of torrents 0..N-1 (a whitelist) and exit");
  flags.Add("passkeys", &passkeys,
            "members: peer p announces to /<passkey p mod N>/announce (0: plain /announce)");
  flags.Add("print-passkeys", &print_passkeys,
            "print the --passkeys passkeys, one a line (the tracker's --passkey-file), and exit");
  flags.Add("label", &label, "a label copied into the JSON line");
}

Result<WorkloadOptions> LoadgenOptions::ToWorkloadOptions() const {
  if (auto host_ok = CheckHost(host); !host_ok.ok()) return Error{host_ok.error()};
  if (auto spread = CheckPeersPerSource(peers, sources); !spread.ok()) return Error{spread.error()};
  if (started_percent + completed_percent + stopped_percent > 100) {
    return Error{"the event percentages add up to more than 100"};
  }
  if (mode != WorkloadMode::kPopulate && duration <= 0 && requests <= 0) {
    return Error{"give --duration or --requests"};
  }
  WorkloadOptions out;
  out.mode = mode;
  out.torrents = static_cast<std::uint64_t>(torrents);
  out.peers = static_cast<std::uint64_t>(peers);
  out.source_count = sources;
  out.scrape_fraction = scrape_fraction;
  out.started_percent = started_percent;
  out.completed_percent = completed_percent;
  out.stopped_percent = stopped_percent;
  out.seeder_percent = seeder_percent;
  out.numwant = static_cast<int>(numwant);
  out.passkeys = static_cast<std::uint64_t>(std::max<std::int64_t>(passkeys, 0));
  out.keep_alive = keep_alive;
  out.host = host + ":" + std::to_string(port);
  out.seed = static_cast<std::uint64_t>(seed);
  return out;
}

}  // namespace shardtrack
