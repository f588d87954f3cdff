// FrontendKeys: the CURVE public keys of the frontends a shard admits (--frontend-keys-file),
// held sorted for the ZapHandler's lookups and kept in step with the file by a
// ListFileReloader (every --frontend-keys-interval seconds and on SIGHUP), so a frontend joins
// without restarting the shards. Loop thread only.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/curve_keys.h"
#include "common/list_in_force.h"

namespace shardtrack {

class CurveKeyList {
 public:
  CurveKeyList() = default;
  explicit CurveKeyList(std::vector<CurveKey> keys) : keys_(std::move(keys)) {
    std::sort(keys_.begin(), keys_.end());
  }
  bool Contains(const CurveKey& key) const {
    return std::binary_search(keys_.begin(), keys_.end(), key);
  }
  std::size_t size() const { return keys_.size(); }

 private:
  std::vector<CurveKey> keys_;
};

class FrontendKeys : public ListInForce<CurveKeyList> {
 public:
  // What a ListFileReloader needs besides.
  static constexpr std::string_view kFileKind = "frontend keys file";
  static constexpr std::string_view kEntryKind = "keys";
  static Result<CurveKeyList> LoadFile(const std::string& path) {
    auto keys = ReadCurveKeyListFile(path);
    if (!keys) return Error{keys.error()};
    return CurveKeyList(std::move(*keys));
  }
  using Loader = PlainLoader<&LoadFile>;

  FrontendKeys() = default;  // off: no CURVE
  explicit FrontendKeys(CurveKeyList keys) : ListInForce(std::move(keys)) {}

  bool Admits(const CurveKey& key) const { return list().Contains(key); }
};

}  // namespace shardtrack
