// CurveSetup: what a process's two CURVE flags give, read at start-up: its own key pair (from
// --curve-secret-file) and the other side's key or keys (the frontend's --shard-public-key-file,
// the shard's --frontend-keys-file). Both flags turn CURVE on, neither leaves it off.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/curve_keys.h"
#include "common/result.h"

namespace shardtrack {

// A file named on the command line, with its flag, which begins every error about it.
struct FlagFile {
  std::string_view flag;
  std::string path;
};

template <typename Theirs>
struct CurveSetup {
  CurveKeyPair own;
  Theirs theirs;
};

// Both given: true; neither: false; only one: an error naming both flags, then `why_together`.
Result<bool> BothCurveFilesGiven(const FlagFile& secret, const FlagFile& theirs,
                                 std::string_view why_together);
// The key pair whose secret key the file holds.
Result<CurveKeyPair> ReadCurveKeyPair(const FlagFile& secret);

// Both files read, or nullopt when neither is given. `read_theirs(path)` reads the other side's
// file as a Result<Theirs>. Every error begins with the flag of the file it is about.
template <typename Theirs, typename ReadTheirs>
Result<std::optional<CurveSetup<Theirs>>> LoadCurveSetup(const FlagFile& secret,
                                                         const FlagFile& theirs,
                                                         std::string_view why_together,
                                                         ReadTheirs read_theirs) {
  auto given = BothCurveFilesGiven(secret, theirs, why_together);
  if (!given) return Error{given.error()};
  if (!*given) return std::optional<CurveSetup<Theirs>>();
  auto own = ReadCurveKeyPair(secret);
  if (!own) return Error{own.error()};
  Result<Theirs> their_keys = read_theirs(theirs.path);
  if (!their_keys) return Error{std::string(theirs.flag) + ": " + their_keys.error()};
  return std::optional<CurveSetup<Theirs>>(CurveSetup<Theirs>{*own, std::move(*their_keys)});
}

}  // namespace shardtrack
