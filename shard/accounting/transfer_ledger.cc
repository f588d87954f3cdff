#include "shard/accounting/transfer_ledger.h"

#include <algorithm>

namespace shardtrack {

void TransferLedger::Totals::Add(const Totals& more) {
  uploaded += more.uploaded;
  downloaded += more.downloaded;
  completed += more.completed;
  seeding_seconds += more.seeding_seconds;
  announces += more.announces;
}

std::string_view TransferLedger::KeyOf(std::string_view passkey, const InfoHash& info_hash,
                                       std::string& key) {
  key.assign(passkey);
  key.append(info_hash.view());
  return key;
}

TransferLedger::Totals& TransferLedger::TotalsFor(std::string_view passkey,
                                                  const InfoHash& info_hash) {
  auto found = totals_.find(KeyOf(passkey, info_hash, key_scratch_));
  if (found == totals_.end()) found = totals_.emplace(key_scratch_, Totals{}).first;
  return found->second;
}

void TransferLedger::Record(const PeerAnnounce& announce, std::string_view passkey,
                            std::uint64_t uploaded, std::uint64_t downloaded,
                            bool completion_counted, UnixSeconds now) {
  Totals& totals = TotalsFor(passkey, announce.info_hash);
  ++totals.announces;
  if (completion_counted) ++totals.completed;

  const PeerBaselineTable::Key peer{announce.info_hash, announce.ip, announce.port};
  const bool stopped = announce.event == proto::EVENT_STOPPED;
  const std::size_t found = baselines_.Find(peer);
  const bool known = found != PeerBaselineTable::kAbsent;
  if (known && announce.event != proto::EVENT_STARTED) {
    const PeerBaselineTable::Baseline last = baselines_.At(found);
    if (uploaded >= last.uploaded && downloaded >= last.downloaded) {
      totals.uploaded += uploaded - last.uploaded;
      totals.downloaded += downloaded - last.downloaded;
    }
    const UnixSeconds gap = now - last.last_seen;
    if (last.seeder && (announce.seeder || stopped) && gap >= 0 && gap <= peer_timeout_) {
      totals.seeding_seconds += static_cast<std::uint64_t>(gap);
    }
  }
  const PeerBaselineTable::Baseline next{uploaded, downloaded, now, announce.seeder};
  if (!known) {
    if (!stopped) baselines_.Put(peer, next);
  } else if (stopped) {
    baselines_.EraseAt(found);
  } else {
    baselines_.Replace(found, next);
  }
}

TransferLedger::Totals TransferLedger::TotalsOf(std::string_view passkey,
                                                const InfoHash& info_hash) const {
  std::string key;
  auto found = totals_.find(KeyOf(passkey, info_hash, key));
  return found == totals_.end() ? Totals{} : found->second;
}

TransferLedger::TotalsTable TransferLedger::TakeTable() {
  TotalsTable taken(0, totals_.hash_function());
  taken.swap(totals_);
  // The same members' torrents come back next interval: room for them at once, so the table
  // does not rehash everything (tens of ms at 100,000 entries) on the loop as it grows again.
  totals_.reserve(taken.size());
  return taken;
}

std::vector<TransferLedger::Entry> TransferLedger::Entries(const TotalsTable& table) {
  std::vector<Entry> entries;
  entries.reserve(table.size());
  for (const auto& [key, totals] : table) {
    const std::size_t passkey_size = key.size() - InfoHash::kSize;
    entries.push_back({key.substr(0, passkey_size),
                       *InfoHash::FromRaw(std::string_view(key).substr(passkey_size)), totals});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.passkey != b.passkey ? a.passkey < b.passkey : a.info_hash < b.info_hash;
  });
  return entries;
}

void TransferLedger::Restore(const std::vector<Entry>& entries) {
  for (const Entry& entry : entries) TotalsFor(entry.passkey, entry.info_hash).Add(entry.totals);
}

std::vector<TransferLedger::PeerBaseline> TransferLedger::Baselines() const {
  std::vector<PeerBaseline> out;
  out.reserve(baselines_.size());
  baselines_.ForEach(
      [&out](const PeerBaselineTable::Key& peer, const PeerBaselineTable::Baseline& last) {
        out.push_back({peer.info_hash, peer.ip, peer.port, last.uploaded, last.downloaded,
                       last.last_seen, last.seeder});
      });
  return out;
}

void TransferLedger::AddBaseline(const PeerBaseline& baseline) {
  baselines_.Put({baseline.info_hash, baseline.ip, baseline.port},
                 {baseline.uploaded, baseline.downloaded, baseline.last_seen, baseline.seeder});
}

}  // namespace shardtrack
