// ParseWithEnvironment: FlagSet::Parse as a process sees `args` (after its program name) with
// `env` as its environment, for tests of settings.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/flags.h"

namespace shardtrack::testing {

inline Result<FlagSet::Outcome> ParseWithEnvironment(
    FlagSet& flags, std::vector<const char*> args, const std::map<std::string, std::string>& env) {
  args.insert(args.begin(), "test-program");
  return flags.Parse(static_cast<int>(args.size()), args.data(), [&env](const char* name) {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

}  // namespace shardtrack::testing
