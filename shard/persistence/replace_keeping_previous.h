// Puts a written, synced temp file in force while the file it replaces stays readable as
// `.prev` (a journal or snapshot that a damaged successor can fall back on).
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "shard/persistence/file_ops.h"

namespace shardtrack {

// When `current` exists, it gets the second name `previous`; the file that had that name is
// unlinked into `replaced`, still open, so that the caller picks the thread that frees it (set as
// soon as the unlink happened, even when a later step fails). Then `temp` is renamed over
// `current`. The directory is not synced: callers differ in what a failed dir sync cleans up.
Status ReplaceKeepingPrevious(FileOps& ops, const std::string& temp, const std::string& current,
                              const std::string& previous, std::unique_ptr<UnlinkedFile>& replaced);

}  // namespace shardtrack
