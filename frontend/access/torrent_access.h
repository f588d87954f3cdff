// TorrentAccess: which torrents this frontend serves. Off (no --access-list): every torrent.
// With a list, in allow mode only the listed torrents, in deny mode all but the listed ones.
// The handlers ask Admit* before a request goes to a shard (counting what is refused) and
// Serves to leave refused torrents out of full scrapes and the info page; a ListFileReloader swaps
// a new list in with Replace. Owns its list. Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/fixed_bytes.h"
#include "frontend/access/access_list.h"
#include "frontend/access/access_list_file.h"
#include "frontend/access/modal_list.h"

namespace shardtrack {

// What a client is told about a torrent this tracker does not serve.
inline constexpr std::string_view kNotServedReason = "torrent not served by this tracker";

class TorrentAccess : public ModalList<AccessList> {
 public:
  struct Counters {
    std::uint64_t refused_announces = 0;
    std::uint64_t refused_scrapes = 0;  // infohashes in scrapes, answered as unknown
  };

  // What a ListFileReloader needs besides.
  static constexpr std::string_view kFileKind = "access list";
  static constexpr std::string_view kEntryKind = "torrents";
  using Loader = AccessListReader;

  TorrentAccess() = default;  // off: serves every torrent
  TorrentAccess(AccessMode mode, AccessList list) : ModalList(mode, std::move(list)) {}

  const Counters& counters() const { return counters_; }

  bool Serves(const InfoHash& info_hash) const { return Passes(list().Contains(info_hash)); }
  // The torrent's name from its torrent file, or empty.
  std::string_view NameOf(const InfoHash& info_hash) const { return list().NameOf(info_hash); }
  // Whether the list in force names torrents (a torrent directory's): else NameOf need not be
  // asked, per scrape entry.
  bool names_torrents() const { return list().named(); }
  std::size_t longest_name() const { return list().longest_name(); }
  // Serves(), counting a refusal.
  bool AdmitAnnounce(const InfoHash& info_hash);
  bool AdmitScrape(const InfoHash& info_hash);
  // A scrape's infohashes it serves, in order, gathered in `admitted` (the caller's, reused);
  // each refused one is counted and handed to `refused`. Off: `requested` itself.
  template <typename OnRefused>
  std::span<const InfoHash> AdmitScrape(std::span<const InfoHash> requested,
                                        std::vector<InfoHash>& admitted, OnRefused&& refused) {
    if (!enabled()) return requested;
    admitted.clear();
    for (const InfoHash& hash : requested) {
      if (AdmitScrape(hash)) {
        admitted.push_back(hash);
      } else {
        refused(hash);
      }
    }
    return admitted;
  }

 private:
  Counters counters_;
};

}  // namespace shardtrack
