#include "bench/http_response_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace shardtrack {
namespace {

using State = HttpResponseReader::State;

TEST(HttpResponseReaderTest, CompletesAResponseFedByteByByte) {
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  HttpResponseReader reader;
  for (std::size_t i = 0; i + 1 < response.size(); ++i) {
    ASSERT_EQ(reader.Feed(response.substr(i, 1)), State::kIncomplete) << "at byte " << i;
  }
  ASSERT_EQ(reader.Feed(response.substr(response.size() - 1)), State::kComplete);
  EXPECT_EQ(reader.status(), 200);
  EXPECT_EQ(reader.body(), "hello");
  EXPECT_TRUE(reader.keep_alive());
  EXPECT_EQ(reader.excess_bytes(), 0u);
}

TEST(HttpResponseReaderTest, SeesWhenTheServerWillClose) {
  HttpResponseReader http10;
  ASSERT_EQ(http10.Feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), State::kComplete);
  EXPECT_FALSE(http10.keep_alive());
  HttpResponseReader close;
  ASSERT_EQ(
      close.Feed("HTTP/1.1 404 Not Found\r\nconnection:  Close\r\ncontent-length: 2\r\n\r\nno"),
      State::kComplete);
  EXPECT_FALSE(close.keep_alive());
  EXPECT_EQ(close.status(), 404);
}

TEST(HttpResponseReaderTest, RejectsWhatItCannotFrame) {
  HttpResponseReader no_length;
  EXPECT_EQ(no_length.Feed("HTTP/1.1 200 OK\r\n\r\nbody"), State::kError);
  HttpResponseReader chunked;
  EXPECT_EQ(chunked.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), State::kError);
  HttpResponseReader garbage;
  EXPECT_EQ(garbage.Feed("SSH-2.0-OpenSSH\r\n\r\n"), State::kError);
}

TEST(HttpResponseReaderTest, CountsBytesBeyondTheResponseAndResets) {
  HttpResponseReader reader;
  ASSERT_EQ(reader.Feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxyz"), State::kComplete);
  EXPECT_EQ(reader.excess_bytes(), 2u);
  reader.Reset();
  EXPECT_FALSE(reader.started());
  ASSERT_EQ(reader.Feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nq"), State::kComplete);
  EXPECT_EQ(reader.body(), "q");
}

}  // namespace
}  // namespace shardtrack
