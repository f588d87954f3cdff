// ParseBencode / WriteBencode (the strict decoder: what it takes re-encodes byte for byte),
// ParseBttrackDfile / WriteBttrackDfile (import, export, import again: the same torrents), and
// IdentifyTorrent (the access list's .torrent reader: a v1 infohash is the SHA-1 of the info
// dictionary as written). Input: the bytes.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>

#include "common/bencode.h"
#include "common/sha1.h"
#include "frontend/access/torrent_file.h"
#include "shard/persistence/bttrack_dfile.h"
#include "tests/fuzz/fuzz_check.h"

namespace shardtrack {
namespace {

auto Key(const PeerRecord& p) {
  return std::tuple(p.peer_id, p.ip.raw(), p.port, p.seeder, p.last_seen);
}

}  // namespace
}  // namespace shardtrack

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace shardtrack;
  std::string_view input(reinterpret_cast<const char*>(bytes), size);

  auto value = ParseBencode(input);
  if (value) {
    std::string out;
    WriteBencode(*value, out);
    if (out != input) {
      std::fprintf(stderr, "round trip differs: in %zu bytes, out %zu bytes\n", input.size(),
                   out.size());
      std::abort();
    }
  } else {
    FUZZ_CHECK(!value.error().empty());
  }

  constexpr UnixSeconds kNow = 1700000000;
  auto dfile = ParseBttrackDfile(input, kNow);
  if (dfile) {
    FUZZ_CHECK(value.ok());
    for (std::size_t i = 1; i < dfile->torrents.size(); ++i)
      FUZZ_CHECK(dfile->torrents[i - 1].info_hash < dfile->torrents[i].info_hash);
    std::string exported = WriteBttrackDfile(dfile->torrents);
    auto again = ParseBttrackDfile(exported, kNow);
    FUZZ_CHECK(again);
    FUZZ_CHECK(again->skipped_peers == 0);
    FUZZ_CHECK(again->torrents.size() == dfile->torrents.size());
    for (std::size_t i = 0; i < again->torrents.size(); ++i) {
      const auto& a = dfile->torrents[i];
      const auto& b = again->torrents[i];
      FUZZ_CHECK(a.info_hash == b.info_hash);
      FUZZ_CHECK(a.completed == b.completed);
      auto pa = a.peers, pb = b.peers;
      auto by = [](const PeerRecord& x, const PeerRecord& y) { return Key(x) < Key(y); };
      std::sort(pa.begin(), pa.end(), by);
      std::sort(pb.begin(), pb.end(), by);
      if (pa != pb) {
        std::fprintf(stderr, "dfile round trip: torrent %zu peers %zu -> %zu\n", i, pa.size(),
                     pb.size());
        std::abort();
      }
    }
  }

  auto torrent = IdentifyTorrent(input);
  if (torrent) {
    FUZZ_CHECK(torrent->info_hashes.size() == 1 || torrent->info_hashes.size() == 2);
    FUZZ_CHECK(torrent->name.size() <= kMaxTorrentNameBytes);
    // A strictly valid torrent: the strict decoder agrees it has an info dict, and (v1) the
    // infohash is the SHA-1 of that dict re-encoded (canonical input re-encodes identically).
    if (value) {
      const BencodeValue* info = value->Find("info");
      FUZZ_CHECK(info != nullptr && info->is_dict());
      std::string enc;
      WriteBencode(*info, enc);
      const BencodeValue* mv = info->Find("meta version");
      const bool v2 = mv && mv->is_int() && mv->as_int() == 2;
      if (!v2) FUZZ_CHECK(torrent->info_hashes[0] == Sha1(enc));
    }
  }
  return 0;
}
