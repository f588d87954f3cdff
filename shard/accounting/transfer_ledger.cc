#include "shard/accounting/transfer_ledger.h"

#include <algorithm>

namespace shardtrack {

namespace {

void AddCredit(std::uint64_t& total, std::uint64_t more) {
  total = more >= TransferLedger::kMaxCredit - std::min(total, TransferLedger::kMaxCredit)
              ? TransferLedger::kMaxCredit
              : total + more;
}

}  // namespace

void TransferLedger::Totals::Add(const Totals& more) {
  AddCredit(uploaded, more.uploaded);
  AddCredit(downloaded, more.downloaded);
  AddCredit(completed, more.completed);
  AddCredit(seeding_seconds, more.seeding_seconds);
  AddCredit(announces, more.announces);
}

TransferLedger::TransferLedger(SipHashKey key, UnixSeconds peer_timeout)
    : peer_timeout_(peer_timeout),
      client_key_{SipHash24(key, "ledger client key, first half"),
                  SipHash24(key, "ledger client key, second half")},
      baselines_(key),
      totals_(0, TotalsHash{key}) {}

TransferLedger TransferLedger::EmptyLike() const {
  TransferLedger empty(RandomSipHashKey(), peer_timeout_);
  empty.SetMaxClients(max_clients_, max_per_member_);
  empty.SetMaxCreditRate(max_credit_rate_);
  return empty;
}

std::uint64_t TransferLedger::ClientOf(std::string_view passkey, const PeerId& peer_id) {
  key_scratch_.assign(peer_id.view());  // fixed length first: no two pairs give one string
  key_scratch_.append(passkey);
  return SipHash24(client_key_, key_scratch_);
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

TransferLedger::NewClient TransferLedger::Record(const PeerAnnounce& announce,
                                                 std::string_view passkey, std::uint64_t uploaded,
                                                 std::uint64_t downloaded, bool completion_counted,
                                                 UnixSeconds now, NewClient new_client) {
  const PeerBaselineTable::Key client{announce.info_hash, ClientOf(passkey, announce.peer_id)};
  const bool stopped = announce.event == proto::EVENT_STOPPED;
  const std::size_t found = FindFollowed(client, now);
  const bool known = found != PeerBaselineTable::kAbsent;
  // Nothing followed, nothing to credit (nor a row to write).
  if (!known && stopped) return NewClient::kFollow;
  Totals& totals = TotalsFor(passkey, announce.info_hash);
  Totals credit{.announces = 1};
  const std::uint64_t member = known ? 0 : MemberOf(passkey);  // a known client's is kept
  if (!known && !Follows(new_client, member, now)) {
    ++refused_clients_;
    totals.Add(credit);
    return NewClient::kRefuse;
  }
  PeerBaselineTable::Baseline last = known ? baselines_.At(found) : PeerBaselineTable::Baseline{};
  // A snatch is a completion the swarm counted from a client that says it has everything.
  const bool completes = completion_counted && announce.seeder;
  if (completes && !last.completed) credit.completed = 1;
  const bool ipv6 = !announce.ip.is_v4();
  const bool started = announce.event == proto::EVENT_STARTED;
  const bool went_back = uploaded < last.uploaded || downloaded < last.downloaded;
  // Overtaken by a newer announce from the client's other address family.
  const bool overtaken = known && !started && went_back && last.ipv6 != ipv6;
  // Under a credit rate, within the second of the last announce: its transfer waits for the
  // next one (announcing faster must not multiply the allowance).
  const bool too_soon =
      max_credit_rate_ != 0 && known && !started && !stopped && now <= last.last_seen;
  if (overtaken || too_soon) {
    // Nothing is credited and nothing moves (not even the time last seen, so a baseline nothing
    // catches up with expires).
    last.completed = last.completed || completes;
    baselines_.Replace(found, last);
    totals.Add(credit);
    return NewClient::kFollow;
  }
  // Counters begun again (`started`, or gone back from the same family: a client restarted
  // without saying so) are followed from where they stand.
  if (known && !started && !went_back) {
    credit.uploaded = uploaded - last.uploaded;
    credit.downloaded = downloaded - last.downloaded;
    const UnixSeconds gap = now - last.last_seen;
    BoundTransfer(credit, gap);
    // Within the peer timeout: FindFollowed forgot a client silent for longer.
    if (last.seeder && (announce.seeder || stopped) && gap >= 0) {
      credit.seeding_seconds = static_cast<std::uint64_t>(gap);
    }
  }
  totals.Add(credit);
  const PeerBaselineTable::Baseline next{
      uploaded, downloaded, now, announce.seeder, last.completed || completes, member, ipv6};
  if (!known) {
    baselines_.Put(client, next);
  } else if (stopped) {
    baselines_.EraseAt(found);
  } else {
    baselines_.Replace(found, next);
  }
  return NewClient::kFollow;
}

// Whether a baseline is expired is decided here as well as by ExpireSlice, whose sweep comes by
// when it will: a replay of the credit logs (credit_log.h) sweeps nothing, and must credit what
// the run did.
std::size_t TransferLedger::FindFollowed(const PeerBaselineTable::Key& client, UnixSeconds now) {
  const std::size_t found = baselines_.Find(client);
  if (found == PeerBaselineTable::kAbsent || !Expired(baselines_.At(found), now)) return found;
  baselines_.EraseAt(found);  // silent past the timeout: its next announce starts it again
  return PeerBaselineTable::kAbsent;
}

bool TransferLedger::MakeRoomFor(std::uint64_t member, UnixSeconds now) {
  if (HasRoomFor(member)) return true;
  // A member making up clients stays at its bound: a lap of the whole table (tens of ms at
  // millions of clients) at most once a minute.
  if (last_forgotten_at_ && now - *last_forgotten_at_ < kForgetExpiredEvery) return false;
  last_forgotten_at_ = now;
  baselines_.ExpireSlice(now - peer_timeout_, 1);
  return HasRoomFor(member);
}

bool TransferLedger::Follows(NewClient new_client, std::uint64_t member, UnixSeconds now) {
  if (new_client == NewClient::kDecide) return MakeRoomFor(member, now);
  return new_client == NewClient::kFollow;
}

bool TransferLedger::Expired(const PeerBaselineTable::Baseline& last, UnixSeconds now) const {
  return last.last_seen <= now - peer_timeout_;
}

void TransferLedger::BoundTransfer(Totals& credit, UnixSeconds seconds) {
  if (max_credit_rate_ == 0) return;
  const auto elapsed = static_cast<std::uint64_t>(std::max<UnixSeconds>(seconds, 0));
  const std::uint64_t most = elapsed != 0 && max_credit_rate_ > kMaxCredit / elapsed
                                 ? kMaxCredit
                                 : max_credit_rate_ * elapsed;
  if (credit.uploaded <= most && credit.downloaded <= most) return;
  ++capped_credits_;
  credit.uploaded = std::min(credit.uploaded, most);
  credit.downloaded = std::min(credit.downloaded, most);
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
      [&out](const PeerBaselineTable::Key& client, const PeerBaselineTable::Baseline& last) {
        out.push_back({.info_hash = client.info_hash,
                       .client = client.client,
                       .uploaded = last.uploaded,
                       .downloaded = last.downloaded,
                       .last_seen = last.last_seen,
                       .seeder = last.seeder,
                       .completed = last.completed,
                       .member = last.owner,
                       .ipv6 = last.ipv6});
      });
  return out;
}

bool TransferLedger::HasRoomFor(std::uint64_t member) const {
  return (max_clients_ == 0 || baselines_.size() < max_clients_) &&
         (max_per_member_ == 0 || baselines_.CountOf(member) < max_per_member_);
}

void TransferLedger::AddBaseline(const PeerBaseline& baseline) {
  const PeerBaselineTable::Key client{baseline.info_hash, baseline.client};
  if (!HasRoomFor(baseline.member) && baselines_.Find(client) == PeerBaselineTable::kAbsent) {
    ++refused_clients_;  // a bound was lowered across a restart
    return;
  }
  baselines_.Put(client, {.uploaded = baseline.uploaded,
                          .downloaded = baseline.downloaded,
                          .last_seen = baseline.last_seen,
                          .seeder = baseline.seeder,
                          .completed = baseline.completed,
                          .owner = baseline.member,
                          .ipv6 = baseline.ipv6});
}

}  // namespace shardtrack
