// ShardReplyDemux: the ShardRouter's one Listener, passing each reply to the handler that asked.
// HTTP requests (TrackerHandler) use tokens below 2^63; the UDP handler sets the top bit
// (UdpToken), which the demux clears again before handing the reply over. Owns nothing; both
// listeners must outlive it. Loop thread only.
#pragma once

#include <cstdint>

#include "frontend/shard_router.h"

namespace shardtrack {

class ShardReplyDemux final : public ShardRouter::Listener {
 public:
  static constexpr ShardRouter::Token kUdpBit = ShardRouter::Token{1} << 63;
  static constexpr ShardRouter::Token UdpToken(std::uint32_t index) { return kUdpBit | index; }

  ShardReplyDemux(ShardRouter::Listener& http, ShardRouter::Listener& udp)
      : http_(http), udp_(udp) {}

  void OnShardReply(ShardRouter::Token token, const proto::Reply& reply) override {
    if ((token & kUdpBit) != 0) return udp_.OnShardReply(token & ~kUdpBit, reply);
    http_.OnShardReply(token, reply);
  }

 private:
  ShardRouter::Listener& http_;
  ShardRouter::Listener& udp_;
};

}  // namespace shardtrack
