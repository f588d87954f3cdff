// RefusingFileOps: real files, but renames and removals of the paths a test names keep failing
// (a file whose permissions an operator changed, say), where FaultyFileOps fails one call.
#pragma once

#include <functional>
#include <string>

#include "tests/unit/shard/persistence/pass_through_file_ops.h"

namespace shardtrack {

class RefusingFileOps final : public PassThroughFileOps {
 public:
  // Given the path removed, or renamed from: true to fail.
  std::function<bool(const std::string&)> refuse_remove = [](const std::string&) { return false; };
  std::function<bool(const std::string&)> refuse_rename = [](const std::string&) { return false; };

  Status Rename(const std::string& from, const std::string& to) override {
    if (refuse_rename(from)) return Error{"rename " + from + ": Permission denied"};
    return PassThroughFileOps::Rename(from, to);
  }
  Status Remove(const std::string& path) override {
    if (refuse_remove(path)) return Error{"remove " + path + ": Permission denied"};
    return PassThroughFileOps::Remove(path);
  }
};

}  // namespace shardtrack
