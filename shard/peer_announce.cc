#include "shard/peer_announce.h"

#include <string>

namespace shardtrack {
namespace {

Error LengthError(const char* field, std::size_t got, const char* expected) {
  return Error{std::string("invalid ") + field + ": " + std::to_string(got) + " bytes, expected " +
               expected};
}

}  // namespace

Result<PeerAnnounce> ParsePeerAnnounce(const proto::AnnounceRequest& request) {
  PeerAnnounce out;
  auto info_hash = InfoHash::FromRaw(request.info_hash());
  if (!info_hash) return LengthError("info_hash", request.info_hash().size(), "20");
  auto peer_id = PeerId::FromRaw(request.peer_id());
  if (!peer_id) return LengthError("peer_id", request.peer_id().size(), "20");
  auto ip = IpAddress::FromRaw(request.ip());
  if (!ip) return LengthError("ip", request.ip().size(), "4 or 16");
  if (request.port() < 1 || request.port() > 65535) {
    return Error{"invalid port: " + std::to_string(request.port()) + ", expected 1..65535"};
  }
  out.info_hash = *info_hash;
  out.peer_id = *peer_id;
  out.ip = *ip;
  out.port = static_cast<std::uint16_t>(request.port());
  out.seeder = request.left() == 0;
  out.partial_seed = request.partial_seed() && !out.seeder;
  // An event this build does not know (another build's frontend) is none: it must not reach
  // the accounting's credit log, whose replay refuses it.
  out.event = proto::Event_IsValid(request.event()) ? request.event() : proto::EVENT_NONE;
  out.numwant = request.numwant();
  out.want_peer_ids = request.want_peer_ids();
  out.own_family_only = request.own_family_only();
  return out;
}

}  // namespace shardtrack
