#include "shard/persistence/frame_reader.h"

#include <algorithm>

#include "shard/persistence/byte_codec.h"

namespace shardtrack {

bool FrameReader::Fill(std::size_t bytes) {
  if (buffer_.size() - pos_ >= bytes || at_end_) return true;
  buffer_.erase(0, pos_);  // keeps the buffer near one chunk plus one frame
  base_ += pos_;
  pos_ = 0;
  // A chunk at a time, never the whole of `bytes` at once: a frame's length may be garbage, and
  // the buffer grows only by what the file holds.
  while (buffer_.size() < bytes && !at_end_) {
    const std::size_t before = buffer_.size();
    if (Status read = file_.Read(chunk_bytes_, buffer_); !read) {
      read_failed_ = true;
      error_ = read.error();
      return false;
    }
    at_end_ = buffer_.size() == before;
  }
  return true;
}

Status FrameReader::ReadPreamble(std::string_view magic, std::uint16_t version) {
  if (!Fill(kPreambleSize)) return Error{error_};
  const std::string_view preamble = std::string_view(buffer_).substr(pos_, kPreambleSize);
  if (Status checked = CheckPreamble(preamble, magic, version); !checked) return checked;
  pos_ += kPreambleSize;
  return OkStatus();
}

FrameCursor::Step FrameReader::Next(FrameCursor::Frame& frame) {
  if (!Fill(kFrameHeaderSize)) return FrameCursor::Step::kBad;
  if (buffer_.size() - pos_ >= kFrameHeaderSize) {
    const std::uint32_t length = ByteReader(std::string_view(buffer_).substr(pos_, 4)).U32();
    // A bad length is FrameCursor's to report; do not read that much for it.
    if (length <= kMaxFrameBody && !Fill(kFrameHeaderSize + length)) {
      return FrameCursor::Step::kBad;
    }
  }
  FrameCursor cursor(std::string_view(buffer_).substr(pos_), 0, offset());
  const FrameCursor::Step step = cursor.Next(frame);
  if (step == FrameCursor::Step::kBad) error_ = cursor.error();
  if (step == FrameCursor::Step::kFrame) pos_ = cursor.offset() - base_;
  return step;
}

Result<std::string> FrameReader::ReadRest(std::uint64_t from) {
  std::string rest = buffer_.substr(std::min<std::uint64_t>(from - base_, buffer_.size()));
  while (!at_end_) {
    const std::size_t before = rest.size();
    if (Status read = file_.Read(chunk_bytes_, rest); !read) {
      read_failed_ = true;
      return Error{read.error()};
    }
    at_end_ = rest.size() == before;
  }
  return rest;
}

Status StringFile::Read(std::size_t max_bytes, std::string& out) {
  const std::string_view part = bytes_.substr(0, max_bytes);
  out.append(part);
  bytes_.remove_prefix(part.size());
  return OkStatus();
}

}  // namespace shardtrack
