#include "common/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "common/reactor/event_loop.h"
#include "common/server_setting_names.h"

namespace shardtrack {

void AddLogLevelFlag(FlagSet& flags, LogLevel* level) {
  flags.Add("log-level", level, "the least severe log lines written to stderr",
            {{"trace", LogLevel::kTrace},
             {"debug", LogLevel::kDebug},
             {"info", LogLevel::kInfo},
             {"warn", LogLevel::kWarn},
             {"error", LogLevel::kError},
             {"critical", LogLevel::kCritical},
             {"off", LogLevel::kOff},
             // spdlog's own names for two of them, which the setting took before.
             {"warning", LogLevel::kWarn, false},
             {"err", LogLevel::kError, false}});
}

void SetUpLogging(std::string_view process_name, LogLevel level) {
  static_assert(static_cast<int>(LogLevel::kOff) == spdlog::level::off);
  // Worker threads log too (a torrent directory's bad files, an accounting write that failed),
  // and a line's formatting reuses the logger's state: the _mt logger takes a lock per line.
  auto logger = spdlog::stderr_logger_mt(std::string(process_name));
  logger->set_level(static_cast<spdlog::level::level_enum>(level));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n[%P] %l: %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  // stderr is often a pipe (a terminal's tee, a container's log collector). If its reader goes
  // first, the next log line must fail quietly, not kill the process before its final snapshot.
  std::signal(SIGPIPE, SIG_IGN);
}

void WarnOfUnknownVariables(const char* const* environment) {
  for (const std::string& warning : UnknownVariableWarnings(environment)) {
    spdlog::warn("{}", warning);
  }
}

void LogStartFailure(std::string_view message) {
  if (spdlog::should_log(spdlog::level::critical)) {
    spdlog::critical("{}", message);
  } else {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
  }
}

bool StopAskedDuringTheLoad() {
  if (!EventLoop::SignalPending({SIGINT, SIGTERM})) return false;
  spdlog::info("asked to stop during the load: stopping without serving");
  return true;
}

int RunLoggingEscapes(int (*run)(int, char**), int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    spdlog::critical("stopping: {}", error.what());
    return 1;
  }
}

}  // namespace shardtrack
