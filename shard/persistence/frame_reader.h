// FrameReader: the frames of a snapshot or journal file (record_framing.h), read through a
// SequentialFile a chunk at a time, so that a large file is never held whole: the buffer holds at
// most a chunk plus the frame being read. The checks, errors and offsets are FrameCursor's, in
// the whole file's offsets. StringFile: a SequentialFile over bytes already in memory. Both pure
// apart from the file; the file belongs to the caller and must outlive the reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/record_framing.h"

namespace shardtrack {

class FrameReader {
 public:
  static constexpr std::size_t kChunkBytes = 1 << 20;

  explicit FrameReader(SequentialFile& file, std::size_t chunk_bytes = kChunkBytes)
      : file_(file), chunk_bytes_(chunk_bytes) {}

  // Reads the preamble; an error unless it holds `magic` and `version` (CheckPreamble).
  Status ReadPreamble(std::string_view magic, std::uint16_t version);
  // The next frame, as FrameCursor::Next; `frame.fields` stays valid until the next call. A read
  // error is kBad too: error() names it and read_failed() is set.
  FrameCursor::Step Next(FrameCursor::Frame& frame);
  const std::string& error() const { return error_; }
  bool read_failed() const { return read_failed_; }
  // Where the next frame starts (after kBad: the bad frame).
  std::uint64_t offset() const { return base_ + pos_; }
  // Everything from `from` to the end of the file (a scan after damage needs the rest). `from`
  // may not lie before the last frame returned.
  Result<std::string> ReadRest(std::uint64_t from);

 private:
  // Makes the buffer hold `bytes` from pos_ on, or all that is left of the file.
  bool Fill(std::size_t bytes);

  SequentialFile& file_;
  std::size_t chunk_bytes_;
  std::string buffer_;
  std::size_t pos_ = 0;     // in buffer_: the next frame
  std::uint64_t base_ = 0;  // the file offset of buffer_[0]
  bool at_end_ = false;     // the file has nothing more to read
  bool read_failed_ = false;
  std::string error_;
};

class StringFile final : public SequentialFile {
 public:
  explicit StringFile(std::string_view bytes, std::string path = "<memory>")
      : bytes_(bytes), path_(std::move(path)) {}
  // It reads its bytes where they lie: a temporary would be gone before the first Read.
  explicit StringFile(std::string&& bytes, std::string path = "<memory>") = delete;
  Status Read(std::size_t max_bytes, std::string& out) override;
  const std::string& path() const override { return path_; }

 private:
  std::string_view bytes_;  // what is left to read
  std::string path_;
};

}  // namespace shardtrack
