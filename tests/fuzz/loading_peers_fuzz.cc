// LoadingPeers (shard/persistence/loading_peers.h), the loader's per-torrent peer set, driven as
// the loader drives it: snapshot records first, then journal upserts and removals.
//
// Input: a byte stream, read as u8s (0 once it runs out), over a small endpoint space so that
// endpoints collide and swarms pass kIndexFrom, where the index by endpoint is built:
//   records:u8 (%5 snapshot records), each: count:u8 (%65 peers), each peer: a:u8 b:u8 c:u8
//   then journal records until the input ends: op:u8 (%3 == 0: removal, else upsert), peer
//   peer: a bit 7: IPv6 2001::(a & 0x1f), else 10.0.0.(a & 0x3f); port (b & 3) << 8 | (b & 1);
//     c: peer id byte 0 and last_seen; c bit 0: seeder; bit 1: completed
//
// Checks, against a std::map model of the header's semantics (of two snapshot peers at one
// endpoint the later counts; an upsert replaces the peer at its endpoint, whose completed flag
// stays set; a removal drops it): Take() gives the model's peers, one per endpoint, sorted by
// (address bytes, port big-endian), and leaves the set empty. The index by endpoint exists
// exactly when a journal record has met more than kIndexFrom peers (never before the journal).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "common/siphash.h"
#include "shard/persistence/byte_codec.h"
#include "shard/persistence/loading_peers.h"
#include "tests/fuzz/fuzz_check.h"

namespace shardtrack {
namespace {

constexpr SipHashKey kIndexKey = {0x0123456789abcdefull, 0xfedcba9876543210ull};

PeerRecord NextPeer(ByteReader& in) {
  const std::uint8_t a = in.U8(), b = in.U8(), c = in.U8();
  std::string raw;
  if (a & 0x80) {
    raw.assign(16, '\0');
    raw[0] = 0x20;
    raw[1] = 0x01;
    raw[15] = static_cast<char>(a & 0x1f);
  } else {
    raw = {10, 0, 0, static_cast<char>(a & 0x3f)};
  }
  PeerRecord peer;
  peer.ip = *IpAddress::FromRaw(raw);
  peer.port = static_cast<std::uint16_t>((b & 3) << 8 | (b & 1));
  peer.peer_id.bytes[0] = c;
  peer.seeder = c & 1;
  peer.completed = c & 2;
  peer.last_seen = c;
  return peer;
}

// The model's key: address bytes, then the port high byte first, so its order is Take()'s.
std::string EndpointOf(const PeerRecord& peer) {
  std::string key(peer.ip.raw());
  key.push_back(static_cast<char>(peer.port >> 8));
  key.push_back(static_cast<char>(peer.port & 0xff));
  return key;
}

using Model = std::map<std::string, PeerRecord>;

void AddSnapshotRecords(ByteReader& in, LoadingPeers& peers, Model& model) {
  const int records = in.U8() % 5;
  for (int r = 0; r < records; ++r) {
    const int count = in.U8() % 65;
    std::vector<PeerRecord> record;
    for (int i = 0; i < count; ++i) record.push_back(NextPeer(in));
    for (const auto& peer : record) model[EndpointOf(peer)] = peer;  // the later one counts
    peers.AddFromSnapshot(std::move(record));
    FUZZ_CHECK(!peers.indexed());
  }
}

void ApplyJournalRecord(std::uint8_t op, const PeerRecord& peer, LoadingPeers& peers,
                        Model& model) {
  if (op % 3 == 0) {
    model.erase(EndpointOf(peer));
    peers.Remove(peer, kIndexKey);
    return;
  }
  // op 1: a record with the peer's whole mark; op 2: one from an older journal, added to it.
  const auto mark = op % 3 == 1 ? LoadingPeers::Mark::kReplace : LoadingPeers::Mark::kAdd;
  PeerRecord stored = peer;
  if (auto it = model.find(EndpointOf(peer)); it != model.end()) {
    stored.completed = peer.completed || (mark == LoadingPeers::Mark::kAdd && it->second.completed);
  }
  model[EndpointOf(peer)] = stored;
  peers.Upsert(peer, kIndexKey, mark);
}

std::string Show(const std::vector<PeerRecord>& peers, std::size_t i) {
  if (i >= peers.size()) return "-";
  const PeerRecord& peer = peers[i];
  return peer.ip.ToString() + ":" + std::to_string(peer.port) + " id" +
         std::to_string(peer.peer_id.bytes[0]) + " completed " + std::to_string(peer.completed);
}

void CheckTakenEqualsModel(LoadingPeers& peers, const Model& model) {
  const std::vector<PeerRecord> got = peers.Take();
  std::vector<PeerRecord> want;
  for (const auto& [endpoint, peer] : model) want.push_back(peer);
  if (got != want) {
    std::fprintf(stderr, "LoadingPeers disagrees with the model: got %zu peers, want %zu\n",
                 got.size(), want.size());
    for (std::size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
      std::fprintf(stderr, "  %zu: got %s want %s\n", i, Show(got, i).c_str(),
                   Show(want, i).c_str());
    }
    std::abort();
  }
  FUZZ_CHECK(peers.empty() && !peers.indexed());
}

}  // namespace
}  // namespace shardtrack

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace shardtrack;
  ByteReader in({reinterpret_cast<const char*>(bytes), size});  // 0s once it runs out
  LoadingPeers peers;
  Model model;
  AddSnapshotRecords(in, peers, model);
  std::size_t most_met = model.size();  // the most peers a journal record has met so far
  while (!in.AtEnd()) {
    const std::uint8_t op = in.U8();
    ApplyJournalRecord(op, NextPeer(in), peers, model);
    most_met = std::max(most_met, model.size());
    FUZZ_CHECK(peers.indexed() == (most_met > LoadingPeers::kIndexFrom));
  }
  CheckTakenEqualsModel(peers, model);
  return 0;
}
