#include "shard/persistence/frame_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace shardtrack {
namespace {

constexpr std::string_view kMagic = "TESTFM";

// A preamble and frames holding "a", "bb", ... (each `n` bytes long in turn).
std::string FileOf(const std::vector<std::size_t>& sizes) {
  std::string out;
  AppendPreamble(out, kMagic, 1);
  char fill = 'a';
  for (std::size_t size : sizes) AppendFrame(out, RecordType::kTorrent, std::string(size, fill++));
  return out;
}

struct Seen {
  std::vector<std::string> fields;
  std::vector<std::size_t> offsets;
  FrameCursor::Step last;
  std::string error;
  std::uint64_t offset;
};

Seen ReadAllFrames(std::string_view bytes, std::size_t chunk) {
  StringFile file(bytes);
  FrameReader reader(file, chunk);
  Seen seen{};
  EXPECT_TRUE(reader.ReadPreamble(kMagic, 1).ok());
  FrameCursor::Frame frame;
  while ((seen.last = reader.Next(frame)) == FrameCursor::Step::kFrame) {
    seen.fields.emplace_back(frame.fields);
    seen.offsets.push_back(frame.offset);
  }
  seen.error = reader.error();
  seen.offset = reader.offset();
  return seen;
}

Seen CursorFrames(std::string_view bytes) {
  FrameCursor cursor(bytes, kPreambleSize);
  Seen seen{};
  FrameCursor::Frame frame;
  while ((seen.last = cursor.Next(frame)) == FrameCursor::Step::kFrame) {
    seen.fields.emplace_back(frame.fields);
    seen.offsets.push_back(frame.offset);
  }
  seen.error = cursor.error();
  seen.offset = cursor.offset();
  return seen;
}

void ExpectSame(const Seen& got, const Seen& want) {
  EXPECT_EQ(got.fields, want.fields);
  EXPECT_EQ(got.offsets, want.offsets);
  EXPECT_EQ(got.last, want.last);
  EXPECT_EQ(got.error, want.error);
  EXPECT_EQ(got.offset, want.offset);
}

TEST(FrameReaderTest, ReadsWhatACursorOverTheWholeFileReadsWhateverTheChunkSize) {
  const std::string file = FileOf({1, 300, 2, 5000, 7});
  for (std::size_t chunk : {1u, 3u, 64u, 1u << 20}) {
    SCOPED_TRACE(chunk);
    ExpectSame(ReadAllFrames(file, chunk), CursorFrames(file));
  }
}

TEST(FrameReaderTest, ReportsDamageWithTheWholeFilesOffsets) {
  const std::string good = FileOf({10, 20, 30});
  std::string flipped = good;
  flipped[good.size() - 5] ^= 1;  // in the last body: bad checksum
  const std::string cut = good.substr(0, good.size() - 3);
  std::string bad_length = good;
  bad_length[kPreambleSize + 8 + 11 + 3] = '\xff';  // the second frame's length: too long
  for (const std::string& file : {flipped, cut, bad_length}) {
    const Seen got = ReadAllFrames(file, 4);
    EXPECT_EQ(got.last, FrameCursor::Step::kBad);
    ExpectSame(got, CursorFrames(file));
  }
}

TEST(FrameReaderTest, ReadRestGivesTheFileFromAnOffsetOfTheLastFrameOn) {
  const std::string file = FileOf({10, 20, 30});
  StringFile source(file);
  FrameReader reader(source, 8);
  ASSERT_TRUE(reader.ReadPreamble(kMagic, 1).ok());
  FrameCursor::Frame frame;
  ASSERT_EQ(reader.Next(frame), FrameCursor::Step::kFrame);
  ASSERT_EQ(reader.Next(frame), FrameCursor::Step::kFrame);
  auto rest = reader.ReadRest(frame.offset);
  ASSERT_TRUE(rest.ok()) << rest.error();
  EXPECT_EQ(*rest, file.substr(frame.offset));
}

TEST(FrameReaderTest, RefusesAWrongPreamble) {
  const std::string bytes = FileOf({1});
  StringFile file(bytes);
  FrameReader reader(file);
  EXPECT_FALSE(reader.ReadPreamble("OTHERM", 1).ok());
}

// The bytes of a file, and the most any one Read asked for.
class MeasuredFile final : public SequentialFile {
 public:
  explicit MeasuredFile(std::string_view bytes) : file_(bytes) {}
  Status Read(std::size_t max_bytes, std::string& out) override {
    largest_ask_ = std::max(largest_ask_, max_bytes);
    return file_.Read(max_bytes, out);
  }
  const std::string& path() const override { return file_.path(); }
  std::size_t largest_ask() const { return largest_ask_; }

 private:
  StringFile file_;
  std::size_t largest_ask_ = 0;
};

TEST(FrameReaderTest, AFrameLongerThanTheFileIsReadAChunkAtATime) {
  // A torn or garbage length up to the largest frame a reader takes (256 MiB) in a tiny file:
  // the reader must not make room for all of it before it finds the file ends.
  std::string bytes = FileOf({10});
  bytes += std::string("\x00\x00\x00\x10", 4);  // a length of kMaxFrameBody, little-endian
  bytes += "crc!and a few bytes";
  MeasuredFile file(bytes);
  FrameReader reader(file, 4096);
  ASSERT_TRUE(reader.ReadPreamble(kMagic, 1).ok());
  FrameCursor::Frame frame;
  ASSERT_EQ(reader.Next(frame), FrameCursor::Step::kFrame);
  EXPECT_EQ(reader.Next(frame), FrameCursor::Step::kBad);  // cut short: a torn tail
  EXPECT_LE(file.largest_ask(), 4096u);
  ExpectSame(ReadAllFrames(bytes, 4096), CursorFrames(bytes));
}

// A file whose reads fail after `good` bytes (a failing disk).
class FailingFile final : public SequentialFile {
 public:
  FailingFile(std::string bytes, std::size_t good) : bytes_(std::move(bytes)), good_(good) {}
  Status Read(std::size_t max_bytes, std::string& out) override {
    if (given_ >= good_) return Error{"read " + path_ + ": Input/output error"};
    const std::string part = bytes_.substr(given_, std::min(max_bytes, good_ - given_));
    out += part;
    given_ += part.size();
    return OkStatus();
  }
  const std::string& path() const override { return path_; }

 private:
  std::string bytes_;
  std::size_t good_;
  std::size_t given_ = 0;
  std::string path_ = "/data/f";
};

TEST(FrameReaderTest, AFailedReadIsBadAndSaysSo) {
  const std::string bytes = FileOf({10, 20});
  FailingFile file(bytes, 30);
  FrameReader reader(file, 4);
  ASSERT_TRUE(reader.ReadPreamble(kMagic, 1).ok());
  FrameCursor::Frame frame;
  ASSERT_EQ(reader.Next(frame), FrameCursor::Step::kFrame);
  EXPECT_EQ(reader.Next(frame), FrameCursor::Step::kBad);
  EXPECT_TRUE(reader.read_failed());
  EXPECT_EQ(reader.error(), "read /data/f: Input/output error");
}

}  // namespace
}  // namespace shardtrack
