// Logging set-up for every process: spdlog to stderr with a level from --log-level. A closed
// stderr (SIGPIPE) no longer stops the process: its log lines are lost, its work goes on.
#pragma once

#include <string_view>

#include "common/flags.h"

namespace shardtrack {

// What --log-level lets through, least severe first; kOff: nothing (but LogStartFailure).
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

// Names --log-level on `flags`, alike in every process.
void AddLogLevelFlag(FlagSet& flags, LogLevel* level);

// The process's logger, named `process_name`, writing `level` and above to stderr.
void SetUpLogging(std::string_view process_name, LogLevel level);

// Logs UnknownVariableWarnings(environment) (common/server_setting_names.h), a warning each:
// a misspelt SHARDTRACK_* variable is ignored, and without them it would be ignored silently.
// For the servers, after SetUpLogging; `environment` as `environ` holds it.
void WarnOfUnknownVariables(const char* const* environment);

// A failure that stops the process from starting: logged as critical, and written to stderr
// even under --log-level off, so that a refused start is never silent (under a supervisor that
// restarts it, say).
void LogStartFailure(std::string_view message);

// Whether SIGTERM or SIGINT, held since main began, came during the start's load (the loop that
// reads them has not run): then says so, and the process stops without serving.
bool StopAskedDuringTheLoad();

// A process's main: runs `run`, and turns an exception that escapes it (a resource the system
// refused at start, say) into a critical log line and exit status 1 instead of an abort.
int RunLoggingEscapes(int (*run)(int, char**), int argc, char** argv);

}  // namespace shardtrack
