#include "shard/zap_handler.h"

#include <spdlog/spdlog.h>

#include <array>
#include <iterator>
#include <string>
#include <string_view>
#include <zmq_addon.hpp>

namespace shardtrack {
namespace {

constexpr const char* kEndpoint = "inproc://zeromq.zap.01";
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

}  // namespace

ZapHandler::ZapHandler(EventLoop& loop, zmq::context_t& context, const FrontendKeys& keys)
    : loop_(loop), socket_(context, zmq::socket_type::rep), keys_(keys) {
  socket_.set(zmq::sockopt::linger, 0);
}

ZapHandler::~ZapHandler() {
  if (watching_) loop_.UnwatchSocket(socket_);
}

Status ZapHandler::Start() {
  try {
    socket_.bind(kEndpoint);
  } catch (const zmq::error_t& error) {
    return Error{std::string("cannot start the CURVE key check: ") + error.what()};
  }
  loop_.WatchSocket(socket_, [this] { OnReadable(); });
  watching_ = true;
  return OkStatus();
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
