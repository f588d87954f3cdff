// ConnectionWatch: watches the shard's socket, through a libzmq monitor, for connections that
// never become a frontend's: those libzmq could not accept at all (out of descriptors: it retries
// at once, so nothing else shows it) and those whose ZeroMQ handshake failed (a frontend whose
// CURVE settings are not the shard's, another ZeroMQ mechanism, or silence for
// --handshake-timeout). It counts them and logs each kind at most once a minute, with what to
// do. A socket takes one monitor, so CURVE's key check (ZapHandler) counts its refusals itself
// and this watch counts the handshakes that fail before any key is shown. Start it before the
// shard's socket binds. Loop thread only.
#pragma once

#include <cstdint>
#include <zmq.hpp>

#include "common/log_throttle.h"
#include "common/reactor/event_loop.h"
#include "common/result.h"

namespace shardtrack {

class ConnectionWatch {
 public:
  // `curve`: whether the watched socket is a CURVE server (it words the handshake warning).
  ConnectionWatch(EventLoop& loop, zmq::context_t& context, bool curve);
  ~ConnectionWatch();
  ConnectionWatch(const ConnectionWatch&) = delete;
  ConnectionWatch& operator=(const ConnectionWatch&) = delete;

  Status Start(zmq::socket_t& shard_socket);

  std::uint64_t accept_failures() const { return accept_failures_; }
  std::uint64_t handshake_failures() const { return handshake_failures_; }

 private:
  void OnEvent();
  void NoteAcceptFailure(std::uint32_t error);
  void NoteHandshakeFailure();

  EventLoop& loop_;
  zmq::socket_t monitor_;
  bool curve_;
  std::uint64_t accept_failures_ = 0;
  std::uint64_t handshake_failures_ = 0;
  LogThrottle accept_failure_log_;
  LogThrottle handshake_failure_log_;
  bool watching_ = false;
};

}  // namespace shardtrack
