// UdpTrackerHandler: the UDP tracker (BEP 15). It maps each datagram to shard requests through
// the ShardRouter and answers with one datagram when the shards have answered: connect at once,
// announce from the owning shard's reply, scrape split by owner and gathered in request order.
// A bad connection id, a refused request or a failed shard request is answered with an error
// datagram, but one from a source that showed no connection id of ours only when it is shorter than
// its datagram (no amplification, no endless error loops); a datagram too short to carry a
// transaction id is dropped. It sends through the callback given to Attach and knows no sockets.
// Shard replies reach it through a ShardReplyDemux (its tokens carry the UDP bit). AttachAdmission
// gives the optional checks (frontend/admission.h). With an access list, an announce of a torrent
// not served gets an error datagram and a scrape zero counts in its place, before any shard is
// asked. With a request limiter, an announce or scrape of a client over its rate gets an error
// datagram; connects are not counted, since anyone can send one in another's name, while an
// announce or scrape carries a connection id that proves its source. With passkeys, an announce
// must carry a listed passkey in BEP 41's URL data (/<passkey>/announce, which clients such as
// libtorrent send from a udp:// URL's path), and a scrape, which has no room for one, is refused:
// members scrape over HTTP. With a client list, an announce from a client it refuses gets an error
// datagram.
// Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/reactor/socket_util.h"
#include "common/reactor/udp_socket.h"
#include "common/slab.h"
#include "frontend/admission.h"
#include "frontend/announce_interval.h"
#include "frontend/frontend_settings.h"
#include "frontend/shard_router.h"
#include "frontend/udp/udp_connection_ids.h"
#include "frontend/udp/udp_tracker_protocol.h"

namespace shardtrack {

// Datagrams by what became of them, for metrics: each counts once, by its answer.
struct UdpCounters {
  std::uint64_t connects = 0;
  std::uint64_t announces = 0;  // answered with peers
  std::uint64_t scrapes = 0;    // answered with counts
  std::uint64_t errors = 0;     // answered with an error datagram (a failed shard's included)
  std::uint64_t dropped = 0;    // not answered: too short, or an error would amplify
};

// Where an answer goes, and the local address it leaves from: the one its request was sent to.
struct ReturnPath {
  Endpoint to;
  std::optional<LocalAddress> from;
};

class UdpTrackerHandler final : public ShardRouter::Listener {
 public:
  using Send = std::function<void(const ReturnPath& path, std::string_view datagram)>;

  UdpTrackerHandler(const FrontendSettings& settings, AnnounceOptions announce_options,
                    const Clock& clock, UdpConnectionIds ids);
  // The router must outlive this handler.
  void Attach(ShardRouter& router, Send send);
  // The checks a request passes before it reaches a shard (none by default).
  void AttachAdmission(const Admission& admission) { admission_ = admission; }

  // `to`: the local address it was sent to, which its answer leaves from (nullopt: unknown).
  void OnDatagram(std::string_view datagram, const Endpoint& from,
                  const std::optional<LocalAddress>& to = std::nullopt);
  const UdpCounters& counters() const { return counters_; }
  // Requests waiting for shards (a draining frontend answers them before it exits).
  std::size_t requests_in_flight() const { return exchanges_.in_use(); }
  // `token` without the UDP bit (the demux clears it).
  void OnShardReply(ShardRouter::Token token, const proto::Reply& reply) override;

 private:
  // A request waiting on one or more shards; kept in a slab and reused.
  struct Exchange {
    ReturnPath path;
    std::uint32_t transaction_id = 0;
    UdpAction kind = UdpAction::kAnnounce;
    std::uint32_t outstanding = 0;
    std::string failure;           // first failure among the shard replies
    std::vector<InfoHash> hashes;  // scrape: request order
    proto::ScrapeReply entries;    // scrape: gathered (cleared in place: no allocation once warm)
  };

  // A request from a source that showed its connection id, within its rate.
  void ServeProven(UdpRequest& request, const ReturnPath& path);
  void HandleAnnounce(UdpRequest& request, const ReturnPath& path);
  void HandleScrape(UdpRequest& request, const ReturnPath& path);
  void Finish(std::uint32_t index);
  void FinishScrape(const Exchange& exchange);
  // The hashes of `requested` that the access list admits (all of them without an access list).
  std::span<const InfoHash> Served(const std::vector<InfoHash>& requested);
  std::uint32_t NewExchange(const UdpRequest& request, const ReturnPath& path);
  void RespondError(const ReturnPath& path, std::uint32_t transaction_id, std::string_view message);
  void SendOut(const ReturnPath& path);  // sends out_

  AnnounceInterval interval_;
  UdpParseOptions parse_options_;
  UdpRequest request_;  // reused for every datagram, so parsing allocates nothing
  const Clock& clock_;
  UdpConnectionIds ids_;
  ShardRouter* router_ = nullptr;
  Admission admission_;
  std::vector<InfoHash> served_;  // Served()'s result, reused
  Send send_;
  UdpCounters counters_;
  Slab<Exchange> exchanges_;
  std::string out_;  // reused reply buffer
};

}  // namespace shardtrack
