// The accounting's credit log (shard/accounting/credit_log.h) beside what it logs: nanoseconds
// per TransferLedger::Record alone, and per Record with its Append and its share of the write the
// shard makes at the end of each turn (one per `batch` announces, into a file in DIR: the data
// directory's disk, or tmpfs to leave the disk out), twice each in turn; the bytes it writes per
// announce, and what replaying the log at start costs per announce. A benchmark, never run by
// ctest: build/bin/credit_log_bench [DIR] [announces] [batch], pinned (taskset).
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/micro/nanos_per_call.h"
#include "shard/accounting/credit_log.h"

namespace shardtrack {
namespace {

PeerAnnounce ClientNumber(std::uint64_t n) {
  PeerAnnounce announce;
  const std::uint64_t torrent = n / 10;
  for (std::size_t i = 0; i < 8; ++i) announce.info_hash.bytes[i] = (torrent >> (8 * i)) & 0xff;
  for (std::size_t i = 0; i < 8; ++i) announce.peer_id.bytes[12 + i] = (n >> (8 * i)) & 0xff;
  announce.port = 6881;
  return announce;
}

}  // namespace
}  // namespace shardtrack

int main(int argc, char** argv) {
  using namespace shardtrack;
  const std::string parent = argc > 1 ? argv[1] : "/tmp";
  const int announces = argc > 2 ? std::atoi(argv[2]) : 1000000;
  const int batch = argc > 3 ? std::atoi(argv[3]) : 64;
  const std::string dir = parent + "/credit_log_bench." + std::to_string(getpid());
  const int clients = announces / 10 + 1;
  std::vector<PeerAnnounce> peers;
  for (int n = 0; n < clients; ++n) peers.push_back(ClientNumber(static_cast<std::uint64_t>(n)));
  const std::string passkey = "0123456789abcdef0123456789abcdef";  // a common 32-character one
  auto nth = [&](int i) -> const PeerAnnounce& {
    return peers[static_cast<std::size_t>(i) % peers.size()];
  };

  // Alternately (A B A B), each on a new ledger: Record alone, then Record, Append and the
  // turn's write.
  PosixFileOps files;
  double record_ns[2] = {}, logged_ns[2] = {};
  bool written = true;
  for (int round = 0; round < 2; ++round) {
    TransferLedger alone({1, 2}, 2700);
    record_ns[round] = NanosPerCall(announces, [&](int i) {
      alone.Record(nth(i), passkey, 1024ULL * static_cast<std::uint64_t>(i), 0, false, 1000 + i);
      return 1;
    });
    std::filesystem::remove_all(dir);
    TransferLedger ledger({1, 2}, 2700);
    CreditLog log(files, dir, {0, 1, 1}, 1);
    logged_ns[round] = NanosPerCall(announces, [&](int i) {
      CreditedAnnounce credited{nth(i), passkey, 1024ULL * static_cast<std::uint64_t>(i),
                                0,      false,   1000 + i};
      credited.new_client =
          ledger.Record(credited.announce, passkey, credited.uploaded, 0, false, credited.now);
      log.Append(credited);
      if (i % batch == batch - 1) written = log.WriteBuffered().ok() && written;
      return 1;
    });
    written = log.WriteBuffered().ok() && written;
  }
  const auto bytes = std::filesystem::file_size(dir + "/shard0-of-1-1.credits");

  // The log holds the last round's announces (each round starts a new one): the time is divided
  // by the announces the replay found.
  TransferLedger replayed({1, 2}, 2700);
  ReplayedCredits replay;
  const double replay_total_ns = NanosPerCall(1, [&](int) {
    auto result = ReplayCreditLogs(
        files, dir, {0, 1, 1}, 0, [](const InfoHash&, std::uint64_t) { return true; }, replayed);
    if (result) replay = *result;
    return replay.announces;
  });
  const double replay_ns =
      replay_total_ns / static_cast<double>(std::max<std::size_t>(replay.announces, 1));
  std::filesystem::remove_all(dir);
  std::printf(
      "%d announces of %d clients: Record %.0f / %.0f ns; Record, Append and a write every %d "
      "announces %.0f / %.0f ns (%s); %.1f bytes per announce; replay %.0f ns per announce (%zu "
      "replayed)\n",
      announces, clients, record_ns[0], record_ns[1], batch, logged_ns[0], logged_ns[1],
      written ? "written" : "A WRITE FAILED", static_cast<double>(bytes) / announces, replay_ns,
      replay.announces);
}
