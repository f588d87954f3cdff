// TransferLedger: what each member is credited on each torrent from its clients' counters,
// announce by announce, and the seconds its clients seeded; a client is a member's peer id,
// whatever address it announces from.
#include "shard/accounting/transfer_ledger.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace shardtrack {
namespace {

using Totals = TransferLedger::Totals;

constexpr UnixSeconds kPeerTimeout = 2700;

InfoHash Torrent(std::uint8_t n) {
  InfoHash hash;
  hash.bytes.fill(n);
  return hash;
}

// A peer id of 20 bytes from `label`.
PeerId IdOf(const std::string& label) {
  PeerId id;
  for (std::size_t i = 0; i < label.size(); ++i) {
    id.bytes[i % PeerId::kSize] ^= static_cast<std::uint8_t>(label[i] + i);
  }
  return id;
}

class TransferLedgerTest : public ::testing::Test {
 protected:
  // A client at `ip` and `port`; its peer id is `client`'s, or else one of its own address's.
  PeerAnnounce Peer(std::uint8_t torrent, const char* ip, std::uint16_t port,
                    proto::Event event = proto::EVENT_NONE, bool seeder = false,
                    const char* client = nullptr) {
    PeerAnnounce announce;
    announce.info_hash = Torrent(torrent);
    announce.peer_id = IdOf(client ? client : std::string(ip) + ":" + std::to_string(port));
    announce.ip = *IpAddress::Parse(ip);
    announce.port = port;
    announce.event = event;
    announce.seeder = seeder;
    return announce;
  }
  void Announce(const PeerAnnounce& peer, const char* passkey, std::uint64_t up, std::uint64_t down,
                bool completion = false) {
    ledger_.Record(peer, passkey, up, down, completion, now_);
  }
  Totals Of(const std::string& passkey, std::uint8_t torrent = 1) {
    return ledger_.TotalsOf(passkey, Torrent(torrent));
  }

  TransferLedger ledger_{{1, 2}, kPeerTimeout};
  UnixSeconds now_ = 1'700'000'000;
};

TEST_F(TransferLedgerTest, AFirstAnnounceOnlySetsWhereTheCountersStand) {
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 5000, 700);
  EXPECT_EQ(Of("alice"), (Totals{0, 0, 0, 0, 1}));
  EXPECT_EQ(ledger_.baselines(), 1u);
}

TEST_F(TransferLedgerTest, LaterAnnouncesAreCreditedWhatTheCountersGrew) {
  const PeerAnnounce peer = Peer(1, "10.0.0.1", 6881);
  Announce(peer, "alice", 100, 10);
  Announce(peer, "alice", 1100, 10);
  Announce(peer, "alice", 1600, 2010);
  EXPECT_EQ(Of("alice"), (Totals{1500, 2000, 0, 0, 3}));
}

TEST_F(TransferLedgerTest, StartedOrCountersGoingBackStartAgainWithoutCredit) {
  const PeerAnnounce peer = Peer(1, "10.0.0.1", 6881);
  Announce(peer, "alice", 1000, 1000);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STARTED), "alice", 3000, 3000);
  Announce(peer, "alice", 3500, 3000);  // +500 from the restart's baseline
  // Counters begun again without `started` (a client restarted after a crash), from the same
  // address family: not credited, and followed from where they stand.
  Announce(peer, "alice", 10, 4000);
  Announce(peer, "alice", 3600, 4100);  // +3590, +100
  EXPECT_EQ(Of("alice"), (Totals{4090, 100, 0, 0, 5}));
}

TEST_F(TransferLedgerTest, AnOvertakenAnnounceFromTheOtherAddressMovesNothingBack) {
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STARTED, false, "qB"), "alice", 0, 0);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_NONE, false, "qB"), "alice", 1000, 0);
  Announce(Peer(1, "2001:db8::1", 6881, proto::EVENT_NONE, false, "qB"), "alice", 900, 0);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_NONE, false, "qB"), "alice", 1100, 0);
  EXPECT_EQ(Of("alice").uploaded, 1100u);
}

