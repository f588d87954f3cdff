// Building HTTP/1.1 responses: AppendHttpResponse writes a status line, Content-Type,
// Content-Length, Connection and any extra headers, then the body (left out for HEAD). Pure.
// Callers own the output buffer and reuse it; header values must not contain CR or LF.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace shardtrack {

struct HttpHeaderField {
  std::string_view name;
  std::string_view value;
};

struct HttpResponseHead {
  int status = 200;
  std::string_view content_type = "text/plain";
  bool keep_alive = true;
  bool head_request = false;  // HEAD: no body, Content-Length still that of the GET answer
  std::span<const HttpHeaderField> extra_headers;  // e.g. {"Allow", "GET, HEAD"}
};

// "OK", "Not Found", ...; "Unknown" for codes this server never sends.
std::string_view HttpReasonPhrase(int status);

// Appends the whole response to `out`.
void AppendHttpResponse(const HttpResponseHead& head, std::string_view body, std::string& out);

// Appends a refusal that closes the connection: `reason` and a line end as its text body, with
// the Allow header a 405 needs (RFC 9110 section 15.5.6: the methods its target takes, `allow`);
// no body for a HEAD (`head_request`).
inline constexpr std::string_view kGetOrHead = "GET, HEAD";  // what most targets take
void AppendHttpRefusal(int status, std::string_view reason, bool head_request, std::string& out,
                       std::string_view allow = kGetOrHead);

}  // namespace shardtrack
