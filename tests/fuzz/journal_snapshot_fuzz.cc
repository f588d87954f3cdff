// Snapshot and journal readers (ParseSnapshot/ReadSnapshot, ParseJournal/ReadJournal,
// ParseFileHeader) on arbitrary bytes.
//
// Input: byte 0 = mode. Bit 0: journal (1) or snapshot (0). Bit 1: raw (the rest of the input is
// the file) or built: the rest is a list of chunks that the harness frames with correct CRC32C,
// so the fuzzer gets past the checksums (built_frames.h describes the chunks). In built mode the
// preamble (and with bit 2, a valid header record) is written first.
//
// Checks: reading through a file that hands out 1..8 bytes a read gives the same result as from
// memory; ReadJournal with max_records = k replays exactly the first k records; records re-encode
// to what decodes the same.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/routing.h"
#include "shard/persistence/frame_reader.h"
#include "shard/persistence/journal_file.h"
#include "shard/persistence/record_codec.h"
#include "shard/persistence/record_framing.h"
#include "shard/persistence/snapshot_file.h"
#include "tests/fuzz/built_frames.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/memory_file.h"

namespace shardtrack {
namespace {

bool SameEntry(const JournalEntry& a, const JournalEntry& b) {
  if (a.op != b.op || a.info_hash != b.info_hash) return false;
  switch (a.op) {
    case JournalOp::kCompleted:
      return a.completed == b.completed;
    case JournalOp::kPeerUpsert:
      return a.peer == b.peer;
    case JournalOp::kPeerRemove:
      return a.peer.ip == b.peer.ip && a.peer.port == b.peer.port;
    case JournalOp::kForget:
      return true;
  }
  return false;
}

void CheckJournal(std::string_view file, std::uint8_t seed) {
  auto parsed = ParseJournal(file);
  MemoryFile dribble(std::string(file), "<dribble>", seed | 1);
  std::vector<JournalEntry> seen;
  std::optional<JournalContents> before;
  auto read = ReadJournal(
      dribble, [&](const JournalEntry& e) { seen.push_back(e); }, UINT64_MAX, &before);
  FUZZ_CHECK(parsed.ok() == read.ok());
  if (!parsed) {
    if (parsed.error() != read.error()) {
      std::fprintf(stderr, "journal: memory says '%s', dribble says '%s'\n", parsed.error().c_str(),
                   read.error().c_str());
      std::abort();
    }
    return;
  }
  FUZZ_CHECK(parsed->records == read->records);
  FUZZ_CHECK(parsed->entries.size() == parsed->records);
  FUZZ_CHECK(seen.size() == parsed->records);
  if (parsed->torn_tail_bytes != read->torn_tail_bytes) {
    std::fprintf(stderr, "journal: torn tail %llu from memory, %llu through dribble\n",
                 (unsigned long long)parsed->torn_tail_bytes,
                 (unsigned long long)read->torn_tail_bytes);
    std::abort();
  }
  FUZZ_CHECK(parsed->torn_tail_bytes <= file.size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    FUZZ_CHECK(SameEntry(seen[i], parsed->entries[i]));
    // Re-encode: decodes to the same entry.
    std::string frame;
    AppendJournalEntry(frame, seen[i]);
    FrameCursor cursor(frame, 0);
    FrameCursor::Frame f;
    FUZZ_CHECK(cursor.Next(f) == FrameCursor::Step::kFrame);
    auto back = DecodeJournalEntry(f.type, f.fields);
    FUZZ_CHECK(back && SameEntry(*back, seen[i]));
  }
  // A second read that stops after k records (what Replay does) sees the first k.
  if (parsed->records > 0) {
    const std::uint64_t k = seed % (parsed->records + 1);
    StringFile again(file);
    std::vector<JournalEntry> first;
    auto partial = ReadJournal(
        again, [&](const JournalEntry& e) { first.push_back(e); }, k);
    FUZZ_CHECK(partial);
    FUZZ_CHECK(partial->records == k);
    FUZZ_CHECK(first.size() == k);
    for (std::size_t i = 0; i < k; ++i) FUZZ_CHECK(SameEntry(first[i], parsed->entries[i]));
  }
}

void CheckSnapshot(std::string_view file, std::uint8_t seed) {
  const std::uint32_t count = 1 + seed % 3;
  auto keep = [count](const InfoHash& h) { return ShardFor(h, count) == 0; };
  auto parsed = ParseSnapshot(file, keep);
  MemoryFile dribble(std::string(file), "<dribble>", seed | 1);
  std::vector<TorrentRecord> taken;
  auto read =
      ReadSnapshot(dribble, keep, [&](TorrentRecord&& t) { taken.push_back(std::move(t)); });
  FUZZ_CHECK(parsed.ok() == read.ok());
  if (!parsed) {
    if (parsed.error() != read.error()) {
      std::fprintf(stderr, "snapshot: memory says '%s', dribble says '%s'\n",
                   parsed.error().c_str(), read.error().c_str());
      std::abort();
    }
    return;
  }
  FUZZ_CHECK(parsed->stats.torrents == read->stats.torrents);
  FUZZ_CHECK(parsed->stats.peers == read->stats.peers);
  FUZZ_CHECK(parsed->stats.bytes == file.size());
  std::uint64_t kept_peers = 0;
  for (const auto& t : parsed->torrents) {
    FUZZ_CHECK(keep(t.info_hash));
    kept_peers += t.peers.size();
    auto back = DecodeTorrent(EncodeTorrent(t, t.peers));
    FUZZ_CHECK(back && *back == t);
  }
  std::uint64_t taken_peers = 0;
  for (const auto& t : taken) taken_peers += t.peers.size();
  FUZZ_CHECK(kept_peers == taken_peers);
  FUZZ_CHECK(kept_peers <= parsed->stats.peers);
  auto header =
      ParseFileHeader(file, kSnapshotMagic, kSnapshotVersion, RecordType::kSnapshotHeader);
  FUZZ_CHECK(header);
  FUZZ_CHECK(header->index == parsed->header.index &&
             header->generation == parsed->header.generation);
}

}  // namespace
}  // namespace shardtrack

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  using namespace shardtrack;
  if (size < 2) return 0;
  const std::uint8_t mode = bytes[0], seed = bytes[1];
  std::string_view rest(reinterpret_cast<const char*>(bytes) + 2, size - 2);
  const bool journal = mode & 1;
  std::string file;
  if (mode & 2) {
    AppendPreamble(file, journal ? kJournalMagic : kSnapshotMagic,
                   journal ? kJournalVersion : kSnapshotVersion);
    if (mode & 4) {
      FileHeader header{0, 1, static_cast<std::uint64_t>(seed % 4), 1700000000};
      AppendFrame(file, journal ? RecordType::kJournalHeader : RecordType::kSnapshotHeader,
                  EncodeFileHeader(header));
    }
    AppendBuiltFrames(rest, file, 0, 0);
  } else {
    file.assign(rest);
  }
  if (journal) {
    CheckJournal(file, seed);
  } else {
    CheckSnapshot(file, seed);
  }
  return 0;
}
