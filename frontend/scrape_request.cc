#include "frontend/scrape_request.h"

#include <algorithm>
#include <optional>
#include <string>

#include "common/http/query_string.h"
#include "frontend/field_errors.h"

namespace shardtrack {

Status ParseScrape(std::string_view raw_query, std::uint32_t max_hashes,
                   std::vector<InfoHash>& hashes) {
  hashes.clear();
  enum class Field { kInfoHash };  // the one a scrape reads
  Status status = ForEachQueryParam(
      raw_query,
      [](std::string_view key) {
        return key == "info_hash" ? std::optional(Field::kInfoHash) : std::nullopt;
      },
      [&hashes](Field, std::string_view value) -> Status {
        auto hash = InfoHash::FromRaw(value);
        if (!hash) return Error{NotTwentyBytesReason("info_hash", value)};
        hashes.push_back(*hash);
        return OkStatus();
      });
  if (!status) return status;
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  if (hashes.size() > max_hashes) {
    return Error{"too many info_hash: at most " + std::to_string(max_hashes) + " per scrape"};
  }
  return OkStatus();
}

}  // namespace shardtrack
