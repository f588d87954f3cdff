#include "common/metrics_http_server.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "common/reactor/socket_util.h"

namespace shardtrack {
namespace {

constexpr HttpLimits kRequestLimits{MetricsHttpServer::kMaxRequestBytes,
                                    MetricsHttpServer::kMaxRequestBytes};

// Whether listeners on `a` and `b`, on one port, would clash: one address, or a wildcard over the
// other. `::` takes both families (our listeners serve both, ServeBothFamilies); 0.0.0.0 takes
// IPv4 only, so [::1] is still free beside it.
bool AddressesClash(const IpAddress& a, const IpAddress& b) {
  const auto covers = [](const IpAddress& wildcard, const IpAddress& other) {
    return wildcard == *IpAddress::Parse("::") ||
           (wildcard == *IpAddress::Parse("0.0.0.0") && other.is_v4());
  };
  return a == b || covers(a, b) || covers(b, a);
}

// Whether a listener on `metrics` would find `other`'s port taken.
bool SharesThePort(const HostPort& metrics, const Endpoint& other) {
  const auto address = IpAddress::Parse(metrics.host);
  return metrics.port != 0 && metrics.port == other.port && address &&
         AddressesClash(*address, other.address);
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
  for (const auto& [id, unanswered] : unanswered_) loop_.Cancel(unanswered.deadline);
}

void MetricsHttpServer::OnOpen(ConnectionId id, const IpAddress&, std::uint16_t) {
  const TimerId deadline = loop_.RunAfter(
      request_deadline_, [this, id] { Refuse(id, 408, "no whole request in time"); });
  unanswered_.insert_or_assign(id, Unanswered{HttpRequestParser(kRequestLimits), deadline});
}

void MetricsHttpServer::OnClose(ConnectionId id) { Forget(id); }

void MetricsHttpServer::Forget(ConnectionId id) {
  if (auto it = unanswered_.find(id); it != unanswered_.end()) {
    loop_.Cancel(it->second.deadline);  // harmless when it is the deadline running now
    unanswered_.erase(it);
  }
}

void MetricsHttpServer::OnData(ConnectionId id, std::string& input) {
  auto it = unanswered_.find(id);
  if (it == unanswered_.end()) {  // answered: later bytes are ignored
    input.clear();
    return;
  }
  HttpRequestParser& parser = it->second.parser;
  const auto state = parser.Feed(input).state;
  input.clear();  // an unfinished request is kept in the parser; what follows one is not read
  if (state == HttpRequestParser::State::kComplete) {
    Route(id, parser.request());
  } else if (state == HttpRequestParser::State::kError) {
    Refuse(id, parser.error().status, parser.error().reason);
  }
}

void MetricsHttpServer::Route(ConnectionId id, const HttpRequest& request) {
  HttpResponseHead head;
  head.keep_alive = false;
  head.head_request = request.method == HttpMethod::kHead;
  if (request.path() == "/metrics") {
    head.content_type = kMetricsContentType;
    Answer(id, head, registry_.Render());
  } else if (request.path() == "/healthz") {
    Answer(id, head, "ok\n");
  } else {
    head.status = 404;
    Answer(id, head, "not found\n");
  }
}

void MetricsHttpServer::Refuse(ConnectionId id, int status, std::string_view reason) {
  // A HEAD refused after its request line named it is still a HEAD (RFC 9110 section 9.3.2).
  const bool head_request = unanswered_.at(id).parser.request().method == HttpMethod::kHead;
  std::string out;
  AppendHttpRefusal(status, reason, head_request, out);
  Forget(id);
  tcp_.SendLast(id, out, /*drain_input=*/true);
}

void MetricsHttpServer::Answer(ConnectionId id, const HttpResponseHead& head,
                               std::string_view body) {
  std::string out;
  AppendHttpResponse(head, body, out);
  Forget(id);
  tcp_.SendLast(id, out);
}

Status CheckMetricsListen(std::string_view listen, const std::optional<OtherListener>& other) {
  if (listen.empty()) return OkStatus();
  auto address = ParseHostPort(listen);
  if (!address.ok()) return Error{"--metrics-listen: " + address.error()};
  if (other && SharesThePort(*address, other->at)) {
    return Error{"--metrics-listen " + std::string(listen) + " takes the port of " +
                 std::string(other->flag) + " (" + BracketedIfIpv6(other->at.address.ToString()) +
                 ":" + std::to_string(other->at.port) + "): give each its own port"};
  }
  return OkStatus();
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
