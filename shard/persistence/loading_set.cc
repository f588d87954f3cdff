#include "shard/persistence/loading_set.h"

#include <algorithm>

namespace shardtrack {

void MergeSets(std::vector<SetState>& sets, std::vector<TorrentRecord>& out) {
  std::size_t total = 0;
  for (const SetState& set : sets) total += set.torrents.size();
  out.reserve(total);
  std::map<InfoHash, std::size_t> position;  // in `out`; only with several sets
  for (SetState& set : sets) {
    for (auto it = set.torrents.begin(); it != set.torrents.end(); it = set.torrents.erase(it)) {
      const InfoHash& hash = it->first;
      if (sets.size() == 1 || position.try_emplace(hash, out.size()).second) {
        out.push_back(TorrentRecord{hash, 0, {}});
      }
      // Never reallocated (reserved above), so the reference holds.
      TorrentRecord& into = sets.size() == 1 ? out.back() : out[position.at(hash)];
      if (SpeakerFor(sets, hash) == &set) {
        into.completed = it->second.completed;
        into.peers = it->second.peers.Take();
      }
    }
  }
  std::erase_if(out, [](const TorrentRecord& torrent) {
    return torrent.completed == 0 && torrent.peers.empty();
  });
  if (sets.size() > 1) {
    std::sort(out.begin(), out.end(), [](const TorrentRecord& a, const TorrentRecord& b) {
      return a.info_hash < b.info_hash;
    });
  }
}

}  // namespace shardtrack