TEST_F(TransferLedgerTest, StoppedIsCreditedAndForgetsTheClient) {
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 0, 0);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STOPPED), "alice", 800, 0);
  EXPECT_EQ(ledger_.baselines(), 0u);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STOPPED), "alice", 900, 0);  // not followed
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 1200, 0);  // back: where it stands, only
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 1300, 0);
  EXPECT_EQ(Of("alice"), (Totals{900, 0, 0, 0, 4}));
}

TEST_F(TransferLedgerTest, AStoppedFromAClientNotFollowedWritesNothing) {
  // Not even a row: `stopped` to made-up infohashes would otherwise fill the member's file.
  Announce(Peer(7, "10.0.0.1", 6881, proto::EVENT_STOPPED), "alice", 50, 0);
  EXPECT_TRUE(ledger_.empty());
  EXPECT_EQ(ledger_.baselines(), 0u);
}

TEST_F(TransferLedgerTest, ACompletionIsCreditedOncePerFollowedClient) {
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STARTED), "alice", 0, 0);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_COMPLETED, true), "alice", 0, 100, true);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_COMPLETED, true), "alice", 0, 100, true);
  EXPECT_EQ(Of("alice").completed, 1u);
  // An overtaken announce (from the other family) that brings the completion credits it once.
  Announce(Peer(2, "10.0.0.1", 6881, proto::EVENT_NONE, false, "qB"), "alice", 0, 500);
  Announce(Peer(2, "2001:db8::1", 6881, proto::EVENT_COMPLETED, true, "qB"), "alice", 0, 400, true);
  Announce(Peer(2, "10.0.0.1", 6881, proto::EVENT_COMPLETED, true, "qB"), "alice", 0, 600, true);
  EXPECT_EQ(Of("alice", 2), (Totals{0, 100, 1, 0, 3}));
}

// Only a client that says it has everything snatched the torrent: a `completed` with bytes left
// is counted by the swarm (as the original tracker did) but not credited.
TEST_F(TransferLedgerTest, ACompletionWithBytesLeftIsNoSnatch) {
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STARTED), "alice", 0, 0);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_COMPLETED, false), "alice", 0, 100, true);
  EXPECT_EQ(Of("alice").completed, 0u);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_COMPLETED, true), "alice", 0, 200, true);
  EXPECT_EQ(Of("alice").completed, 1u);
}

TEST_F(TransferLedgerTest, ABaselineNothingCatchesUpWithExpires) {
  // Counters behind the baseline from the other address family are taken for overtaken ones:
  // not credited, and they do not keep the baseline alive, so once it expires the client is
  // followed from where it stands.
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_NONE, false, "qB"), "alice", 50000, 0);
  now_ += 1800;
  const PeerAnnounce v6 = Peer(1, "2001:db8::1", 6881, proto::EVENT_NONE, false, "qB");
  Announce(v6, "alice", 100, 0);
  EXPECT_EQ(ledger_.ExpireSlice(now_ - 1000, 1), 1u);
  Announce(v6, "alice", 200, 0);
  Announce(v6, "alice", 700, 0);
  EXPECT_EQ(Of("alice").uploaded, 500u);
}

TEST_F(TransferLedgerTest, ClientsPastTheBoundAreCountedButNotFollowed) {
  ledger_.SetMaxClients(2, 0);
  for (const char* ip : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
    Announce(Peer(1, ip, 6881), "alice", 0, 0);
    Announce(Peer(1, ip, 6881, proto::EVENT_COMPLETED, true), "alice", 100, 0, true);
  }
  EXPECT_EQ(ledger_.baselines(), 2u);
  EXPECT_EQ(ledger_.refused_clients(), 2u);  // the third's two announces
  EXPECT_EQ(Of("alice"), (Totals{200, 0, 2, 0, 6}));
  ledger_.AddBaseline({Torrent(9), 77, 0, 0, now_, false, false});  // a saved one: no room
  EXPECT_EQ(ledger_.baselines(), 2u);
}

