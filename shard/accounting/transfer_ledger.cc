#include "shard/accounting/transfer_ledger.h"

#include <cstring>
#include <utility>

namespace shardtrack {

std::size_t TransferLedger::PeerKeyHash::operator()(const PeerKey& peer) const {
  char bytes[InfoHash::kSize + 16 + 2];
  std::memcpy(bytes, peer.info_hash.bytes.data(), InfoHash::kSize);
  const std::string_view ip = peer.ip.raw();
  std::memcpy(bytes + InfoHash::kSize, ip.data(), ip.size());
  std::memcpy(bytes + InfoHash::kSize + ip.size(), &peer.port, 2);
  return SipHash24(key, std::string_view(bytes, InfoHash::kSize + ip.size() + 2));
}

void TransferLedger::Record(const PeerAnnounce& announce, std::string_view passkey,
                            std::uint64_t uploaded, std::uint64_t downloaded,
                            bool completion_counted, UnixSeconds now) {
  auto member = totals_.find(passkey);
  if (member == totals_.end()) member = totals_.emplace(std::string(passkey), Totals{}).first;
  Totals& totals = member->second;
  ++totals.announces;
  if (completion_counted) ++totals.completed;

  const PeerKey peer{announce.info_hash, announce.ip, announce.port};
  if (announce.event == proto::EVENT_STOPPED) {
    if (auto found = baselines_.find(peer); found != baselines_.end()) {
      const Baseline& last = found->second;
      if (uploaded >= last.uploaded && downloaded >= last.downloaded) {
        totals.uploaded += uploaded - last.uploaded;
        totals.downloaded += downloaded - last.downloaded;
      }
      baselines_.erase(found);
    }
    return;
  }
  auto [found, added] = baselines_.try_emplace(peer);
  Baseline& last = found->second;
  const bool credit = !added && announce.event != proto::EVENT_STARTED &&
                      uploaded >= last.uploaded && downloaded >= last.downloaded;
  if (credit) {
    totals.uploaded += uploaded - last.uploaded;
    totals.downloaded += downloaded - last.downloaded;
  }
  last = {uploaded, downloaded, now};
}

TransferLedger::Totals TransferLedger::TotalsOf(std::string_view passkey) const {
  auto found = totals_.find(passkey);
  return found == totals_.end() ? Totals{} : found->second;
}

TransferLedger::TotalsByMember TransferLedger::TakeTotals() {
  TotalsByMember taken(std::make_move_iterator(totals_.begin()),
                       std::make_move_iterator(totals_.end()));
  totals_.clear();
  return taken;
}

std::vector<TransferLedger::PeerBaseline> TransferLedger::Baselines() const {
  std::vector<PeerBaseline> out;
  out.reserve(baselines_.size());
  for (const auto& [peer, last] : baselines_) {
    out.push_back(
        {peer.info_hash, peer.ip, peer.port, last.uploaded, last.downloaded, last.last_seen});
  }
  return out;
}

void TransferLedger::AddBaseline(const PeerBaseline& baseline) {
  baselines_[{baseline.info_hash, baseline.ip, baseline.port}] = {
      baseline.uploaded, baseline.downloaded, baseline.last_seen};
}

std::size_t TransferLedger::Expire(UnixSeconds cutoff) {
  return std::erase_if(baselines_,
                       [cutoff](const auto& entry) { return entry.second.last_seen <= cutoff; });
}

void TransferLedger::Restore(const TotalsByMember& totals) {
  for (const auto& [passkey, taken] : totals) {
    Totals& into = totals_[passkey];
    into.uploaded += taken.uploaded;
    into.downloaded += taken.downloaded;
    into.completed += taken.completed;
    into.announces += taken.announces;
  }
}

}  // namespace shardtrack
