// shardtrack-loadgen: wiring only. Read options, build the workload, run, print two lines
// (JSON on stdout first, then a human sentence on stderr). Exit 0 when the run completed, even
// with errors (they are in the report); 2 on bad options, 1 when the run could not start or
// nothing listened at the tracker's address.
#include <cstdio>
#include <string>

#include "bench/load_runner.h"
#include "bench/loadgen_options.h"
#include "bench/request_builder.h"
#include "bench/torrent_picker.h"
#include "bench/workload.h"
#include "common/flags.h"

namespace shardtrack {
namespace {

std::string ConfigJson(const LoadgenOptions& o) {
  return "\"mode\":\"" + ModeName(o.mode) +
         "\",\"keep_alive\":" + (o.keep_alive ? "true" : "false") + ",\"distribution\":\"" +
         o.distribution + "\",\"connections\":" + std::to_string(o.connections) +
         ",\"torrents\":" + std::to_string(o.torrents) + ",\"peers\":" + std::to_string(o.peers) +
         ",\"rate\":" + std::to_string(static_cast<std::int64_t>(o.rate));
}

int Run(int argc, char** argv) {
  LoadgenOptions options;
  FlagSet flags("shardtrack-loadgen",
                "Sends HTTP announces or scrapes to a tracker and reports throughput, latency "
                "and invalid replies (see docs/benchmarks.md).");
  options.Register(flags);
  flags.IgnoreEnvironment();  // SHARDTRACK_PORT and friends belong to the servers
  if (auto exit_status = flags.ParseCommandLine(argc, argv)) return *exit_status;
  if (options.print_infohashes > 0) {
    for (std::int64_t i = 0; i < options.print_infohashes; ++i) {
      std::printf("%s\n", BenchInfoHash(static_cast<std::uint64_t>(i)).ToHex().c_str());
    }
    return 0;
  }
  if (options.print_passkeys) {
    for (std::int64_t i = 0; i < options.passkeys; ++i) {
      std::printf("%s\n", BenchPasskey(static_cast<std::uint64_t>(i),
                                       static_cast<std::uint64_t>(options.passkeys))
                              .c_str());
    }
    return 0;
  }
  auto workload_options = options.ToWorkloadOptions();
  if (!workload_options.ok()) {
    std::fprintf(stderr, "shardtrack-loadgen: %s\n", workload_options.error().c_str());
    return 2;
  }
  auto picker =
      TorrentPicker::Create(options.distribution, workload_options->torrents, options.zipf_s);
  if (!picker.ok()) {
    std::fprintf(stderr, "shardtrack-loadgen: %s\n", picker.error().c_str());
    return 2;
  }
  Workload workload(*workload_options, std::move(*picker));
  LoadRunner runner(options, workload);
  auto stats = runner.Run();
  if (!stats.ok()) {
    std::fprintf(stderr, "shardtrack-loadgen: %s\n", stats.error().c_str());
    return 1;
  }
  const std::string label = options.label.empty() ? ModeName(options.mode) : options.label;
  std::printf("%s\n", stats->ToJson(label, ConfigJson(options)).c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", stats->ToHuman(label).c_str());
  return 0;
}

}  // namespace
}  // namespace shardtrack

int main(int argc, char** argv) { return shardtrack::Run(argc, argv); }