TEST_F(TransferLedgerTest, OneMemberCannotTakeEveryoneElsesRoom) {
  ledger_.SetMaxClients(100, 3);
  for (int n = 0; n < 10; ++n) {  // made-up peer ids, one address
    const std::string id = "made-up " + std::to_string(n);
    Announce(Peer(1, "10.0.0.9", 6881, proto::EVENT_NONE, false, id.c_str()), "mallory", 0, 0);
  }
  EXPECT_EQ(ledger_.baselines(), 3u);
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 0, 0);
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 700, 0);
  EXPECT_EQ(Of("alice").uploaded, 700u);
  // A client gone makes room for another of the same member.
  Announce(Peer(1, "10.0.0.9", 6881, proto::EVENT_STOPPED, false, "made-up 0"), "mallory", 0, 0);
  Announce(Peer(1, "10.0.0.9", 6881, proto::EVENT_NONE, false, "made-up 9"), "mallory", 0, 0);
  Announce(Peer(1, "10.0.0.9", 6881, proto::EVENT_NONE, false, "made-up 9"), "mallory", 5, 0);
  EXPECT_EQ(Of("mallory").uploaded, 5u);
  EXPECT_EQ(ledger_.baselines(), 4u);
}

TEST_F(TransferLedgerTest, ClientsAreATorrentAMemberAndAPeerIdAndTotalsAMemberAndATorrent) {
  for (const PeerAnnounce& peer :
       {Peer(1, "10.0.0.1", 6881), Peer(2, "10.0.0.1", 6881), Peer(1, "10.0.0.2", 6881),
        Peer(1, "10.0.0.1", 6882), Peer(1, "2001:db8::1", 6881)}) {
    Announce(peer, "alice", 100, 0);
    Announce(peer, "alice", 150, 0);
  }
  EXPECT_EQ(ledger_.baselines(), 5u);
  EXPECT_EQ(Of("alice", 1), (Totals{200, 0, 0, 0, 8}));
  EXPECT_EQ(Of("alice", 2), (Totals{50, 0, 0, 0, 2}));
}

TEST_F(TransferLedgerTest, EachAnnounceIsCreditedToThePasskeyItNamed) {
  const PeerAnnounce peer = Peer(1, "10.0.0.1", 6881);
  Announce(peer, "alice", 0, 0);
  Announce(peer, "alice", 300, 0);
  const PeerAnnounce done = Peer(1, "10.0.0.1", 6881, proto::EVENT_COMPLETED, /*seeder=*/true);
  Announce(done, "bob", 300, 0, /*completion=*/true);  // bob's first: only where it stands
  EXPECT_EQ(Of("alice"), (Totals{300, 0, 0, 0, 2}));
  EXPECT_EQ(Of("bob"), (Totals{0, 0, 1, 0, 1}));
}

TEST_F(TransferLedgerTest, AClientAnnouncingFromBothFamiliesIsCreditedOnce) {
  // libtorrent 2 announces from each address family with one peer id and the same counters.
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STARTED, false, "qB"), "alice", 0, 0);
  Announce(Peer(1, "2001:db8::1", 6881, proto::EVENT_STARTED, false, "qB"), "alice", 0, 0);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_NONE, false, "qB"), "alice", 500, 300);
  Announce(Peer(1, "2001:db8::1", 6881, proto::EVENT_NONE, false, "qB"), "alice", 500, 300);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_COMPLETED, true, "qB"), "alice", 900, 600,
           /*completion=*/true);
  Announce(Peer(1, "2001:db8::1", 6881, proto::EVENT_COMPLETED, true, "qB"), "alice", 900, 600,
           /*completion=*/true);  // the swarm counted this address's completion too
  EXPECT_EQ(Of("alice"), (Totals{900, 600, 1, 0, 6}));
  EXPECT_EQ(ledger_.baselines(), 1u);
}

TEST_F(TransferLedgerTest, AClientThatMovesAddressTakesUpWhereItLeftOff) {
  Announce(Peer(1, "10.0.0.30", 6881, proto::EVENT_STARTED, false, "tr"), "alice", 0, 0);
  Announce(Peer(1, "10.0.0.30", 6881, proto::EVENT_NONE, false, "tr"), "alice", 100, 0);
  Announce(Peer(1, "10.0.0.31", 6881, proto::EVENT_NONE, false, "tr"), "alice", 200, 0);
  Announce(Peer(1, "10.0.0.31", 6881, proto::EVENT_NONE, false, "tr"), "alice", 300, 0);
  Announce(Peer(1, "10.0.0.30", 6881, proto::EVENT_NONE, false, "tr"), "alice", 400, 0);
  EXPECT_EQ(Of("alice").uploaded, 400u);
}

