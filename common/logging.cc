#include "common/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <string>

namespace shardtrack {

bool SetUpLogging(std::string_view process_name, std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    std::fprintf(stderr,
                 "shardtrack-%.*s: --log-level expects trace, debug, info, warn, error, critical "
                 "or off, got '%.*s'\n",
                 static_cast<int>(process_name.size()), process_name.data(),
                 static_cast<int>(level.size()), level.data());
    return false;
  }
  auto logger = spdlog::stderr_logger_st(std::string(process_name));
  logger->set_level(parsed);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n[%P] %l: %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  // stderr is often a pipe (a terminal's tee, a container's log collector). If its reader goes
  // first, the next log line must fail quietly, not kill the process before its final snapshot.
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}

void LogStartFailure(std::string_view message) {
  if (spdlog::should_log(spdlog::level::critical)) {
    spdlog::critical("{}", message);
  } else {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
  }
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
