#include "shard/connection_watch.h"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>
#include <vector>
#include <zmq_addon.hpp>

namespace shardtrack {
namespace {

// A CURVE refusal by the ZapHandler also ends in a failed handshake
// (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), counted there; these fail before any key is known.
constexpr int kHandshakeFailures =
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
constexpr int kWatchedEvents = kHandshakeFailures | ZMQ_EVENT_ACCEPT_FAILED;

// A monitor event's first frame: the event (u16), then its value (u32: here an errno), in host
// order (libzmq copies them in).
std::pair<std::uint16_t, std::uint32_t> ReadEvent(const std::vector<zmq::message_t>& event) {
  std::uint16_t id = 0;
  std::uint32_t value = 0;
  if (!event.empty() && event[0].size() >= sizeof id + sizeof value) {
    std::memcpy(&id, event[0].data(), sizeof id);
    std::memcpy(&value, static_cast<const char*>(event[0].data()) + sizeof id, sizeof value);
  }
  return {id, value};
}

}  // namespace

ConnectionWatch::ConnectionWatch(EventLoop& loop, zmq::context_t& context, bool curve)
    : loop_(loop), monitor_(context, zmq::socket_type::pair), curve_(curve) {
  monitor_.set(zmq::sockopt::linger, 0);
}

ConnectionWatch::~ConnectionWatch() {
  if (watching_) loop_.UnwatchSocket(monitor_);
}

Status ConnectionWatch::Start(zmq::socket_t& shard_socket) {
  try {
    // One name per watched socket: a process may hold several in one context.
    const std::string endpoint = "inproc://shardtrack-connection-watch-" +
                                 std::to_string(reinterpret_cast<std::uintptr_t>(&shard_socket));
    if (zmq_socket_monitor(shard_socket.handle(), endpoint.c_str(), kWatchedEvents) != 0) {
      throw zmq::error_t();
    }
    monitor_.connect(endpoint);
  } catch (const zmq::error_t& error) {
    return Error{std::string("cannot watch the shard's connections: ") + error.what()};
  }
  loop_.WatchSocket(monitor_, [this] { OnEvent(); });
  watching_ = true;
  return OkStatus();
}

void ConnectionWatch::OnEvent() {
  std::vector<zmq::message_t> event;  // (u16 event, u32 value), then the socket's endpoint
  while (zmq::recv_multipart(monitor_, std::back_inserter(event), zmq::recv_flags::dontwait)) {
    const auto [id, value] = ReadEvent(event);
    event.clear();
    if (id == ZMQ_EVENT_ACCEPT_FAILED) {
      NoteAcceptFailure(value);
    } else {
      NoteHandshakeFailure();
    }
  }
}

void ConnectionWatch::NoteAcceptFailure(std::uint32_t error) {
  ++accept_failures_;
  if (!accept_failure_log_.Due(loop_.clock().Now())) return;
  spdlog::error(
      "cannot accept connections on --listen: {} ({} times so far); with too many open files, "
      "raise the open-file limit (LimitNOFILE=), or keep whoever floods the port off it: "
      "connections that send nothing are closed after --handshake-timeout",
      std::strerror(static_cast<int>(error)), accept_failures_);
}

void ConnectionWatch::NoteHandshakeFailure() {
  ++handshake_failures_;
  if (!handshake_failure_log_.Due(loop_.clock().Now())) return;
  if (curve_) {
    spdlog::warn(
        "a connection failed its CURVE handshake before showing a key ({} so far): a frontend "
        "without --curve-secret-file, or whose --shard-public-key-file is not this cluster's, "
        "one that sent nothing for --handshake-timeout, or one that left first (a frontend's "
        "reconnect given up while this shard was stopped or too busy to answer it)",
        handshake_failures_);
  } else {
    spdlog::warn(
        "a connection to --listen failed its ZeroMQ handshake ({} so far): a frontend with "
        "--curve-secret-file (this shard has no --curve-secret-file), a ZeroMQ peer with "
        "another security mechanism, one that sent nothing for --handshake-timeout, or one that "
        "left first (a frontend's reconnect given up while this shard was stopped or too busy to "
        "answer it)",
        handshake_failures_);
  }
}

}  // namespace shardtrack
