#include "shard/persistence/replace_keeping_previous.h"

#include <utility>

namespace shardtrack {

Status ReplaceKeepingPrevious(FileOps& ops, const std::string& temp, const std::string& current,
                              const std::string& previous,
                              std::unique_ptr<UnlinkedFile>& replaced) {
  if (ops.Exists(current)) {
    auto unlinked = ops.Unlink(previous);
    if (!unlinked) return Error{unlinked.error()};
    replaced = std::move(*unlinked);
    if (Status linked = ops.Link(current, previous); !linked) return linked;
  }
  return ops.Rename(temp, current);
}

}  // namespace shardtrack
