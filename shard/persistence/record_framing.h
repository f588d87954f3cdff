// Record framing shared by snapshot and journal files. Pure.
//
// A file is an 8-byte preamble (6-byte magic, u16 version, little-endian) followed by frames:
//   u32 body length | u32 CRC32C over (the 4 length bytes + body) | body
// The body's first byte is the RecordType. Covering the length by the checksum means a flipped
// length byte is caught as surely as a flipped body byte; a body is never empty and never longer
// than kMaxFrameBody, so a garbage length cannot make a reader allocate or skip wildly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace shardtrack {

enum class RecordType : std::uint8_t {
  kSnapshotHeader = 1,
  kTorrent = 2,
  kSnapshotTrailer = 3,
  kJournalHeader = 4,
  kCompleted = 5,
  kPeerUpsert = 6,
  kPeerRemove = 7,
  kJournalSynced = 8,
  kAccountingBaseline = 9,  // shard/accounting/baseline_file.h
  kForget = 10,
  kJournalTurn = 11,          // one turn's change records as one frame: replayed all or none
  kAccountingClientKey = 12,  // shard/accounting/baseline_file.h
  kCreditLogHeader = 13,      // shard/accounting/credit_log.h
  kCreditedAnnounce = 14,     // shard/accounting/credit_log.h
};

inline constexpr std::size_t kPreambleSize = 8;
inline constexpr std::size_t kFrameHeaderSize = 8;
inline constexpr std::uint32_t kMaxFrameBody = 256u << 20;  // see kPeersPerTorrentRecord

void AppendPreamble(std::string& out, std::string_view magic, std::uint16_t version);
// Error unless `file` starts with `magic` and `version`.
Status CheckPreamble(std::string_view file, std::string_view magic, std::uint16_t version);
// Appends one frame whose body is `type` followed by `fields`.
void AppendFrame(std::string& out, RecordType type, std::string_view fields);
// The same written in place, with no copy of the fields: BeginFrame appends the frame's header
// and returns where it starts; append the fields to `out`, then FinishFrame fills the header in.
std::size_t BeginFrame(std::string& out, RecordType type);
void FinishFrame(std::string& out, std::size_t frame_start);

// Walks the frames of a file from `start`. `file` may be a window of a larger file that begins at
// `window_offset` in it; offsets (in frames, errors and offset()) are then the larger file's.
class FrameCursor {
 public:
  struct Frame {
    RecordType type;
    std::string_view fields;  // the body after its type byte
    std::size_t offset;       // where the frame starts in the file
  };
  enum class Step { kFrame, kEnd, kBad };

  FrameCursor(std::string_view file, std::size_t start, std::uint64_t window_offset = 0)
      : file_(file), pos_(start), window_offset_(window_offset) {}

  // kBad leaves the cursor on the bad frame: error() says what, offset() where.
  Step Next(Frame& frame);
  const std::string& error() const { return error_; }
  std::uint64_t offset() const { return window_offset_ + pos_; }

 private:
  std::string_view file_;
  std::size_t pos_;
  std::uint64_t window_offset_;
  std::string error_;
};

// Walks a small file read whole whose first frame after the preamble is of type `header`:
// `on_header(fields)` reads that one, then `on_record(frame)` each later frame, in order. Either
// returns a Status; the first error stops the walk and is returned, as is the first damaged
// frame's (what came before it was handed on).
template <typename OnHeader, typename OnRecord>
Status WalkHeadedFile(std::string_view file, RecordType header, const OnHeader& on_header,
                      const OnRecord& on_record) {
  FrameCursor cursor(file, kPreambleSize);
  FrameCursor::Frame frame;
  if (cursor.Next(frame) != FrameCursor::Step::kFrame || frame.type != header) {
    return Error{"no header at its start"};
  }
  if (Status read = on_header(frame.fields); !read) return read;
  while (true) {
    switch (cursor.Next(frame)) {
      case FrameCursor::Step::kEnd:
        return OkStatus();
      case FrameCursor::Step::kBad:
        return Error{cursor.error()};
      case FrameCursor::Step::kFrame:
        if (Status handled = on_record(frame); !handled) return handled;
    }
  }
}

}  // namespace shardtrack
