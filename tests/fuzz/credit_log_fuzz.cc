// The accounting's credit log (shard/accounting/credit_log.h): what CreditLog writes, a start
// replays, and a damaged log replays a prefix of what was written.
//
// Input: a byte stream, read as u8s (0 once it runs out). First cut:u16 and flip:u8 (where to
// damage the file, below), then announces until the input ends, each 6 bytes:
//   a: torrent (a & 3), peer id (a >> 2 & 3), passkey (a >> 4 & 3: one of four, lengths 1 to 40)
//   b: event (b % 4), seeder (bit 2), IPv6 (bit 3), completion counted (bit 4), counters go
//      back (bit 5: a restart), the clock stands still (bit 6)
//   c, d: uploaded and downloaded growth; e, f: unused but for the passkey's and time's variety
//
// Checks: the log of those announces, as a ledger at its bounds (few clients) recorded them,
// replays into a ledger exactly what recording them directly gives (every announce replayed,
// equal totals and baselines, but for baselines expired by the last announce, which the
// recording ledger's search for room may have swept first). The same log cut at `cut` bytes,
// with byte `cut` xored with `flip` when it is still inside, replays without crashing into what
// recording the first N announces gives, N being the count it says it replayed, and it stops
// with an error wherever a frame is damaged.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "shard/accounting/credit_log.h"
#include "shard/persistence/byte_codec.h"
#include "tests/fuzz/fuzz_check.h"

namespace shardtrack {
namespace {

constexpr SipHashKey kKey = {0x0123456789abcdefull, 0xfedcba9876543210ull};
const std::string kPasskeys[] = {"a", "bob", "0123456789abcdef0123456789abcdef",
                                 "a-forty-byte-passkey-of-a-longer-scheme!"};

using Logged = CreditedAnnounce;  // its passkey a view into kPasskeys

std::vector<Logged> ReadAnnounces(ByteReader& in) {
  std::vector<Logged> out;
  std::uint64_t counters[16][2] = {};
  UnixSeconds now = 1'700'000'000;
  while (in.ok() && !in.AtEnd()) {  // a short input leaves `in` not ok
    const std::uint8_t a = in.U8(), b = in.U8(), c = in.U8(), d = in.U8();
    in.U8();
    in.U8();
    Logged logged;
    logged.announce.info_hash.bytes.fill(static_cast<std::uint8_t>(a & 3));
    logged.announce.peer_id.bytes.fill(static_cast<std::uint8_t>(a >> 2 & 3));
    logged.passkey = kPasskeys[a >> 4 & 3];
    logged.announce.event = static_cast<proto::Event>(b % 4);
    logged.announce.seeder = b & 4;
    if (b & 8) logged.announce.ip = *IpAddress::Parse("2001::1");
    logged.completion_counted = b & 16;
    std::uint64_t* client = counters[a & 15];
    if (b & 32) client[0] = client[1] = 0;
    client[0] += c;
    client[1] += d;
    logged.uploaded = client[0];
    logged.downloaded = client[1];
    if (!(b & 64)) now += 1 + (c & 7);
    logged.now = now;
    out.push_back(std::move(logged));
  }
  return out;
}

TransferLedger Ledger() {
  TransferLedger ledger(kKey, 2700);
  ledger.SetMaxCreditRate(100);  // so that the clock's part is checked too
  ledger.SetMaxClients(6, 3);    // of 64 clients: some are refused
  return ledger;
}

// Records the first `count` announces as a shard does, noting in each what the ledger did.
TransferLedger Recorded(std::vector<Logged>& announces, std::size_t count) {
  TransferLedger ledger = Ledger();
  for (std::size_t i = 0; i < count; ++i) {
    Logged& l = announces[i];
    l.new_client =
        ledger.Record(l.announce, l.passkey, l.uploaded, l.downloaded, l.completion_counted, l.now);
  }
  return ledger;
}

std::vector<TransferLedger::PeerBaseline> SortedBaselines(const TransferLedger& ledger) {
  auto baselines = ledger.Baselines();
  std::sort(baselines.begin(), baselines.end(), [](const auto& x, const auto& y) {
    return std::tie(x.info_hash.bytes, x.client) < std::tie(y.info_hash.bytes, y.client);
  });
  return baselines;
}

bool Same(TransferLedger& x, TransferLedger& y, UnixSeconds now) {
  x.ExpireSlice(now - 2700, 1);
  y.ExpireSlice(now - 2700, 1);
  return SortedBaselines(x) == SortedBaselines(y) &&
         TransferLedger::Entries(x.TakeTable()) == TransferLedger::Entries(y.TakeTable());
}

}  // namespace
}  // namespace shardtrack

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shardtrack;
  ByteReader in(std::string_view(reinterpret_cast<const char*>(data), size));
  const std::uint16_t cut = in.U16();
  const std::uint8_t flip = in.U8();
  std::vector<Logged> announces = ReadAnnounces(in);
  TransferLedger recorded = Recorded(announces, announces.size());
  const auto now_after = [&](std::size_t count) {
    return count == 0 ? UnixSeconds{0} : announces[count - 1].now;
  };

  std::string file;
  AppendCreditLogHeader(7, file);
  for (const Logged& l : announces) AppendCreditRecord(l, file);
  const ReplayCheck all = [](const InfoHash&, std::uint64_t since) { return since == 7; };

  TransferLedger replayed = Ledger();
  ReplayedCredits counts;
  FUZZ_CHECK(ReplayCreditLog(file, all, replayed, counts).ok());
  const std::size_t count = counts.announces;
  FUZZ_CHECK(count == announces.size());
  FUZZ_CHECK(Same(replayed, recorded, now_after(count)));

  std::string damaged = file.substr(0, std::min<std::size_t>(cut, file.size()));
  if (cut < file.size() && flip != 0) damaged.push_back(static_cast<char>(file[cut] ^ flip));
  TransferLedger partly = Ledger();
  ReplayedCredits partly_counts;
  const Status status = ReplayCreditLog(damaged, all, partly, partly_counts);
  const std::size_t partly_count = partly_counts.announces;
  FUZZ_CHECK(partly_count <= count);
  if (cut < file.size() && flip != 0) FUZZ_CHECK(!status.ok());
  TransferLedger prefix = Recorded(announces, partly_count);
  FUZZ_CHECK(Same(partly, prefix, now_after(partly_count)));
  return 0;
}
