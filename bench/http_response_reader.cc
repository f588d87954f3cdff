#include "bench/http_response_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace shardtrack {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

void HttpResponseReader::Reset() {
  buffer_.clear();  // keeps its capacity: a keep-alive connection reads many replies
  body_offset_ = 0;
  content_length_ = 0;
  status_ = 0;
  keep_alive_ = true;
  error_.clear();
  state_ = State::kIncomplete;
}

HttpResponseReader::State HttpResponseReader::Fail(std::string message) {
  error_ = std::move(message);
  return state_ = State::kError;
}

HttpResponseReader::State HttpResponseReader::Feed(std::string_view bytes) {
  if (state_ == State::kError) return state_;
  buffer_.append(bytes);
  if (body_offset_ == 0) {
    const std::size_t head_end = buffer_.find("\r\n\r\n");
    if (head_end == std::string::npos) {
      if (buffer_.size() > kMaxHeaderBytes) return Fail("response head too long");
      return state_ = State::kIncomplete;
    }
    if (ParseHead(head_end) == State::kError) return state_;
  }
  if (buffer_.size() - body_offset_ < content_length_) return state_ = State::kIncomplete;
  return state_ = State::kComplete;
}

HttpResponseReader::State HttpResponseReader::ParseHead(std::size_t head_end) {
  std::string_view head(buffer_.data(), head_end);
  const std::size_t line_end = std::min(head.find("\r\n"), head.size());
  std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ') {
    return Fail("bad status line");
  }
  const bool http10 = status_line[7] == '0';
  keep_alive_ = !http10;
  if (std::from_chars(status_line.data() + 9, status_line.data() + 12, status_).ec != std::errc()) {
    return Fail("bad status code");
  }
  bool have_length = false;
  std::size_t pos = line_end;
  while (pos < head.size()) {
    pos += 2;  // skip "\r\n"
    const std::size_t end = std::min(head.find("\r\n", pos), head.size());
    std::string_view line = head.substr(pos, end - pos);
    pos = end;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Fail("header line without ':'");
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "content-length")) {
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), content_length_);
      if (ec != std::errc() || ptr != value.data() + value.size()) {
        return Fail("bad Content-Length");
      }
      have_length = true;
    } else if (EqualsIgnoreCase(name, "connection")) {
      if (EqualsIgnoreCase(value, "close")) keep_alive_ = false;
      if (EqualsIgnoreCase(value, "keep-alive")) keep_alive_ = true;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      return Fail("Transfer-Encoding is not supported");
    }
  }
  if (!have_length) return Fail("response without Content-Length");
  if (content_length_ > kMaxBodyBytes) return Fail("response body too long");
  body_offset_ = head_end + 4;
  return State::kIncomplete;
}

std::string_view HttpResponseReader::body() const {
  if (state_ != State::kComplete) return {};
  return std::string_view(buffer_).substr(body_offset_, content_length_);
}

std::size_t HttpResponseReader::excess_bytes() const {
  if (state_ != State::kComplete) return 0;
  return buffer_.size() - body_offset_ - content_length_;
}

}  // namespace shardtrack
