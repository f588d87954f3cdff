// Retiring the files an older shard count (layout) left in a data directory. Pure apart from its
// FileOps; run by `shardtrack-dfile retire` while the cluster runs at `count` shards.
//
// The rule: the files of another shard count go only once every shard 0..count-1 has a
// snapshot, and a `.prev` if it has one, of a higher generation than every file of every other
// count. Each of those shards wrote its first snapshot after reading every other-layout file, one
// generation above all of them (state_loader.h), and settled their accounting before it (the
// credit logs finished, the baselines taken up: layout_credits.h, baseline_file.h), so together
// they speak for every torrent and every credit such a file holds, now and after any later
// resize. Until then nothing at all is removed: a shard not started since another count ran (or
// still loading), or a `count` that is not the one the cluster runs at, would otherwise lose what
// only that count's files hold. Quarantined files are never removed; a file whose header cannot
// be read is kept (loading will report it), and so is its count's accounting.
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
  // Other shard counts some of whose files stay: their accounting must stay too.
  std::vector<std::uint32_t> counts_kept;
  std::string waiting_for;  // why nothing could be removed, if so
  // Shards of this layout that will refuse to start: files of another layout are missing (a
  // gap, loading_set.h's UncoveredGaps), one line each.
  std::vector<std::string> refused_starts;
};

Result<Retirement> RetireOldLayouts(FileOps& ops, const std::string& dir, std::uint32_t count);

// The shards of `count` that will refuse to start for another layout's missing files, one line
// each (as `refused_starts`). A shard asks before it writes anything: one shard of a layout that
// started while another was refused would leave files of a layout never served, and going back to
// the old count would then be refused in turn.
Result<std::vector<std::string>> StartsRefused(FileOps& ops, const std::string& dir,
                                               std::uint32_t count);

}  // namespace shardtrack
