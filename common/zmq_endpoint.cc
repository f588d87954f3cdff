#include "common/zmq_endpoint.h"

#include <charconv>
#include <string>

#include "common/ip_address.h"
#include "common/reactor/socket_util.h"

namespace shardtrack {
namespace {

bool IsPort(std::string_view text, EndpointUse use) {
  if (use == EndpointUse::kBind && text == "*") return true;
  unsigned port = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error != std::errc{} || end != text.data() + text.size() || port > 65535) return false;
  return port != 0 || use == EndpointUse::kBind;
}

// "HOST:PORT", after "tcp://"; a connect may name its source first ("SOURCE;HOST:PORT"). Only a
// bind takes * for every address or any port.
bool IsTcpAddress(std::string_view address, EndpointUse use) {
  const auto source_end = address.find(';');
  if (source_end != std::string_view::npos) {
    if (use == EndpointUse::kBind) return false;
    address.remove_prefix(source_end + 1);
  }
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  if (use == EndpointUse::kConnect && address.substr(0, colon) == "*") return false;
  return IsPort(address.substr(colon + 1), use);
}

}  // namespace

Status CheckZmqEndpoint(std::string_view flag, std::string_view endpoint, EndpointUse use) {
  const auto scheme_end = endpoint.find("://");
  const std::string_view scheme = endpoint.substr(0, scheme_end);
  const std::string_view rest =
      scheme_end == std::string_view::npos ? "" : endpoint.substr(scheme_end + 3);
  const bool valid = scheme_end != std::string_view::npos &&
                     (scheme == "tcp" ? IsTcpAddress(rest, use)
                                      : (scheme == "ipc" || scheme == "inproc") && !rest.empty());
  if (valid) return OkStatus();
  return Error{std::string(flag) +
               " must be a ZeroMQ endpoint: tcp://HOST:PORT with a port from 1 to 65535 (like "
               "tcp://127.0.0.1:7000), ipc://PATH or inproc://NAME; got '" +
               std::string(endpoint) + "'"};
}

Status CheckCanBindZmqEndpoint(std::string_view flag, std::string_view endpoint) {
  if (!endpoint.starts_with("tcp://")) return OkStatus();
  const std::string_view address = endpoint.substr(6);
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return OkStatus();
  std::string host(address.substr(0, colon));
  if (host == "*") host = "0.0.0.0";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const std::string_view digits = address.substr(colon + 1);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (error != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535 ||
      !IpAddress::Parse(host)) {
    return OkStatus();
  }
  Status listening = CheckCanListen(host, static_cast<std::uint16_t>(port));
  if (!listening) return Error{std::string(flag) + ": " + listening.error()};
  return OkStatus();
}

}  // namespace shardtrack
