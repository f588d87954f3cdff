// Gzip: what it writes is gzip that zlib's own reader turns back into the body, and a full
// scrape's kind of body comes out much smaller.
#include "common/http/gzip.h"

#include <gtest/gtest.h>
#define ZLIB_CONST
#include <zlib.h>

#include <random>
#include <string>

namespace shardtrack {
namespace {

// The body inflated back from gzip form, or "(not gzip)".
std::string Gunzip(const std::string& gzipped) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + 15) != Z_OK) return "(not gzip)";  // gzip wrapper only
  std::string body(1 << 20, '\0');
  stream.next_in = reinterpret_cast<const Bytef*>(gzipped.data());
  stream.avail_in = static_cast<uInt>(gzipped.size());
  stream.next_out = reinterpret_cast<Bytef*>(body.data());
  stream.avail_out = static_cast<uInt>(body.size());
  const int result = inflate(&stream, Z_FINISH);
  body.resize(stream.total_out);
  inflateEnd(&stream);
  return result == Z_STREAM_END && stream.avail_in == 0 ? body : "(not gzip)";
}

// A bencoded scrape of `torrents` random infohashes with small counts.
std::string ScrapeLike(int torrents) {
  std::mt19937 random(5);
  std::string body = "d5:filesd";
  for (int i = 0; i < torrents; ++i) {
    body += "20:";
    for (int b = 0; b < 20; ++b) body += static_cast<char>(random());
    body += "d8:completei" + std::to_string(i % 40) + "e10:downloadedi" + std::to_string(i % 300) +
            "e10:incompletei" + std::to_string(i % 9) + "ee";
  }
  return body + "ee";
}

TEST(GzipTest, WritesGzipThatInflatesBackToTheBody) {
  std::string out = "left over";
  for (const std::string& body :
       {std::string(), std::string("d8:completei1ee"), ScrapeLike(2000)}) {
    ASSERT_TRUE(Gzip(body, out));
    ASSERT_GE(out.size(), 18u);  // a 10-byte header and an 8-byte trailer at least
    EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(out[1]), 0x8b);
    EXPECT_EQ(Gunzip(out), body);
  }
}

TEST(GzipTest, AScrapeShrinksToUnderHalf) {
  const std::string body = ScrapeLike(10'000);
  std::string out;
  ASSERT_TRUE(Gzip(body, out));
  EXPECT_LT(out.size(), body.size() / 2);
  EXPECT_EQ(Gunzip(out), body);
}

}  // namespace
}  // namespace shardtrack
