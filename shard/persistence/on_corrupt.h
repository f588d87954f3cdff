// OnCorrupt: what a shard does with a data file it cannot read at start (--on-corrupt).
#pragma once

namespace shardtrack {

enum class OnCorrupt {
  kRefuse,      // stop and name the file: dropping state must be an operator's decision
  kQuarantine,  // move it aside as <name>.corrupt-<time> and start from what is intact
};

}  // namespace shardtrack
