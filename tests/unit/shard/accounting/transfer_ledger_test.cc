// TransferLedger: what each member is credited from its peers' counters, announce by announce.
#include "shard/accounting/transfer_ledger.h"

#include <gtest/gtest.h>

#include <string>

namespace shardtrack {
namespace {

using Totals = TransferLedger::Totals;

class TransferLedgerTest : public ::testing::Test {
 protected:
  PeerAnnounce Peer(std::uint8_t torrent, const char* ip, std::uint16_t port,
                    proto::Event event = proto::EVENT_NONE) {
    PeerAnnounce announce;
    announce.info_hash.bytes.fill(torrent);
    announce.ip = *IpAddress::Parse(ip);
    announce.port = port;
    announce.event = event;
    return announce;
  }
  void Announce(const PeerAnnounce& peer, const char* passkey, std::uint64_t up, std::uint64_t down,
                bool completion = false) {
    ledger_.Record(peer, passkey, up, down, completion, now_);
  }
  Totals Of(const std::string& passkey) { return ledger_.TotalsOf(passkey); }

  TransferLedger ledger_{{1, 2}};
  UnixSeconds now_ = 1'700'000'000;
};

TEST_F(TransferLedgerTest, AFirstAnnounceOnlySetsWhereTheCountersStand) {
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 5000, 700);
  EXPECT_EQ(Of("alice"), (Totals{0, 0, 0, 1}));
  EXPECT_EQ(ledger_.baselines(), 1u);
}

TEST_F(TransferLedgerTest, LaterAnnouncesAreCreditedWhatTheCountersGrew) {
  const PeerAnnounce peer = Peer(1, "10.0.0.1", 6881);
  Announce(peer, "alice", 100, 10);
  Announce(peer, "alice", 1100, 10);
  Announce(peer, "alice", 1600, 2010);
  EXPECT_EQ(Of("alice"), (Totals{1500, 2000, 0, 3}));
}

TEST_F(TransferLedgerTest, StartedOrCountersGoingBackwardsStartAgainWithoutCredit) {
  const PeerAnnounce peer = Peer(1, "10.0.0.1", 6881);
  Announce(peer, "alice", 1000, 1000);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STARTED), "alice", 3000, 3000);
  Announce(peer, "alice", 3500, 3000);  // +500 from the restart's baseline
  Announce(peer, "alice", 10, 4000);    // uploaded went back: the client began again
  Announce(peer, "alice", 60, 4100);
  EXPECT_EQ(Of("alice"), (Totals{550, 100, 0, 5}));
}

TEST_F(TransferLedgerTest, StoppedIsCreditedAndForgetsThePeer) {
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 0, 0);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STOPPED), "alice", 800, 0);
  EXPECT_EQ(ledger_.baselines(), 0u);
  Announce(Peer(1, "10.0.0.1", 6881, proto::EVENT_STOPPED), "alice", 900, 0);
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 1200, 0);  // back: a first announce again
  EXPECT_EQ(Of("alice"), (Totals{800, 0, 0, 4}));
}

TEST_F(TransferLedgerTest, PeersAreATorrentAnAddressAndAPort) {
  for (const PeerAnnounce& peer :
       {Peer(1, "10.0.0.1", 6881), Peer(2, "10.0.0.1", 6881), Peer(1, "10.0.0.2", 6881),
        Peer(1, "10.0.0.1", 6882), Peer(1, "2001:db8::1", 6881)}) {
    Announce(peer, "alice", 100, 0);
    Announce(peer, "alice", 150, 0);
  }
  EXPECT_EQ(ledger_.baselines(), 5u);
  EXPECT_EQ(Of("alice"), (Totals{250, 0, 0, 10}));
}

TEST_F(TransferLedgerTest, EachAnnounceIsCreditedToThePasskeyItNamed) {
  const PeerAnnounce peer = Peer(1, "10.0.0.1", 6881);
  Announce(peer, "alice", 0, 0);
  Announce(peer, "bob", 300, 0, /*completion=*/true);
  EXPECT_EQ(Of("alice"), (Totals{0, 0, 0, 1}));
  EXPECT_EQ(Of("bob"), (Totals{300, 0, 1, 1}));
}

TEST_F(TransferLedgerTest, ExpiredBaselinesAreForgotten) {
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 100, 0);
  now_ += 100;
  Announce(Peer(1, "10.0.0.2", 6881), "alice", 100, 0);
  EXPECT_EQ(ledger_.Expire(now_ - 1), 1u);
  EXPECT_EQ(ledger_.baselines(), 1u);
  Announce(Peer(1, "10.0.0.1", 6881), "alice", 900, 0);  // forgotten: not credited
  Announce(Peer(1, "10.0.0.2", 6881), "alice", 200, 0);
  EXPECT_EQ(Of("alice").uploaded, 100u);
}

TEST_F(TransferLedgerTest, TakenTotalsStartAgainAndRestoredOnesAddUp) {
  const PeerAnnounce peer = Peer(1, "10.0.0.1", 6881);
  Announce(peer, "alice", 0, 0);
  Announce(peer, "alice", 100, 0);
  TransferLedger::TotalsByMember taken = ledger_.TakeTotals();
  EXPECT_EQ(taken.at("alice"), (Totals{100, 0, 0, 2}));
  EXPECT_TRUE(ledger_.empty());
  Announce(peer, "alice", 150, 0);
  ledger_.Restore(taken);
  EXPECT_EQ(Of("alice"), (Totals{150, 0, 0, 3}));
}

}  // namespace
}  // namespace shardtrack
