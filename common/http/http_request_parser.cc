#include "common/http/http_request_parser.h"

#include "common/http/http_text.h"

namespace shardtrack {

std::string_view HttpRequest::path() const {
  if (path_size == 0) return "/";
  return std::string_view(target).substr(path_begin, path_size);
}

std::string_view HttpRequest::query() const {
  std::string_view rest = std::string_view(target).substr(path_begin + path_size);
  if (rest.empty() || rest.front() != '?') return {};
  rest.remove_prefix(1);
  return rest.substr(0, rest.find('#'));
}

HttpRequestParser::FeedResult HttpRequestParser::Feed(std::string_view bytes) {
  if (state_ != State::kIncomplete) return {state_, 0};
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t newline = bytes.find('\n', pos);
    if (newline == std::string_view::npos) {
      partial_.append(bytes.substr(pos));
      pos = bytes.size();
      CheckPartialLine();
      break;
    }
    std::string_view line = bytes.substr(pos, newline - pos);
    pos = newline + 1;
    if (partial_.empty()) {
      OnLine(line);
    } else {
      partial_.append(line);
      OnLine(partial_);
      partial_.clear();
    }
    if (state_ != State::kIncomplete) break;
  }
  return {state_, pos};
}

void HttpRequestParser::Reset() {
  state_ = State::kIncomplete;
  phase_ = Phase::kRequestLine;
  partial_.clear();
  header_bytes_ = 0;
  skipped_empty_lines_ = false;
  request_.method = HttpMethod::kGet;
  request_.target.clear();
  request_.version_minor = 1;
  request_.keep_alive = true;
  request_.forwarded_for.clear();
  request_.accepts_gzip = false;
  request_.path_begin = request_.path_size = 0;
  connection_close_ = connection_keep_alive_ = seen_host_ = false;
  gzip_weight_.reset();
  any_coding_weight_.reset();
  error_ = {};
}

// A line still waiting for its end must not outgrow the limit its finished form is checked
// against, so that feeding byte by byte fails exactly where feeding all at once does.
void HttpRequestParser::CheckPartialLine() {
  std::string_view content = partial_;
  if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
  if (phase_ == Phase::kRequestLine && content.size() > limits_.max_request_line) {
    NoteHead(content);
    Fail(414, "request line too long");
  } else if (phase_ == Phase::kHeaders &&
             header_bytes_ + content.size() > limits_.max_header_bytes) {
    Fail(431, "request headers too large");
  }
}

void HttpRequestParser::OnLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (phase_ == Phase::kRequestLine) {
    NoteHead(line);
    if (line.size() > limits_.max_request_line) return Fail(414, "request line too long");
    if (line.empty()) {  // RFC 9112 section 2.2: ignore empty lines before a request
      skipped_empty_lines_ = true;
      return;
    }
    return OnRequestLine(line);
  }
  if (line.empty()) return OnHeadersEnd();
  header_bytes_ += line.size();
  if (header_bytes_ > limits_.max_header_bytes) return Fail(431, "request headers too large");
  OnHeaderLine(line);
}

void HttpRequestParser::OnRequestLine(std::string_view line) {
  std::size_t first = line.find(' ');
  std::size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) return Fail(400, "malformed request line");
  std::string_view method = line.substr(0, first);
  std::string_view target = line.substr(first + 1, last - first - 1);
  std::string_view version = line.substr(last + 1);
  if (!IsHttpToken(method)) return Fail(400, "malformed method");
  auto minor = ParseHttpVersion(version);
  if (!minor) return Fail(400, "malformed HTTP version");
  if (*minor < 0) return Fail(505, "HTTP version not supported");
  request_.version_minor = *minor;
  auto path = LocatePath(target);
  if (path) {  // also for a method refused below: its path names what the refusal allows
    request_.target.assign(target);
    request_.path_begin = path->first;
    request_.path_size = path->second;
  }
  // Before the target's check: OPTIONS and CONNECT are well formed with targets GET never has.
  if (method == "GET") {
    request_.method = HttpMethod::kGet;
  } else if (method == "HEAD") {
    request_.method = HttpMethod::kHead;
  } else {
    return Fail(405, "method not allowed");
  }
  if (!path) return Fail(400, "malformed request target");
  phase_ = Phase::kHeaders;
}

void HttpRequestParser::OnHeaderLine(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') return Fail(400, "folded header line");
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsHttpToken(line.substr(0, colon))) {
    return Fail(400, "malformed header line");
  }
  std::string_view value = TrimHttpSpace(line.substr(colon + 1));
  if (!IsHttpFieldValue(value)) return Fail(400, "malformed header value");
  const std::string_view name = line.substr(0, colon);
  if (EqualsIgnoreCase(name, "content-length")) {
    if (!IsDecimal(value)) return Fail(400, "malformed Content-Length");
    if (value.find_first_not_of('0') != std::string_view::npos) {
      return Fail(413, "request bodies are not accepted");
    }
  } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
    return OnTransferEncoding(value);
  } else if (EqualsIgnoreCase(name, "host")) {
    if (seen_host_) return Fail(400, "more than one Host header");
    if (!IsHttpHost(value)) return Fail(400, "malformed Host header");
    seen_host_ = true;
  } else if (EqualsIgnoreCase(name, "connection")) {
    ForEachHttpListItem(value, [this](std::string_view option) {
      if (EqualsIgnoreCase(option, "close")) connection_close_ = true;
      if (EqualsIgnoreCase(option, "keep-alive")) connection_keep_alive_ = true;
    });
  } else if (EqualsIgnoreCase(name, "accept-encoding")) {
    ForEachHttpListItem(value, [this](std::string_view item) {
      const CodingWeight weight = ParseCodingItem(item);
      if (EqualsIgnoreCase(weight.coding, "gzip") || EqualsIgnoreCase(weight.coding, "x-gzip")) {
        gzip_weight_ = weight.accepted;
      } else if (weight.coding == "*") {
        any_coding_weight_ = weight.accepted;
      }
    });
  } else if (EqualsIgnoreCase(name, "x-forwarded-for")) {
    auto& forwarded = request_.forwarded_for;
    if (forwarded.empty()) {
      forwarded = value;
    } else {
      forwarded.append(", ").append(value);
    }
  }
}

// A body framed by chunked is one we could read but do not take (413); any other final coding
// leaves the body's length unknown, which RFC 9112 section 6.3 makes a 400.
void HttpRequestParser::OnTransferEncoding(std::string_view value) {
  std::string_view last;
  ForEachHttpListItem(value, [&last](std::string_view coding) { last = coding; });
  if (!EqualsIgnoreCase(last, "chunked")) return Fail(400, "Transfer-Encoding must end in chunked");
  Fail(413, "request bodies are not accepted");
}

void HttpRequestParser::OnHeadersEnd() {
  if (request_.version_minor >= 1 && !seen_host_) {
    return Fail(400, "an HTTP/1.1 request needs a Host header");
  }
  bool persistent_by_default = request_.version_minor >= 1;
  request_.keep_alive = !connection_close_ && (persistent_by_default || connection_keep_alive_);
  request_.accepts_gzip = gzip_weight_.value_or(any_coding_weight_.value_or(false));
  phase_ = Phase::kDone;
  state_ = State::kComplete;
}

void HttpRequestParser::NoteHead(std::string_view request_line) {
  if (request_line.starts_with("HEAD ")) request_.method = HttpMethod::kHead;
}

void HttpRequestParser::Fail(int status, std::string reason) {
  state_ = State::kError;
  error_ = {status, std::move(reason)};
}

}  // namespace shardtrack
