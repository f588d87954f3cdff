// HttpResponseReader: an incremental parser for one HTTP/1.x response with a Content-Length
// body (what trackers send). Feed bytes as they arrive; a response that needs more bytes is
// kIncomplete, not an error. Owns a copy of the bytes fed. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace shardtrack {

class HttpResponseReader {
 public:
  enum class State { kIncomplete, kComplete, kError };

  static constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
  static constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

  State Feed(std::string_view bytes);
  void Reset();

  bool started() const { return !buffer_.empty(); }
  int status() const { return status_; }
  // The body of a complete response.
  std::string_view body() const;
  // False when the server said Connection: close or spoke HTTP/1.0 without keep-alive.
  bool keep_alive() const { return keep_alive_; }
  const std::string& error() const { return error_; }
  // Bytes received after the complete response (a server must not send any).
  std::size_t excess_bytes() const;

 private:
  State ParseHead(std::size_t head_end);
  State Fail(std::string message);

  std::string buffer_;
  std::size_t body_offset_ = 0;  // 0 until the head is parsed
  std::size_t content_length_ = 0;
  int status_ = 0;
  bool keep_alive_ = true;
  std::string error_;
  State state_ = State::kIncomplete;
};

}  // namespace shardtrack
