// Logging set-up for every process: spdlog to stderr with a level from --log-level. A closed
// stderr (SIGPIPE) no longer stops the process: its log lines are lost, its work goes on.
#pragma once

#include <string_view>

namespace shardtrack {

// `level` is one of trace, debug, info, warn, error, critical, off. False when it is not, with
// the error on stderr ("shardtrack-<process_name>: ..."): the process exits 2 (settings refused).
bool SetUpLogging(std::string_view process_name, std::string_view level);

// A failure that stops the process from starting: logged as critical, and written to stderr
// even under --log-level off, so that a refused start is never silent (under a supervisor that
// restarts it, say).
void LogStartFailure(std::string_view message);

// A process's main: runs `run`, and turns an exception that escapes it (a resource the system
// refused at start, say) into a critical log line and exit status 1 instead of an abort.
int RunLoggingEscapes(int (*run)(int, char**), int argc, char** argv);

}  // namespace shardtrack
