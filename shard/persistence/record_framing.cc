#include "shard/persistence/record_framing.h"

#include "shard/persistence/byte_codec.h"
#include "shard/persistence/crc32c.h"

namespace shardtrack {

void AppendPreamble(std::string& out, std::string_view magic, std::uint16_t version) {
  ByteWriter(out).Bytes(magic).U16(version);
}

Status CheckPreamble(std::string_view file, std::string_view magic, std::uint16_t version) {
  if (file.size() < kPreambleSize || file.substr(0, magic.size()) != magic) {
    return Error{"bad magic (not a shardtrack " + std::string(magic) + " file) at offset 0"};
  }
  ByteReader reader(file.substr(magic.size(), 2));
  std::uint16_t found = reader.U16();
  if (found != version) {
    return Error{"unsupported format version " + std::to_string(found) + " (this build reads " +
                 std::to_string(version) + ")"};
  }
  return OkStatus();
}

void AppendFrame(std::string& out, RecordType type, std::string_view fields) {
  const std::size_t start = BeginFrame(out, type);
  out.append(fields);
  FinishFrame(out, start);
}

std::size_t BeginFrame(std::string& out, RecordType type) {
  const std::size_t start = out.size();
  out.append(kFrameHeaderSize, '\0');
  out.push_back(static_cast<char>(type));
  return start;
}

// The header is the body's length (type byte included), then the CRC32C of that length field
// and the body.
void FinishFrame(std::string& out, std::size_t frame_start) {
  const std::size_t body = frame_start + kFrameHeaderSize;
  std::string header;
  ByteWriter(header).U32(static_cast<std::uint32_t>(out.size() - body));
  const std::uint32_t crc = Crc32c(std::string_view(out).substr(body), Crc32c(header));
  ByteWriter(header).U32(crc);
  out.replace(frame_start, kFrameHeaderSize, header);
}

FrameCursor::Step FrameCursor::Next(Frame& frame) {
  if (pos_ == file_.size()) return Step::kEnd;
  std::string where = " at offset " + std::to_string(offset());
  if (file_.size() - pos_ < kFrameHeaderSize) {
    error_ = "truncated record header" + where;
    return Step::kBad;
  }
  ByteReader header(file_.substr(pos_, kFrameHeaderSize));
  std::uint32_t length = header.U32();
  std::uint32_t crc = header.U32();
  if (length == 0 || length > kMaxFrameBody) {
    error_ = "bad record length " + std::to_string(length) + where;
    return Step::kBad;
  }
  if (file_.size() - pos_ - kFrameHeaderSize < length) {
    error_ = "truncated record" + where;
    return Step::kBad;
  }
  std::string_view body = file_.substr(pos_ + kFrameHeaderSize, length);
  if (Crc32c(body, Crc32c(file_.substr(pos_, 4))) != crc) {
    error_ = "bad checksum" + where;
    return Step::kBad;
  }
  frame = {static_cast<RecordType>(body[0]), body.substr(1), offset()};
  pos_ += kFrameHeaderSize + length;
  return Step::kFrame;
}

}  // namespace shardtrack
