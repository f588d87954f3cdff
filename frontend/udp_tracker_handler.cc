#include "frontend/udp_tracker_handler.h"

#include "frontend/shard_reply_demux.h"
#include "frontend/tracker_route.h"

namespace shardtrack {
namespace {

constexpr std::string_view kScrapeNeedsHttpReason =
    "a UDP scrape cannot carry a passkey: scrape over HTTP, /<passkey>/scrape";

// The passkey an announce's BEP 41 URL data names ("/<passkey>/announce", ...). Empty: none.
std::string_view PasskeyOf(const UdpRequest& request) {
  const std::string_view url = request.url_data;
  const std::size_t question = url.find('?');
  const PasskeyPath path = FindPasskey(
      url.substr(0, question), question == std::string_view::npos ? "" : url.substr(question + 1));
  return path.route == kAnnounceRoute ? path.passkey : std::string_view();
}

}  // namespace

UdpTrackerHandler::UdpTrackerHandler(const FrontendSettings& settings,
                                     AnnounceOptions announce_options, const Clock& clock,
                                     UdpConnectionIds ids)
    : interval_(IntervalOf(settings)),
      parse_options_{announce_options, settings.max_udp_scrape_hashes,
                     settings.udp_max_reply_bytes},
      clock_(clock),
      ids_(ids) {}

void UdpTrackerHandler::Attach(ShardRouter& router, Send send) {
  router_ = &router;
  send_ = std::move(send);
}

void UdpTrackerHandler::OnDatagram(std::string_view datagram, const Endpoint& from,
                                   const std::optional<LocalAddress>& to) {
  const ReturnPath path{from, to};
  UdpRequest& request = request_;
  if (!ParseUdpRequest(datagram, from.address, parse_options_, request)) {
    ++counters_.dropped;
    return;
  }
  // Until a datagram shows a connection id this frontend gave its source, the source may be
  // forged: an error longer than the datagram would make the tracker an amplifier, and one as
  // long could start an endless loop of errors with a forged source that is a UDP tracker (this
  // one included: an error read as a request has a bad connection id). So such a source gets
  // only errors shorter than its datagram, and any such exchange dies out.
  const bool proven = request.action != UdpAction::kConnect &&
                      ids_.Valid(request.connection_id, from.address, clock_.WallNow());
  const auto refuse = [&](std::string_view reason) {
    if (!proven && UdpErrorSize(reason) >= datagram.size()) {
      ++counters_.dropped;
      return;
    }
    RespondError(path, request.transaction_id, reason);
  };
  if (!admission_.AdmitsAddress(from.address)) {
    if (request.action != UdpAction::kConnect) return refuse(kAddressRefusedReason);
    ++counters_.dropped;  // a refused address gets no id to announce with, nor an error
    return;
  }
  if (request.action == UdpAction::kConnect) {
    if (!request.error.empty()) return refuse(request.error);
    ++counters_.connects;
    out_.clear();
    WriteUdpConnectReply(request.transaction_id, ids_.Issue(from.address, clock_.WallNow()), out_);
    return SendOut(path);
  }
  // What is wrong with a request is told only to a proven source within its rate, as over HTTP,
  // where a refused request is not parsed.
  if (!proven) return refuse("invalid connection id");
  if (!admission_.WithinRate(from.address, clock_.Now())) {
    return RespondError(path, request.transaction_id, kOverRateReason);
  }
  ServeProven(request, path);
}

void UdpTrackerHandler::ServeProven(UdpRequest& request, const ReturnPath& path) {
  if (request.action == UdpAction::kError) {
    return RespondError(path, request.transaction_id, request.error);
  }
  // Members only: a request without a member's passkey learns nothing else (as over HTTP, where
  // an unknown path is a 404 whoever asks). A scrape carries none (BEP 41 extends announces), so
  // it is refused without counting as one missing.
  if (admission_.members_only()) {
    if (request.action == UdpAction::kScrape) {
      return RespondError(path, request.transaction_id, kScrapeNeedsHttpReason);
    }
    const std::string_view passkey = PasskeyOf(request);
    const std::string_view refused = admission_.MemberRefusal(passkey);
    if (!refused.empty()) return RespondError(path, request.transaction_id, refused);
    // A member's: the shard credits the transfer to it.
    request.announce.set_passkey(passkey.data(), passkey.size());
  }
  if (!request.error.empty()) return RespondError(path, request.transaction_id, request.error);
  if (request.action == UdpAction::kAnnounce) return HandleAnnounce(request, path);
  HandleScrape(request, path);
}

void UdpTrackerHandler::HandleAnnounce(UdpRequest& request, const ReturnPath& path) {
  auto info_hash = InfoHash::FromRaw(request.announce.info_hash());
  const std::string_view refused =
      admission_.AnnounceRefusal(request.announce.peer_id(), *info_hash);
  if (!refused.empty()) return RespondError(path, request.transaction_id, refused);
  const std::uint32_t index = NewExchange(request, path);
  request.announce.set_own_family_only(true);  // the reply has room for one family only
  if (!router_->AddAnnounce(*info_hash, request.announce, ShardReplyDemux::UdpToken(index))) {
    exchanges_.Release(index);
    return RespondError(path, request.transaction_id, kShardBusyReason);
  }
  exchanges_[index].outstanding = 1;
}

void UdpTrackerHandler::HandleScrape(UdpRequest& request, const ReturnPath& path) {
  const std::uint32_t index = NewExchange(request, path);
  const ShardRouter::Fanout fanout =
      router_->AddScrape(Served(request.scrape), ShardReplyDemux::UdpToken(index));
  if (fanout.refused) exchanges_[index].failure = kShardBusyReason;
  exchanges_[index].outstanding = fanout.requests;
  exchanges_[index].hashes.assign(request.scrape.begin(), request.scrape.end());
  if (exchanges_[index].outstanding == 0) Finish(index);
}

std::span<const InfoHash> UdpTrackerHandler::Served(const std::vector<InfoHash>& requested) {
  if (admission_.torrents == nullptr) return requested;
  // A refused one is not asked for, so its place in the reply (in request order) holds zeros.
  return admission_.torrents->AdmitScrape(requested, served_, [](const InfoHash&) {});
}

void UdpTrackerHandler::OnShardReply(ShardRouter::Token token, const proto::Reply& reply) {
  const auto index = static_cast<std::uint32_t>(token);
  Exchange& exchange = exchanges_[index];
  if (!reply.failure().empty()) {
    if (exchange.failure.empty()) exchange.failure = reply.failure();
  } else if (exchange.kind == UdpAction::kAnnounce) {
    ++counters_.announces;
    out_.clear();
    WriteUdpAnnounceReply(exchange.transaction_id, interval_.Next(), reply.announce(),
                          !exchange.path.to.address.is_v4(), out_);
    SendOut(exchange.path);
  } else {
    for (const auto& entry : reply.scrape().files()) *exchange.entries.add_files() = entry;
  }
  if (--exchange.outstanding == 0) Finish(index);
}

void UdpTrackerHandler::Finish(std::uint32_t index) {
  const Exchange& exchange = exchanges_[index];
  if (!exchange.failure.empty()) {
    RespondError(exchange.path, exchange.transaction_id, exchange.failure);
  } else if (exchange.kind == UdpAction::kScrape) {
    FinishScrape(exchange);
  }  // a successful announce was answered on arrival
  exchanges_.Release(index);
}

void UdpTrackerHandler::FinishScrape(const Exchange& exchange) {
  ++counters_.scrapes;
  out_.clear();
  WriteUdpScrapeHeader(exchange.transaction_id, out_);
  const proto::ScrapeEntry zero;
  for (const InfoHash& hash : exchange.hashes) {
    const proto::ScrapeEntry* found = &zero;
    for (const auto& entry : exchange.entries.files()) {
      if (entry.info_hash() == hash.view()) {
        found = &entry;
        break;
      }
    }
    WriteUdpScrapeEntry(*found, out_);
  }
  SendOut(exchange.path);
}

std::uint32_t UdpTrackerHandler::NewExchange(const UdpRequest& request, const ReturnPath& path) {
  const std::uint32_t index = exchanges_.Acquire();
  Exchange& exchange = exchanges_[index];
  exchange.path = path;
  exchange.transaction_id = request.transaction_id;
  exchange.kind = request.action;
  exchange.outstanding = 0;
  exchange.failure.clear();
  exchange.hashes.clear();
  exchange.entries.Clear();
  return index;
}

void UdpTrackerHandler::RespondError(const ReturnPath& path, std::uint32_t transaction_id,
                                     std::string_view message) {
  ++counters_.errors;
  out_.clear();
  WriteUdpError(transaction_id, message, out_);
  SendOut(path);
}

void UdpTrackerHandler::SendOut(const ReturnPath& path) {
  if (send_) send_(path, out_);
}

}  // namespace shardtrack
