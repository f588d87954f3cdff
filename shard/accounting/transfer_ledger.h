// TransferLedger: what each member (passkey) uploaded, downloaded, completed and seeded on each
// torrent, from the counters its clients report in announces: a private tracker's accounting
// (ratio, snatches, seeding time). An announce is credited with what its client's counters grew
// since that client's previous announce to the torrent, and, when the client was a seeder then
// and is one still, with the seconds between the two announces (not when they are more than the
// peer timeout apart: the swarm had dropped it). A client is a member's peer id, not an address:
// libtorrent 2 announces once per address family with the same peer id and counters, and a
// client may move to another address; each such announce takes up where the client's last one,
// from any address, left off, and two members behind one address are two clients. A client's
// first announce, and one with event=started (its client started the counters again), only set
// where the counters stand, and so does one whose counters went backwards without `started`
// from the address family of the last (a client restarted without saying so); from the other
// family (an older announce from its other address, overtaken) it is not credited and moves
// nothing. `stopped` is credited and forgets the client (a `stopped` from a client not followed
// writes nothing). A completion the swarm counted from a client with nothing left (a snatch) is
// credited once per followed client. Totals saturate at
// kMaxCredit (what an SQL integer holds) whatever counters clients claim. Totals gather until the
// caller takes them; baselines of clients silent since a cutoff are forgotten by ExpireSlice,
// and can be saved across a planned restart (baseline_file.h). At most SetMaxClients baselines
// are held, and at most its second bound for one member (a member can make up peer ids faster
// than addresses): a client's announces past either are counted, not followed or credited. Pure,
// apart from the memory it holds: one 64-byte slot of a flat table per client
// (peer_baseline_table.h), 73 to 91 bytes, plus its member's totals.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/siphash.h"
#include "shard/accounting/credit_recorder.h"
#include "shard/accounting/peer_baseline_table.h"
#include "shard/peer_announce.h"

namespace shardtrack {

class TransferLedger final : public CreditRecorder {
 public:
  static constexpr std::uint64_t kMaxCredit = std::numeric_limits<std::int64_t>::max();

  struct Totals {
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    std::uint64_t completed = 0;
    std::uint64_t seeding_seconds = 0;
    std::uint64_t announces = 0;

    void Add(const Totals& more);  // saturating at kMaxCredit
    bool operator==(const Totals&) const = default;
  };
  // One member's totals on one torrent.
  struct Entry {
    std::string passkey;
    InfoHash info_hash;
    Totals totals;

    bool operator==(const Entry&) const = default;
  };
  // Where one client's counters stood at its last announce to a torrent. `client` is ClientOf's.
  // PeerBaselineTable's key and baseline in one record, for the baseline files: a field added
  // there is added here and to the two conversions (Baselines, AddBaseline).
  struct PeerBaseline {
    InfoHash info_hash;
    std::uint64_t client = 0;
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    UnixSeconds last_seen = 0;
    bool seeder = false;
    bool completed = false;
    std::uint64_t member = 0;  // MemberOf's
    bool ipv6 = false;         // the address family of the announce that set it

    bool operator==(const PeerBaseline&) const = default;
  };

  // Hashes a totals key, the passkey followed by the 20 infohash bytes (looked up as a
  // string_view, so a lookup allocates nothing). Keyed: members choose passkeys and infohashes.
  struct TotalsHash {
    using is_transparent = void;
    SipHashKey key;
    std::size_t operator()(std::string_view member_torrent) const {
      return SipHash24(key, member_torrent);
    }
  };
  using TotalsTable = std::unordered_map<std::string, Totals, TotalsHash, std::equal_to<>>;

  TransferLedger(SipHashKey key, UnixSeconds peer_timeout);
  // A ledger that credits as this one does (its bounds and peer timeout, a key of its own),
  // holding nothing: to replay another run's announces apart from this one's.
  TransferLedger EmptyLike() const;
  // In all, and for one member; 0: no bound.
  void SetMaxClients(std::size_t max_clients, std::size_t max_per_member) {
    max_clients_ = max_clients;
    max_per_member_ = max_per_member;
  }
  // Announces of clients not followed for want of room (and saved baselines not loaded).
  std::uint64_t refused_clients() const { return refused_clients_; }
  // The most a client is credited for each second since its last announce, uploaded and
  // downloaded alike (0: no bound): counters are what clients claim, and a cheating client
  // claims any. What it claims beyond is not credited, and its counters are followed from where
  // they then stand. An announce within the second of the last is credited nothing and moves
  // nothing (its transfer waits for the next), but for `stopped`, which forgets the client.
  void SetMaxCreditRate(std::uint64_t bytes_per_second) { max_credit_rate_ = bytes_per_second; }
  // Announces whose transfer was cut to that bound.
  std::uint64_t capped_credits() const { return capped_credits_; }