TEST_F(TransferLedgerTest, MembersSharingAnAddressOrAPeerIdAreApart) {
  // Behind one NAT on one port, or one copying another's peer id: neither moves the other's.
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_NONE, false, "a"), "alice", 1000, 0);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STARTED, false, "b"), "bob", 0, 0);
  Announce(Peer(1, "10.0.0.9", 7000, proto::EVENT_STARTED, false, "a"), "mallory", 0, 0);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_NONE, false, "a"), "alice", 2100, 0);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_NONE, false, "b"), "bob", 50, 0);
  EXPECT_EQ(Of("alice").uploaded, 1100u);
  EXPECT_EQ(Of("bob").uploaded, 50u);
  EXPECT_EQ(Of("mallory").uploaded, 0u);
}

TEST_F(TransferLedgerTest, CreditSaturatesAtWhatAnSqlIntegerHolds) {
  const PeerAnnounce peer = Peer(1, "10.0.0.1", 6881);
  Announce(peer, "alice", 0, 0);
  Announce(peer, "alice", ~std::uint64_t{0}, 0);  // a claim, not a transfer
  EXPECT_EQ(Of("alice").uploaded, TransferLedger::kMaxCredit);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STARTED), "alice", 0, 0);
  Announce(peer, "alice", ~std::uint64_t{0}, 0);
  EXPECT_EQ(Of("alice").uploaded, TransferLedger::kMaxCredit);  // not wrapped round
  Totals restored{TransferLedger::kMaxCredit - 1, 0, 0, 0, 0};
  restored.Add(Totals{5, 0, 0, 0, 0});
  EXPECT_EQ(restored.uploaded, TransferLedger::kMaxCredit);
}

TEST_F(TransferLedgerTest, TransferPastTheCreditRateIsNotCredited) {
  ledger_.SetMaxCreditRate(1000);  // bytes a second
  const PeerAnnounce peer = Peer(1, "10.0.0.1", 6881);
  Announce(peer, "alice", 0, 0);
  now_ += 10;
  Announce(peer, "alice", 50'000, 4'000);  // 5,000 B/s up claimed, 400 down
  EXPECT_EQ(Of("alice"), (Totals{10'000, 4'000, 0, 0, 2}));
  EXPECT_EQ(ledger_.capped_credits(), 1u);
  now_ += 10;
  Announce(peer, "alice", 60'000, 14'000);  // followed on from the claim: within the bound
  EXPECT_EQ(Of("alice"), (Totals{20'000, 14'000, 0, 0, 3}));
  EXPECT_EQ(ledger_.capped_credits(), 1u);
  // Within the same second: nothing yet, however often it announces; a second later, a second's
  // worth of all of it.
  for (int i = 0; i < 5; ++i) Announce(peer, "alice", 60'500 + i, 14'000);
  EXPECT_EQ(Of("alice"), (Totals{20'000, 14'000, 0, 0, 8}));
  now_ += 1;
  Announce(peer, "alice", 62'000, 14'000);
  EXPECT_EQ(Of("alice"), (Totals{21'000, 14'000, 0, 0, 9}));
  EXPECT_EQ(ledger_.capped_credits(), 2u);
  // A stop within the same second is credited nothing, and forgets the client.
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STOPPED), "alice", 63'000, 14'000);
  EXPECT_EQ(Of("alice"), (Totals{21'000, 14'000, 0, 0, 10}));
  EXPECT_EQ(ledger_.baselines(), 0u);
}

TEST_F(TransferLedgerTest, ACreditRateOfMoreThanTotalsHoldStopsThere) {
  ledger_.SetMaxCreditRate(~std::uint64_t{0});
  const PeerAnnounce peer = Peer(1, "10.0.0.1", 6881);
  Announce(peer, "alice", 0, 0);
  now_ += 100;
  Announce(peer, "alice", ~std::uint64_t{0}, 5);
  EXPECT_EQ(Of("alice").uploaded, TransferLedger::kMaxCredit);
  EXPECT_EQ(Of("alice").downloaded, 5u);
  EXPECT_EQ(ledger_.capped_credits(), 1u);  // cut to what a total holds
}

