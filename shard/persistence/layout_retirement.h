// Retiring the files an older shard count (layout) left in a data directory. Pure apart from its
// FileOps; run by `shardtrack-dfile retire` while the cluster runs at `count` shards.
//
// The rule: a file of another shard count is removed only when every shard 0..count-1 has a
// snapshot, and a `.prev` if it has one, of a higher generation than the file. Each of those
// shards wrote its first snapshot after reading every other-layout file, one generation above all
// of them (state_loader.h), so together they speak for every torrent such a file holds, now and
// after any later resize; until then nothing is removed. Quarantined files are never removed;
// a file whose header cannot be read is kept (loading will report it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "shard/persistence/file_ops.h"

namespace shardtrack {

struct Retirement {
  std::vector<std::string> removed;
  std::vector<std::string> kept;  // other-layout files not yet safe to remove
  std::string waiting_for;        // why nothing could be removed, if so
};

Result<Retirement> RetireOldLayouts(FileOps& ops, const std::string& dir, std::uint32_t count);

}  // namespace shardtrack