  // A member's client: a keyed hash of the passkey and the peer id (a baseline slot has no room
  // for both; with a secret key, two clients of one torrent share a value about once in 2^64 /
  // n^2 for n clients). Saved baselines keep the key they were made with: see SetClientKey. It
  // is derived one way from the constructor's, so a saved one tells nothing of the tables' key.
  std::uint64_t ClientOf(std::string_view passkey, const PeerId& peer_id);
  // A member, under the same key (its clients are counted against SetMaxClients' bound).
  std::uint64_t MemberOf(std::string_view passkey) const { return SipHash24(client_key_, passkey); }
  const SipHashKey& client_key() const { return client_key_; }
  // For baselines saved by another process, before any is added.
  void SetClientKey(const SipHashKey& key) { client_key_ = key; }

  // How Record takes a client it does not follow yet: by the bounds (kDecide), or as the run
  // that logged the announce did (kFollow, kRefuse), so that a replay of the credit logs
  // credits what the run did whatever its sweep had forgotten by then (credit_log.h).
  enum class NewClient : std::uint8_t { kDecide, kFollow, kRefuse };
  // One announce that named `passkey` (never empty), with the counters its client reported.
  // Returns kRefuse when it refused a new client for want of room, else kFollow.
  NewClient Record(const PeerAnnounce& announce, std::string_view passkey, std::uint64_t uploaded,
                   std::uint64_t downloaded, bool completion_counted, UnixSeconds now,
                   NewClient new_client = NewClient::kDecide);
  void Credit(const PeerAnnounce& announce, std::string_view passkey, std::uint64_t uploaded,
              std::uint64_t downloaded, bool completion_counted, UnixSeconds now) override {
    Record(announce, passkey, uploaded, downloaded, completion_counted, now);
  }
  // Forgets the baselines of peers last heard at or before `cutoff` in the next part of the
  // baselines' table, going round it in `slices_per_lap` calls (not all at once: one pass over
  // a million holds the loop for tens of ms). Returns how many it forgot.
  std::size_t ExpireSlice(UnixSeconds cutoff, std::size_t slices_per_lap) {
    return baselines_.ExpireSlice(cutoff, slices_per_lap);
  }
  // Every baseline expired by `now` at once: after a replay of the credit logs, which were
  // written on baselines as saved, however old (credit_log.h).
  void ForgetExpired(UnixSeconds now) { baselines_.ExpireSlice(now - peer_timeout_, 1); }

  // What was credited since the last TakeTable, which starts them again from nothing.
  bool empty() const { return totals_.empty(); }
  Totals TotalsOf(std::string_view passkey, const InfoHash& info_hash) const;
  // Hands them over at once, unsorted: sorting, formatting and freeing a large table are for the
  // caller to do off the loop.
  TotalsTable TakeTable();
  // A taken table's entries, by passkey, then infohash.
  static std::vector<Entry> Entries(const TotalsTable& table);
  // Gives back totals a caller took but could not hand on (added to what came since).
  void Restore(const std::vector<Entry>& entries);

  std::size_t baselines() const { return baselines_.size(); }
  std::vector<PeerBaseline> Baselines() const;
  // Adds (or replaces) one client's baseline, within SetMaxClients.
  void AddBaseline(const PeerBaseline& baseline);

 private:
  // The totals key of a member's torrent, written into `key`.
  static std::string_view KeyOf(std::string_view passkey, const InfoHash& info_hash,
                                std::string& key);
  Totals& TotalsFor(std::string_view passkey, const InfoHash& info_hash);
  // Whether another client of `member` may be followed.
  bool HasRoomFor(std::uint64_t member) const;
  // The client's baseline, unless it expired by `now` (then forgotten).
  std::size_t FindFollowed(const PeerBaselineTable::Key& client, UnixSeconds now);
  // HasRoomFor, once every baseline expired by `now` went (at a bound, at most once a
  // kForgetExpiredEvery): room is what the clients not expired leave, however far ExpireSlice's
  // sweep has come.
  bool MakeRoomFor(std::uint64_t member, UnixSeconds now);
  // Whether a new client of `member` is followed: as `new_client` says, or by MakeRoomFor.
  bool Follows(NewClient new_client, std::uint64_t member, UnixSeconds now);
  bool Expired(const PeerBaselineTable::Baseline& last, UnixSeconds now) const;
  // Cuts `credit`'s transfer to what SetMaxCreditRate allows in `seconds`.
  void BoundTransfer(Totals& credit, UnixSeconds seconds);

  UnixSeconds peer_timeout_;
  SipHashKey client_key_;
  std::size_t max_clients_ = 0;
  std::size_t max_per_member_ = 0;
  std::uint64_t refused_clients_ = 0;
  static constexpr UnixSeconds kForgetExpiredEvery = 60;
  std::optional<UnixSeconds> last_forgotten_at_;  // MakeRoomFor's
  std::uint64_t max_credit_rate_ = 0;
  std::uint64_t capped_credits_ = 0;
  PeerBaselineTable baselines_;
  TotalsTable totals_;
  std::string key_scratch_;  // TotalsFor's and ClientOf's
};

}  // namespace shardtrack
