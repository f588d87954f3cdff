// ByteWriter / ByteReader: little-endian fixed-width integers and raw bytes, the field encoding
// inside persistence records. ByteReader never reads past its input: a short read sets ok() false
// and yields zeros, so a decoder checks ok() once at the end. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shardtrack {

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  ByteWriter& U8(std::uint8_t value) { return Fixed(value, 1); }
  ByteWriter& U16(std::uint16_t value) { return Fixed(value, 2); }
  ByteWriter& U32(std::uint32_t value) { return Fixed(value, 4); }
  ByteWriter& U64(std::uint64_t value) { return Fixed(value, 8); }
  ByteWriter& I64(std::int64_t value) { return Fixed(static_cast<std::uint64_t>(value), 8); }
  ByteWriter& Bytes(std::string_view bytes) {
    out_.append(bytes);
    return *this;
  }

 private:
  ByteWriter& Fixed(std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i) out_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    return *this;
  }
  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view input) : input_(input) {}
  std::uint8_t U8() { return static_cast<std::uint8_t>(Fixed(1)); }
  std::uint16_t U16() { return static_cast<std::uint16_t>(Fixed(2)); }
  std::uint32_t U32() { return static_cast<std::uint32_t>(Fixed(4)); }
  std::uint64_t U64() { return Fixed(8); }
  std::int64_t I64() { return static_cast<std::int64_t>(Fixed(8)); }
  std::string_view Bytes(std::size_t size) {
    if (!Has(size)) return {};
    std::string_view out = input_.substr(pos_, size);
    pos_ += size;
    return out;
  }
  bool ok() const { return ok_; }
  bool AtEnd() const { return pos_ == input_.size(); }
  std::size_t remaining() const { return input_.size() - pos_; }

 private:
  bool Has(std::size_t size) {
    if (!ok_ || input_.size() - pos_ < size) ok_ = false;
    return ok_;
  }
  std::uint64_t Fixed(int width) {
    if (!Has(width)) return 0;
    std::uint64_t value = 0;
    for (int i = 0; i < width; ++i) {
      value |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(input_[pos_ + i])) << (8 * i);
    }
    pos_ += width;
    return value;
  }
  std::string_view input_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace shardtrack
