// ZapHandler: admits frontends to a shard's CURVE-secured socket by their public keys. libzmq
// asks it (ZAP, ZeroMQ RFC 27, over inproc://zeromq.zap.01 in the shard's context) about each
// new connection's handshake; it answers 200 for a key on the list and 400 for any other, so a
// process that knows the shard's address, or even its public key, still cannot send it
// requests. The keys are `keys`' (borrowed: it must outlive the handler), so a reload takes
// effect at the next handshake; an admitted connection's user id is its key in hex, which the
// ShardServer checks each batch's against the keys then in force. It also watches the shard's
// socket for handshakes that fail before any key is known (a frontend without CURVE, or with
// another shard key), which it can count but not name, and for connections it cannot accept. Bind
// it before the shard's socket binds. Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>
#include <zmq.hpp>

#include "common/curve_keys.h"
#include "common/log_throttle.h"
#include "common/reactor/event_loop.h"
#include "common/result.h"
#include "shard/frontend_keys.h"

namespace shardtrack {

class ZapHandler {
 public:
  ZapHandler(EventLoop& loop, zmq::context_t& context, const FrontendKeys& keys);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // Binds the handler's endpoint and starts answering, and watches `shard_socket`'s handshakes.
  Status Start(zmq::socket_t& shard_socket);

  std::uint64_t admitted() const { return admitted_; }
  std::uint64_t refused() const { return refused_; }  // keys not listed
  std::uint64_t failed() const { return failed_; }    // no CURVE, or another shard key

 private:
  void OnReadable();
  void OnMonitorEvent();
  void NoteAcceptFailure(std::uint32_t error);
  // The key one request's frames show, when it is admitted.
  std::optional<CurveKey> Decide(const std::vector<zmq::message_t>& request);

  EventLoop& loop_;
  zmq::socket_t socket_;
  zmq::socket_t monitor_;  // the shard socket's failed handshakes
  const FrontendKeys& keys_;
  std::uint64_t admitted_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t accept_failures_ = 0;
  LogThrottle refusal_log_;
  LogThrottle failure_log_;
  LogThrottle accept_failure_log_;
  bool watching_ = false;
};

}  // namespace shardtrack
