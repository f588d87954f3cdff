#include "bench/reply_validator.h"

#include <string>

#include "common/bencode.h"

namespace shardtrack {
namespace {

constexpr std::size_t kCompactV4Bytes = 6;
constexpr std::size_t kCompactV6Bytes = 18;

Result<std::size_t> CountPeers(const BencodeValue& peers) {
  if (peers.is_string()) {
    if (peers.as_string().size() % kCompactV4Bytes != 0) {
      return Error{"compact peers length is not a multiple of 6"};
    }
    return peers.as_string().size() / kCompactV4Bytes;
  }
  if (!peers.is_list()) return Error{"peers is neither a string nor a list"};
  for (const BencodeValue& peer : peers.as_list()) {
    const BencodeValue* ip = peer.Find("ip");
    const BencodeValue* port = peer.Find("port");
    if (ip == nullptr || !ip->is_string() || port == nullptr || !port->is_int()) {
      return Error{"peer dict without string ip and integer port"};
    }
  }
  return peers.as_list().size();
}

}  // namespace

Result<std::size_t> ValidateAnnounceReply(std::string_view body, bool expect_peers) {
  Result<BencodeValue> parsed = ParseBencode(body);
  if (!parsed.ok()) return Error{"not bencoded: " + parsed.error()};
  if (!parsed->is_dict()) return Error{"reply is not a dict"};
  if (const BencodeValue* failure = parsed->Find("failure reason")) {
    return Error{"failure reason: " + (failure->is_string() ? failure->as_string() : "?")};
  }
  const BencodeValue* interval = parsed->Find("interval");
  if (interval == nullptr || !interval->is_int() || interval->as_int() <= 0) {
    return Error{"no positive integer interval"};
  }
  const BencodeValue* peers = parsed->Find("peers");
  if (peers == nullptr) return Error{"no peers key"};
  Result<std::size_t> count = CountPeers(*peers);
  if (!count.ok()) return count;
  std::size_t total = *count;
  if (const BencodeValue* peers6 = parsed->Find("peers6")) {
    if (!peers6->is_string() || peers6->as_string().size() % kCompactV6Bytes != 0) {
      return Error{"peers6 is not a string of 18-byte entries"};
    }
    total += peers6->as_string().size() / kCompactV6Bytes;
  }
  if (expect_peers && total == 0) return Error{"no peers although the swarm is warm"};
  return total;
}

Status ValidateScrapeReply(std::string_view body, const InfoHash& info_hash, bool expect_entry) {
  Result<BencodeValue> parsed = ParseBencode(body);
  if (!parsed.ok()) return Error{"not bencoded: " + parsed.error()};
  if (!parsed->is_dict()) return Error{"reply is not a dict"};
  if (const BencodeValue* failure = parsed->Find("failure reason")) {
    return Error{"failure reason: " + (failure->is_string() ? failure->as_string() : "?")};
  }
  const BencodeValue* files = parsed->Find("files");
  if (files == nullptr || !files->is_dict()) return Error{"no files dict"};
  const BencodeValue* entry = files->Find(info_hash.view());
  if (entry == nullptr) {
    if (expect_entry) return Error{"scrape omits a torrent with known peers"};
    return OkStatus();
  }
  for (const char* key : {"complete", "incomplete"}) {
    const BencodeValue* value = entry->Find(key);
    if (value == nullptr || !value->is_int() || value->as_int() < 0) {
      return Error{std::string("scrape entry without a non-negative integer ") + key};
    }
  }
  if (expect_entry &&
      entry->Find("complete")->as_int() + entry->Find("incomplete")->as_int() == 0) {
    return Error{"scrape counts no peers for a torrent with known peers"};
  }
  return OkStatus();
}

}  // namespace shardtrack
