#include "common/http/http_response.h"

#include <charconv>

namespace shardtrack {
namespace {

void AppendNumber(std::size_t value, std::string& out) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof(digits), value).ptr);
}

}  // namespace

std::string_view HttpReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

void AppendHttpResponse(const HttpResponseHead& head, std::string_view body, std::string& out) {
  out.append("HTTP/1.1 ");
  AppendNumber(static_cast<std::size_t>(head.status), out);
  out.append(" ").append(HttpReasonPhrase(head.status));
  out.append("\r\nContent-Type: ").append(head.content_type);
  out.append("\r\nContent-Length: ");
  AppendNumber(body.size(), out);
  out.append(head.keep_alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close");
  for (const auto& field : head.extra_headers) {
    out.append("\r\n").append(field.name).append(": ").append(field.value);
  }
  out.append("\r\n\r\n");
  if (!head.head_request) out.append(body);
}

void AppendHttpRefusal(int status, std::string_view reason, bool head_request, std::string& out,
                       std::string_view allow) {
  const HttpHeaderField allow_header[] = {{"Allow", allow}};
  HttpResponseHead head;
  head.status = status;
  head.keep_alive = false;
  head.head_request = head_request;
  if (status == 405) head.extra_headers = allow_header;
  AppendHttpResponse(head, std::string(reason) + "\n", out);
}

}  // namespace shardtrack
