// ZapHandler: admits frontends to a shard's CURVE-secured socket by their public keys. libzmq
// asks it (ZAP, ZeroMQ RFC 27, over inproc://zeromq.zap.01 in the shard's context) about each
// new connection's handshake; it answers 200 for a key on the list and 400 for any other, so a
// process that knows the shard's address, or even its public key, still cannot send it
// requests. The keys are `keys`' (borrowed: it must outlive the handler), so a reload takes
// effect at the next handshake; an admitted connection's user id is its key in hex, which the
// ShardServer checks each batch's against the keys then in force. Handshakes that fail before
// any key is known are a ConnectionWatch's. Start it before the shard's socket binds. Loop thread
// only.
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

  // Binds the handler's endpoint and starts answering.
  Status Start();

  std::uint64_t admitted() const { return admitted_; }
  std::uint64_t refused() const { return refused_; }  // keys not listed

 private:
  void OnReadable();
  // The key one request's frames show, when it is admitted.
  std::optional<CurveKey> Decide(const std::vector<zmq::message_t>& request);

  EventLoop& loop_;
  zmq::socket_t socket_;
  const FrontendKeys& keys_;
  std::uint64_t admitted_ = 0;
  std::uint64_t refused_ = 0;
  LogThrottle refusal_log_;
  bool watching_ = false;
};

}  // namespace shardtrack
