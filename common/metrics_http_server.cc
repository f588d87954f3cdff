#include "common/metrics_http_server.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "common/reactor/socket_util.h"

namespace shardtrack {
namespace {

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Error";
  }
}

}  // namespace

Result<HostPort> ParseHostPort(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Error{"not HOST:PORT: '" + std::string(text) + "'"};
  }
  HostPort out;
  out.host = std::string(Unbracketed(text.substr(0, colon)));
  std::string_view port = text.substr(colon + 1);
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), out.port);
  if (port.empty() || error != std::errc{} || end != port.data() + port.size() ||
      !IpAddress::Parse(out.host)) {
    return Error{"not HOST:PORT with a numeric address and port: '" + std::string(text) + "'"};
  }
  return out;
}

MetricsHttpServer::MetricsHttpServer(EventLoop& loop, TcpServerOptions options,
                                     const MetricsRegistry& registry, Duration request_deadline)
    : loop_(loop),
      request_deadline_(request_deadline),
      tcp_(loop, std::move(options), *this),
      registry_(registry) {}

MetricsHttpServer::~MetricsHttpServer() {
  for (const auto& [id, timer] : deadlines_) loop_.Cancel(timer);
}

void MetricsHttpServer::OnOpen(ConnectionId id, const IpAddress&, std::uint16_t) {
  deadlines_[id] = loop_.RunAfter(request_deadline_, [this, id] {
    deadlines_.erase(id);
    Answer(id, 408, "text/plain", "no whole request in time\n");
  });
}

void MetricsHttpServer::OnClose(ConnectionId id) { CancelDeadline(id); }

void MetricsHttpServer::CancelDeadline(ConnectionId id) {
  if (auto deadline = deadlines_.find(id); deadline != deadlines_.end()) {
    loop_.Cancel(deadline->second);
    deadlines_.erase(deadline);
  }
}

void MetricsHttpServer::OnData(ConnectionId id, std::string& input) {
  if (!deadlines_.contains(id)) {  // answered: later bytes are ignored
    input.clear();
    return;
  }
  auto head_end = input.find("\r\n\r\n");
  if (head_end == std::string::npos) head_end = input.find("\n\n");
  if (head_end == std::string::npos) {
    if (input.size() > kMaxRequestBytes) {
      input.clear();
      Answer(id, 431, "text/plain", "request too large\n");
    }
    return;
  }
  std::string_view line(input.data(), input.find_first_of("\r\n"));
  auto first_space = line.find(' ');
  auto second_space = line.find(' ', first_space + 1);
  std::string_view method = line.substr(0, first_space);
  std::string_view target = first_space == std::string_view::npos
                                ? std::string_view()
                                : line.substr(first_space + 1, second_space - first_space - 1);
  target = target.substr(0, target.find('?'));
  bool head = method == "HEAD";
  std::string body;
  if (target.empty() || first_space == std::string_view::npos) {
    Answer(id, 400, "text/plain", "bad request\n");
  } else if (method != "GET" && !head) {
    Answer(id, 405, "text/plain", "only GET\n");
  } else if (target == "/metrics") {
    body = registry_.Render();
    Answer(id, 200, kMetricsContentType, body, head);
  } else if (target == "/healthz") {
    Answer(id, 200, "text/plain", "ok\n", head);
  } else {
    Answer(id, 404, "text/plain", "not found\n", head);
  }
  input.clear();
}

void MetricsHttpServer::Answer(ConnectionId id, int status, std::string_view content_type,
                               std::string_view body, bool head) {
  std::string out = "HTTP/1.0 " + std::to_string(status) + " ";
  out += ReasonPhrase(status);
  out += "\r\nContent-Type: ";
  out += content_type;
  if (status == 405) out += "\r\nAllow: GET, HEAD";  // required with a 405 (RFC 9110 15.5.6)
  out += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  if (!head) out += body;  // HEAD: the GET answer's length, no body (RFC 9110 section 9.3.2)
  CancelDeadline(id);      // answered: a slow reader of it gets no 408 after it
  tcp_.SendLast(id, out);
}

Status CheckMetricsListen(std::string_view listen) {
  if (listen.empty()) return OkStatus();
  auto address = ParseHostPort(listen);
  return address.ok() ? OkStatus() : Status(Error{"--metrics-listen: " + address.error()});
}

Result<UniqueFd> HoldMetricsListen(std::string_view listen) {
  if (listen.empty()) return UniqueFd();
  auto address = ParseHostPort(listen);
  if (!address.ok()) return Error{"--metrics-listen: " + address.error()};
  if (address->port == 0) return UniqueFd();
  auto held = HoldListen(address->host, address->port);
  if (!held) return Error{"--metrics-listen: " + held.error()};
  return held;
}

Result<std::unique_ptr<MetricsHttpServer>> ServeMetrics(EventLoop& loop, std::string_view listen,
                                                        const MetricsRegistry& registry) {
  if (listen.empty()) return std::unique_ptr<MetricsHttpServer>();
  auto address = ParseHostPort(listen);
  if (!address.ok()) return Error{"--metrics-listen: " + address.error()};
  TcpServerOptions options;
  options.bind_address = address->host;
  options.port = address->port;
  options.max_connections = MetricsHttpServer::kMaxConnections;
  auto server = std::make_unique<MetricsHttpServer>(loop, options, registry);
  if (auto listening = server->Listen(); !listening.ok()) {
    return Error{"--metrics-listen: " + listening.error()};
  }
  spdlog::info("metrics: http://{}:{}/metrics", BracketedIfIpv6(address->host), server->port());
  return server;
}

}  // namespace shardtrack
