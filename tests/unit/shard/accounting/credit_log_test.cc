// The credit log's records as a replay reads them: each says whether the ledger followed its
// client or refused it as new for want of room, and the replay does the same whatever its own
// bounds say; a record that says both is damaged.
#include "shard/accounting/credit_log.h"

#include <gtest/gtest.h>

#include <string>

#include "shard/persistence/record_framing.h"

namespace shardtrack {
namespace {

constexpr UnixSeconds kNow = 1'700'000'000;
const ReplayCheck kAll = [](const InfoHash&, std::uint64_t) { return true; };

// Client `id`'s announce to one torrent, logged with what the ledger did with it.
CreditedAnnounce Logged(std::uint8_t id, TransferLedger::NewClient new_client) {
  CreditedAnnounce credited;
  credited.announce.ip = *IpAddress::Parse("10.0.0.1");
  credited.announce.port = 6881;
  credited.announce.peer_id.bytes[0] = id;
  credited.passkey = "alice";
  credited.now = kNow;
  credited.new_client = new_client;
  return credited;
}

std::string LogOf(std::initializer_list<CreditedAnnounce> records) {
  std::string file;
  AppendCreditLogHeader(1, file);
  for (const CreditedAnnounce& record : records) AppendCreditRecord(record, file);
  return file;
}

TEST(CreditLogTest, AReplayFollowsAndRefusesNewClientsAsTheRunDidWhateverItsBounds) {
  using NewClient = TransferLedger::NewClient;
  TransferLedger ledger({1, 2}, 2700);
  ledger.SetMaxClients(1, 0);
  const std::string file = LogOf({Logged(1, NewClient::kRefuse), Logged(2, NewClient::kFollow),
                                  Logged(3, NewClient::kFollow)});
  ReplayedCredits counts;
  ASSERT_TRUE(ReplayCreditLog(file, kAll, ledger, counts).ok());
  EXPECT_EQ(counts.announces, 3u);
  EXPECT_EQ(ledger.baselines(), 2u);        // past the bound of 1, as the run had room then
  EXPECT_EQ(ledger.refused_clients(), 1u);  // though it has room now
}

TEST(CreditLogTest, ARecordSayingItsClientWasBothFollowedAndRefusedIsMalformed) {
  std::string record;
  AppendCreditRecord(Logged(1, TransferLedger::NewClient::kFollow), record);
  // The fields after the frame's header and type byte; the flags byte follows infohash, peer
  // id, the two counters, the time and the event.
  std::string fields = record.substr(kFrameHeaderSize + 1);
  constexpr std::size_t kFlagsAt = 20 + 20 + 8 + 8 + 8 + 1;
  ASSERT_EQ(fields[kFlagsAt], 8);  // followed
  fields[kFlagsAt] = 8 | 16;
  std::string file;
  AppendCreditLogHeader(1, file);
  AppendFrame(file, RecordType::kCreditedAnnounce, fields);

  TransferLedger ledger({1, 2}, 2700);
  ReplayedCredits counts;
  const Status replayed = ReplayCreditLog(file, kAll, ledger, counts);
  ASSERT_FALSE(replayed.ok());
  EXPECT_NE(replayed.error().find("a malformed record"), std::string::npos) << replayed.error();
  EXPECT_EQ(counts.announces, 0u);
  EXPECT_EQ(ledger.baselines(), 0u);
}

}  // namespace
}  // namespace shardtrack
