// AppendBuiltFrames: turns a fuzz input into snapshot or journal frames with correct CRC32C, so
// that the fuzzer gets past the checksums (journal_snapshot_fuzz.cc, state_loader_fuzz.cc).
//
// The input is a list of chunks:
//   chunk = kind:u8 len:u8 data[len]
//   kind%4 == 0: a frame whose body is data (data[0] is the record type)
//   kind%4 == 1: a kJournalTurn frame whose fields are data built recursively as chunks
//   kind%4 == 2: data as raw bytes (damage)
//   kind%4 == 3: a kJournalSynced frame naming (bytes so far + data[0] - 64)
// `base`: where `out` starts in the file (bytes so far counts from the file's start).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shard/persistence/byte_codec.h"
#include "shard/persistence/record_framing.h"

namespace shardtrack {

inline void AppendBuiltFrames(std::string_view in, std::string& out, std::size_t base, int depth) {
  std::size_t at = 0;
  while (at + 2 <= in.size()) {
    const std::uint8_t kind = in[at], len = in[at + 1];
    at += 2;
    std::string_view data = in.substr(at, len);
    at += data.size();
    switch (kind % 4) {
      case 0:
        if (data.empty()) break;
        AppendFrame(out, static_cast<RecordType>(data[0]), data.substr(1));
        break;
      case 1: {
        std::string inner;
        if (depth < 2) AppendBuiltFrames(data, inner, 0, depth + 1);
        AppendFrame(out, RecordType::kJournalTurn, inner);
        break;
      }
      case 2:
        out.append(data);
        break;
      case 3: {
        const std::uint64_t through =
            base + out.size() + (data.empty() ? 0 : static_cast<std::uint8_t>(data[0])) - 64;
        std::string fields;
        ByteWriter(fields).U64(through);
        AppendFrame(out, RecordType::kJournalSynced, fields);
        break;
      }
    }
  }
}

}  // namespace shardtrack
