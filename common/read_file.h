// ReadWholeFile: a file's bytes, or an error that names the file and the reason (a directory,
// a permission, a read error: never an exception).
#pragma once

#include <string>

#include "common/result.h"

namespace shardtrack {

Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace shardtrack
