#include "shard/zap_handler.h"

#include <spdlog/spdlog.h>

#include <array>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <zmq_addon.hpp>

namespace shardtrack {
namespace {

constexpr const char* kEndpoint = "inproc://zeromq.zap.01";
constexpr const char* kMonitorEndpoint = "inproc://shardtrack-handshakes";
// A refusal of ours also ends in a failed handshake (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH); these
// are the ones that fail before any key reaches us.
constexpr int kFailuresBeforeKeys =
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
// And connections libzmq could not accept at all: out of descriptors, it retries at once.
constexpr int kWatchedEvents = kFailuresBeforeKeys | ZMQ_EVENT_ACCEPT_FAILED;
constexpr std::string_view kVersion = "1.0";
// The request's frames: version, request id, domain, address, routing id, mechanism, then the
// mechanism's credentials (CURVE: the client's 32-byte public key).
constexpr std::size_t kRequestId = 1;
constexpr std::size_t kAddress = 3;
constexpr std::size_t kMechanism = 5;
constexpr std::size_t kCredentials = 6;

std::string_view View(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

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

ZapHandler::ZapHandler(EventLoop& loop, zmq::context_t& context, const FrontendKeys& keys)
    : loop_(loop),
      socket_(context, zmq::socket_type::rep),
      monitor_(context, zmq::socket_type::pair),
      keys_(keys) {
  socket_.set(zmq::sockopt::linger, 0);
  monitor_.set(zmq::sockopt::linger, 0);
}

ZapHandler::~ZapHandler() {
  if (!watching_) return;
  loop_.UnwatchSocket(socket_);
  loop_.UnwatchSocket(monitor_);
}

Status ZapHandler::Start(zmq::socket_t& shard_socket) {
  try {
    socket_.bind(kEndpoint);
    if (zmq_socket_monitor(shard_socket.handle(), kMonitorEndpoint, kWatchedEvents) != 0) {
      throw zmq::error_t();
    }
    monitor_.connect(kMonitorEndpoint);
  } catch (const zmq::error_t& error) {
    return Error{std::string("cannot start the CURVE key check: ") + error.what()};
  }
  loop_.WatchSocket(socket_, [this] { OnReadable(); });
  loop_.WatchSocket(monitor_, [this] { OnMonitorEvent(); });
  watching_ = true;
  return OkStatus();
}

void ZapHandler::OnMonitorEvent() {
  std::vector<zmq::message_t> event;  // (u16 event, u32 value), then the socket's endpoint
  while (zmq::recv_multipart(monitor_, std::back_inserter(event), zmq::recv_flags::dontwait)) {
    const auto [id, value] = ReadEvent(event);
    event.clear();
    if (id == ZMQ_EVENT_ACCEPT_FAILED) {
      NoteAcceptFailure(value);
      continue;
    }
    ++failed_;
    if (failure_log_.Due(loop_.clock().Now())) {
      spdlog::warn(
          "a connection failed its CURVE handshake before showing a key ({} so far): a frontend "
          "without --curve-secret-file, or whose --shard-public-key-file is not this cluster's",
          failed_);
    }
  }
}

void ZapHandler::NoteAcceptFailure(std::uint32_t error) {
  ++accept_failures_;
  if (!accept_failure_log_.Due(loop_.clock().Now())) return;
  spdlog::error(
      "cannot accept connections on --listen: {} ({} times so far); with too many open files, "
      "raise the open-file limit (LimitNOFILE=), or keep whoever floods the port off it: "
      "connections that send nothing are closed after --handshake-timeout",
      std::strerror(static_cast<int>(error)), accept_failures_);
}

std::optional<CurveKey> ZapHandler::Decide(const std::vector<zmq::message_t>& request) {
  // CURVE's credentials are one frame, the key: a request with more frames is malformed.
  const bool curve = request.size() == kCredentials + 1 && View(request[0]) == kVersion &&
                     View(request[kMechanism]) == "CURVE";
  const auto key = curve ? CurveKey::FromRaw(View(request[kCredentials])) : std::nullopt;
  if (key && keys_.Admits(*key)) {
    ++admitted_;
    return key;
  }
  ++refused_;
  if (refusal_log_.Due(loop_.clock().Now())) {
    spdlog::warn(
        "refused a connection from {} whose CURVE key {} is not in --frontend-keys-file ({} "
        "refused so far); add the frontend's .public key there, or check its "
        "--shard-public-key-file",
        request.size() > kAddress ? std::string(View(request[kAddress])) : "?",
        key ? key->ToHex() : "(none)", refused_);
  }
  return std::nullopt;
}

void ZapHandler::OnReadable() {
  std::vector<zmq::message_t> request;
  while (zmq::recv_multipart(socket_, std::back_inserter(request), zmq::recv_flags::dontwait)) {
    const std::optional<CurveKey> admitted = Decide(request);
    const std::string_view status = admitted ? "200" : "400";
    const std::string user_id = admitted ? admitted->ToHex() : std::string();  // see ShardServer
    const std::string_view request_id =
        request.size() > kRequestId ? View(request[kRequestId]) : std::string_view();
    // Version, request id, status code, status text, user id, metadata.
    const std::array<zmq::const_buffer, 6> reply = {zmq::buffer(kVersion), zmq::buffer(request_id),
                                                    zmq::buffer(status),   zmq::str_buffer(""),
                                                    zmq::buffer(user_id),  zmq::str_buffer("")};
    zmq::send_multipart(socket_, reply, zmq::send_flags::dontwait);
    request.clear();
  }
}

}  // namespace shardtrack