TEST_F(TransferLedgerTest, SecondsBetweenAnnouncesOfASeederAreSeedingTime) {
  const PeerAnnounce seeder = Peer(1, "10.0.0.1", 6881, proto::EVENT_NONE, true);
  Announce(seeder, "alice", 0, 0);
  now_ += 1800;
  Announce(seeder, "alice", 0, 0);
  now_ += 1700;
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STOPPED, true), "alice", 0, 0);
  EXPECT_EQ(Of("alice").seeding_seconds, 3500u);

  const PeerAnnounce leecher = Peer(1, "10.0.0.2", 6881);
  Announce(leecher, "bob", 0, 0);
  now_ += 600;
  Announce(Peer(1, "10.0.0.2", 6881, proto::EVENT_COMPLETED, true), "bob", 0, 900, true);
  now_ += 600;  // seeding from the completion on
  Announce(Peer(1, "10.0.0.2", 6881, proto::EVENT_NONE, true), "bob", 0, 900);
  now_ += kPeerTimeout + 1;  // the swarm had dropped it: not seeding all that time
  Announce(Peer(1, "10.0.0.2", 6881, proto::EVENT_NONE, true), "bob", 0, 900);
  EXPECT_EQ(Of("bob"), (Totals{0, 900, 1, 600, 4}));
}

TEST_F(TransferLedgerTest, ExpiredBaselinesAreForgotten) {
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 100, 0);
  now_ += 100;
  Announce(Peer(1, "10.0.0.2", 6881), "alice", 100, 0);
  EXPECT_EQ(ledger_.ExpireSlice(now_ - 1, 1), 1u);
  EXPECT_EQ(ledger_.baselines(), 1u);
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 900, 0);  // forgotten: not credited
  Announce(Peer(1, "10.0.0.2", 6881), "alice", 200, 0);
  EXPECT_EQ(Of("alice").uploaded, 100u);
}

// Expired is expired whether or not the sweep came by (a replay of the credit logs sweeps
// nothing): the client is followed again from where it stands, and its room is free.
TEST_F(TransferLedgerTest, ABaselineExpiredButNotYetSweptIsForgottenAsIfItWere) {
  ledger_.SetMaxClients(100, 1);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STARTED), "alice", 0, 0);
  now_ += kPeerTimeout;
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 1000, 0);  // where it stands now: no credit
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 1500, 0);
  EXPECT_EQ(Of("alice").uploaded, 500u);

  Announce(Peer(2, "10.0.0.1", 6881, proto::EVENT_STARTED), "bob", 0, 0);
  now_ += kPeerTimeout;
  Announce(Peer(2, "10.0.0.2", 6881, proto::EVENT_STARTED), "bob", 0, 0);  // bob's other client
  Announce(Peer(2, "10.0.0.2", 6881), "bob", 800, 0);
  EXPECT_EQ(Of("bob", 2).uploaded, 800u) << "the room of bob's first, expired, is free";
  EXPECT_EQ(ledger_.refused_clients(), 0u);
}

// A member making up clients stays at a bound: the lap that forgets the expired runs at most
// once a minute there, and a client that comes meanwhile waits for the next.
TEST_F(TransferLedgerTest, AtABoundTheExpiredAreForgottenAtMostOnceAMinute) {
  ledger_.SetMaxClients(2, 0);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STARTED), "alice", 0, 0);
  now_ += 30;
  Announce(Peer(1, "10.0.0.2", 6881, proto::EVENT_STARTED), "bob", 0, 0);
  now_ += kPeerTimeout - 30;  // alice's expired, bob's not
  Announce(Peer(1, "10.0.0.3", 6881, proto::EVENT_STARTED), "carol", 0, 0);
  EXPECT_EQ(ledger_.refused_clients(), 0u) << "alice's room";
  now_ += 30;  // bob's expired too, but the last lap was 30 s ago
  Announce(Peer(1, "10.0.0.4", 6881, proto::EVENT_STARTED), "dave", 0, 0);
  EXPECT_EQ(ledger_.refused_clients(), 1u);
  now_ += 30;
  Announce(Peer(1, "10.0.0.4", 6881, proto::EVENT_STARTED), "dave", 0, 0);
  Announce(Peer(1, "10.0.0.4", 6881), "dave", 300, 0);
  EXPECT_EQ(ledger_.refused_clients(), 1u) << "bob's room, a minute on";
  EXPECT_EQ(Of("dave").uploaded, 300u);
}

