#include "common/zmq_endpoint.h"

#include <charconv>
#include <string>

namespace shardtrack {
namespace {

bool IsPort(std::string_view text, EndpointUse use) {
  if (use == EndpointUse::kBind && text == "*") return true;
  unsigned port = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error != std::errc{} || end != text.data() + text.size() || port > 65535) return false;
  return port != 0 || use == EndpointUse::kBind;
}

// "HOST:PORT", after "tcp://"; a connect may name its source first ("SOURCE;HOST:PORT").
bool IsTcpAddress(std::string_view address, EndpointUse use) {
  if (const auto source_end = address.find(';'); source_end != std::string_view::npos) {
    address.remove_prefix(source_end + 1);
  }
  const auto colon = address.rfind(':');
  return colon != std::string_view::npos && colon > 0 && IsPort(address.substr(colon + 1), use);
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

}  // namespace shardtrack
