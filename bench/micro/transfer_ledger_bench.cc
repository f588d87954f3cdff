// TransferLedger at a big private tracker's size: the heap it holds per peer (malloc's count of
// bytes in use, before and after every peer's first announce: baselines and members' totals),
// nanoseconds per Record (an announce naming a passkey, its peer already known), the longest
// Record while the tables grow (a pause on the shard's loop) at first and once the totals were
// taken, and what copying the baselines (to save them with each accounting file) and expiring a
// slice or all of them cost. A benchmark, never run by ctest: build/bin/transfer_ledger_bench
// [peers], pinned (taskset).
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/micro/nanos_per_call.h"
#include "shard/accounting/transfer_ledger.h"

namespace shardtrack {
namespace {

PeerAnnounce PeerNumber(std::uint64_t n) {
  PeerAnnounce announce;
  const std::uint64_t torrent = n / 10;
  for (std::size_t i = 0; i < 8; ++i) announce.info_hash.bytes[i] = (torrent >> (8 * i)) & 0xff;
  const std::uint32_t address = 0x0a000000u + static_cast<std::uint32_t>(n);
  std::string raw(4, '\0');
  for (int i = 0; i < 4; ++i) raw[i] = static_cast<char>(address >> (8 * (3 - i)));
  announce.ip = *IpAddress::FromRaw(raw);
  announce.port = 6881;
  for (std::size_t i = 0; i < 8; ++i) announce.peer_id.bytes[12 + i] = (n >> (8 * i)) & 0xff;
  return announce;
}

// Bytes the heap has handed out and not taken back (glibc's count, free lists excluded), large
// blocks malloc maps on their own (a big table) included.
std::size_t HeapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

double MillisOf(auto work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace
}  // namespace shardtrack

int main(int argc, char** argv) {
  using namespace shardtrack;
  const std::uint64_t peers = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  TransferLedger ledger({1, 2}, 2700);
  std::vector<PeerAnnounce> announces;
  std::vector<std::string> passkeys;
  for (std::uint64_t n = 0; n < peers; ++n) announces.push_back(PeerNumber(n));
  for (std::uint64_t n = 0; n < peers / 10 + 1; ++n)
    passkeys.push_back("member" + std::to_string(n));
  const std::size_t heap_before = HeapInUse();
  double longest_first_ms = 0;  // the table's growth: a pause on the shard's loop
  for (std::uint64_t n = 0; n < peers; ++n) {
    longest_first_ms = std::max(longest_first_ms, MillisOf([&] {
                                  ledger.Record(announces[n], passkeys[n / 10], 0, 0, false, 1000);
                                }));
  }
  const double bytes_per_peer =
      static_cast<double>(HeapInUse() - heap_before) / static_cast<double>(peers);
  const double record_ns = NanosPerCall(static_cast<int>(peers), [&](int i) {
    const std::uint64_t n = (static_cast<std::uint64_t>(i) * 7919) % peers;
    ledger.Record(announces[n], passkeys[n / 10], 1024, 0, false, 1001);
    return 1;
  });
  std::size_t entries = 0;
  const double take_ms =
      MillisOf([&] { entries = TransferLedger::Entries(ledger.TakeTable()).size(); });
  double longest_after_take_ms = 0;  // the members' totals fill again
  for (std::uint64_t n = 0; n < peers; ++n) {
    longest_after_take_ms = std::max(
        longest_after_take_ms,
        MillisOf([&] { ledger.Record(announces[n], passkeys[n / 10], 2048, 0, false, 1002); }));
  }
  TransferLedger::Entries(ledger.TakeTable());
  const double baseline_bytes_per_peer =  // the totals are gone: what is left is the baselines
      static_cast<double>(HeapInUse() - heap_before) / static_cast<double>(peers);
  std::size_t copied = 0;  // what the flusher copies on the loop with each file, to save them
  const double copy_ms = MillisOf([&] { copied = ledger.Baselines().size(); });
  const double slice_ms = MillisOf([&] {  // what the flusher runs each second: 1/60 of them
    ledger.ExpireSlice(0, 60);
  });
  const double scan_ms = MillisOf([&] { ledger.ExpireSlice(0, 1); });  // examines all, removes none
  std::size_t removed = 0;
  const double remove_ms = MillisOf([&] { removed = ledger.ExpireSlice(2000, 1); });
  std::printf(
      "peers %llu: ledger %.1f bytes per peer (baselines %.1f), longest first announce %.1f ms; "
      "Record %.0f ns; taking and sorting "
      "%zu members' torrents %.1f ms, longest Record after it %.1f ms; copying the %zu "
      "baselines %.1f ms; a sixtieth of "
      "the baselines examined %.1f ms; all of them, none removed, %.1f ms; every one removed "
      "(%zu), %.1f ms\n",
      static_cast<unsigned long long>(peers), bytes_per_peer, baseline_bytes_per_peer,
      longest_first_ms, record_ns, entries, take_ms, longest_after_take_ms, copied, copy_ms,
      slice_ms, scan_ms, removed, remove_ms);
}