TEST_F(TransferLedgerTest, ExpiringSliceBySliceGoesRoundEveryBaselineOnce) {
  for (std::uint16_t port = 1; port <= 1000; ++port) {
    Announce(Peer(1, "10.0.0.1", port), "alice", 0, 0);
  }
  now_ += 10;
  Announce(Peer(1, "10.0.0.2", 1), "alice", 0, 0);
  std::size_t removed = 0;
  for (int slice = 0; slice < 7; ++slice) {
    removed += ledger_.ExpireSlice(now_ - 1, 7);
    if (slice == 0) {
      EXPECT_GT(removed, 0u);
      EXPECT_LT(removed, 1000u / 4);
    }
  }
  EXPECT_EQ(removed, 1000u);  // one lap
  EXPECT_EQ(ledger_.baselines(), 1u);
}

TEST_F(TransferLedgerTest, BaselinesComeOutAsTheyWereAddedAcrossGrowth) {
  std::vector<TransferLedger::PeerBaseline> added;
  for (std::uint16_t n = 0; n < 3000; ++n) {
    added.push_back({Torrent(static_cast<std::uint8_t>(n / 256)), 0xc0ffee00'00000000u + n, n * 10u,
                     n * 3u, now_ - n, n % 3 == 0, n % 5 == 0, n % 11u, n % 7 == 0});
  }
  for (const auto& baseline : added) ledger_.AddBaseline(baseline);
  ledger_.AddBaseline(added[0]);  // again: replaces
  const auto by_key = [](const TransferLedger::PeerBaseline& a,
                         const TransferLedger::PeerBaseline& b) { return a.client < b.client; };
  std::vector<TransferLedger::PeerBaseline> out = ledger_.Baselines();
  std::sort(out.begin(), out.end(), by_key);
  std::sort(added.begin(), added.end(), by_key);
  EXPECT_EQ(out, added);
  EXPECT_EQ(ledger_.baselines(), 3000u);
}

TEST_F(TransferLedgerTest, AClientIsTheSameUnderTheSameKeyAndNoOther) {
  const PeerId id = IdOf("qB");
  TransferLedger same{{9, 9}, kPeerTimeout};
  same.SetClientKey(ledger_.client_key());
  EXPECT_EQ(same.ClientOf("alice", id), ledger_.ClientOf("alice", id));
  EXPECT_NE(ledger_.ClientOf("bob", id), ledger_.ClientOf("alice", id));
  EXPECT_NE(ledger_.ClientOf("alice", IdOf("tr")), ledger_.ClientOf("alice", id));
  TransferLedger other{{9, 9}, kPeerTimeout};
  EXPECT_NE(other.ClientOf("alice", id), ledger_.ClientOf("alice", id));
}

TEST_F(TransferLedgerTest, TakenTotalsAreSortedAndStartAgainAndRestoredOnesAddUp) {
  Announce(Peer(2, "10.0.0.1", 6881), "bob", 0, 0);
  Announce(Peer(2, "10.0.0.1", 6881), "alice", 0, 0);
  const PeerAnnounce peer = Peer(1, "10.0.0.2", 6881);
  Announce(peer, "alice", 0, 0);
  Announce(peer, "alice", 100, 0);
  const std::vector<TransferLedger::Entry> taken = TransferLedger::Entries(ledger_.TakeTable());
  EXPECT_EQ(taken, (std::vector<TransferLedger::Entry>{{"alice", Torrent(1), {100, 0, 0, 0, 2}},
                                                       {"alice", Torrent(2), {0, 0, 0, 0, 1}},
                                                       {"bob", Torrent(2), {0, 0, 0, 0, 1}}}));
  EXPECT_TRUE(ledger_.empty());
  Announce(peer, "alice", 150, 0);
  ledger_.Restore(taken);
  EXPECT_EQ(Of("alice"), (Totals{150, 0, 0, 0, 3}));
  EXPECT_EQ(Of("bob", 2), (Totals{0, 0, 0, 0, 1}));
}

}  // namespace
}  // namespace shardtrack
