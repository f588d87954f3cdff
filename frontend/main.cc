// shardtrack-frontend: wiring only. Read settings, set up logging, build the frontend, run the
// loop.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>

#include "common/clock.h"
#include "common/flags.h"
#include "common/logging.h"
#include "common/reactor/event_loop.h"
#include "frontend/frontend_runtime.h"
#include "frontend/frontend_settings.h"

namespace shardtrack {
namespace {

int Run(int argc, char** argv) {
  // Until the loop reads them: reloads before it are moot, and a stop while the lists load
  // (seconds for a large access list) is seen after it, not a death by signal.
  EventLoop::HoldSignals({SIGHUP, SIGINT, SIGTERM});
  FrontendSettings settings;
  FlagSet flags(
      "shardtrack-frontend",
      "Answers HTTP announces and scrapes; routes each torrent to the shard that owns it.");
  settings.Register(flags);
  if (auto exit_status = flags.ParseCommandLine(argc, argv)) return *exit_status;
  SetUpLogging("frontend", settings.log_level);
  WarnOfUnknownVariables(environ);
  SystemClock clock;
  EventLoop loop(clock);
  zmq::context_t context(1);
  auto frontend = FrontendRuntime::Create(loop, context, settings, clock);
  if (!frontend.ok()) {
    LogStartFailure(frontend.error());
    return 2;
  }
  if (StopAskedDuringTheLoad()) return 0;
  if (Status started = (*frontend)->Start(); !started) {
    LogStartFailure(started.error());
    return 1;
  }
  loop.Run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace
}  // namespace shardtrack

int main(int argc, char** argv) {
  return shardtrack::RunLoggingEscapes(shardtrack::Run, argc, argv);
}
