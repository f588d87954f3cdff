// HttpRequestParser: an incremental HTTP/1.0 and 1.1 request-head parser. Pure; one per
// connection, owned by it.
//
// Feed() takes whatever bytes have arrived and says how many it consumed: on kComplete the caller
// erases those bytes, reads request(), calls Reset() and feeds the rest (pipelining). On
// kIncomplete every byte was consumed (a partial line is kept inside, bounded by the limits), so
// a request split at any byte boundary parses exactly as the whole one. On kError, error() holds
// the status to answer (400, 405, 413, 414, 431, 505) and the connection should then be closed.
// A well-formed but unsupported version (HTTP/2.0, HTTP/0.9) is 505; a malformed one is 400;
// HTTP/1.2 and later 1.x are taken as 1.1. Lines end at LF, with or without a CR before it (RFC
// 9112 section 2.2 lets a server accept a bare LF). Trackers take no bodies: a request announcing
// one is refused with 413. As RFC 9112 section 3.2 requires, an HTTP/1.1 request without a Host
// header, or any request with two or a malformed one, is 400 (every client sends one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shardtrack {

struct HttpLimits {
  std::uint32_t max_request_line = 8192;  // bytes before the line end; 414 beyond
  std::uint32_t max_header_bytes = 8192;  // all header lines, without line ends; 431 beyond
};

enum class HttpMethod { kGet, kHead };

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string target;     // as sent: origin-form "/path?query" or absolute-form "http://h/path?q"
  int version_minor = 1;  // HTTP/1.0 or HTTP/1.1
  bool keep_alive = true;
  // Header fields are checked as they are read and not kept (nothing needs the others), so a
  // request allocates nothing for them.
  // X-Forwarded-For, repeated fields joined by ", "; empty when absent. Cleared between requests
  // rather than reset, so a connection reuses its bytes.
  std::string forwarded_for;
  bool accepts_gzip = false;  // Accept-Encoding takes gzip

  std::string_view path() const;   // "/announce"; "/" for an absolute-form target without one
  std::string_view query() const;  // raw, without '?'; empty when absent

  std::size_t path_begin = 0;  // where path() lies in target
  std::size_t path_size = 0;
};

struct HttpError {
  int status = 400;
  std::string reason;  // short, safe to send back as the body
};

class HttpRequestParser {
 public:
  enum class State { kIncomplete, kComplete, kError };
  struct FeedResult {
    State state;
    std::size_t consumed;
  };

  explicit HttpRequestParser(HttpLimits limits = {}) : limits_(limits) {}

  FeedResult Feed(std::string_view bytes);
  void Reset();

  State state() const { return state_; }
  // Some bytes of a request have been fed, and it is neither complete nor refused yet.
  bool midway() const {
    return state_ == State::kIncomplete &&
           (phase_ != Phase::kRequestLine || !partial_.empty() || skipped_empty_lines_);
  }
  const HttpRequest& request() const { return request_; }
  HttpRequest& request() { return request_; }
  const HttpError& error() const { return error_; }

 private:
  enum class Phase { kRequestLine, kHeaders, kDone };

  void CheckPartialLine();
  void OnLine(std::string_view line);
  void OnRequestLine(std::string_view line);
  void OnHeaderLine(std::string_view line);
  void OnTransferEncoding(std::string_view value);
  void OnHeadersEnd();
  // A HEAD refused for its request line (414, 505, ...) is still answered without a body.
  void NoteHead(std::string_view request_line);
  void Fail(int status, std::string reason);

  HttpLimits limits_;
  State state_ = State::kIncomplete;
  Phase phase_ = Phase::kRequestLine;
  std::string partial_;  // an unfinished line carried between Feed calls
  std::size_t header_bytes_ = 0;
  // Empty lines before the request line (RFC 9112 ignores them) still begin a request, so a
  // client sending only those meets the request timeout.
  bool skipped_empty_lines_ = false;
  bool connection_close_ = false;       // Connection: close
  bool connection_keep_alive_ = false;  // Connection: keep-alive
  bool seen_host_ = false;
  // Accept-Encoding's word on gzip (or x-gzip) and on "*", when it has one: whether the weight
  // is above zero. gzip's own decides; else "*"'s; else no.
  std::optional<bool> gzip_weight_;
  std::optional<bool> any_coding_weight_;
  HttpRequest request_;
  HttpError error_;
};

}  // namespace shardtrack
