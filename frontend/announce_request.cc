#include "frontend/announce_request.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <optional>
#include <string>

#include "common/http/query_string.h"
#include "frontend/field_errors.h"

namespace shardtrack {
namespace {

enum Field : unsigned {
  kInfoHash,
  kPeerId,
  kPort,
  kUploaded,
  kDownloaded,
  kLeft,  // required, in this order
  kEvent,
  kCompact,
  kNoPeerId,
  kNumwant,
  kIp,
  kFieldCount,
};
constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "info_hash", "peer_id", "port",       "uploaded", "downloaded", "left",
    "event",     "compact", "no_peer_id", "numwant",  "ip",
};
constexpr unsigned kFirstOptional = kEvent;

Error Invalid(Field field, std::string_view why) {
  return Error{InvalidFieldReason(kFieldNames[field], why)};
}

// Decimal digits only (no sign, no spaces); nullopt when empty, not digits or over 64 bits.
std::optional<std::uint64_t> ParseUnsigned(std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

class AnnounceParser {
 public:
  explicit AnnounceParser(ParsedAnnounce& out) : out_(out) {}
  Status Visit(Field field, std::string_view value);
  Status Finish(const IpAddress& client, const AnnounceOptions& options);

 private:
  Status SetField(Field field, std::string_view value);
  Status SetCounter(Field field, std::string_view value, std::uint64_t& into);

  ParsedAnnounce& out_;
  unsigned seen_ = 0;
  std::optional<std::uint64_t> numwant_;  // nullopt: the default, --response-size
  std::optional<IpAddress> claimed_ip_;
};

std::optional<Field> FieldOf(std::string_view key) {  // key, trackerid, corrupt, ...: none
  const auto found = std::find(kFieldNames.begin(), kFieldNames.end(), key);
  if (found == kFieldNames.end()) return std::nullopt;
  return static_cast<Field>(found - kFieldNames.begin());
}

Status AnnounceParser::Visit(Field field, std::string_view value) {
  if (seen_ & (1u << field)) return Error{"duplicate " + std::string(kFieldNames[field])};
  seen_ |= 1u << field;
  return SetField(field, value);
}

Status AnnounceParser::SetCounter(Field field, std::string_view value, std::uint64_t& into) {
  auto number = ParseUnsigned(value);
  if (!number || *number > kMaxTransferCount) return Error{InvalidCountReason(kFieldNames[field])};
  into = *number;
  return OkStatus();
}

Status AnnounceParser::SetField(Field field, std::string_view value) {
  auto& request = out_.request;
  std::uint64_t number = 0;
  switch (field) {
    case kInfoHash:
    case kPeerId:
      if (value.size() != 20) return Error{NotTwentyBytesReason(kFieldNames[field], value)};
      (field == kInfoHash ? request.mutable_info_hash() : request.mutable_peer_id())->assign(value);
      return OkStatus();
    case kPort:
      number = ParseUnsigned(value).value_or(0);
      if (number < 1 || number > 65535) return Invalid(field, "must be 1..65535");
      request.set_port(static_cast<std::uint32_t>(number));
      return OkStatus();
    case kUploaded:
      if (Status status = SetCounter(field, value, number); !status) return status;
      request.set_uploaded(number);
      return OkStatus();
    case kDownloaded:
      if (Status status = SetCounter(field, value, number); !status) return status;
      request.set_downloaded(number);
      return OkStatus();
    case kLeft:
      if (Status status = SetCounter(field, value, number); !status) return status;
      request.set_left(number);
      return OkStatus();
    case kEvent:
      if (value == "started") {
        request.set_event(proto::EVENT_STARTED);
      } else if (value == "completed") {
        request.set_event(proto::EVENT_COMPLETED);
      } else if (value == "stopped") {
        request.set_event(proto::EVENT_STOPPED);
      } else if (value == "paused") {
        request.set_partial_seed(true);
      } else if (!value.empty() && value != "empty") {
        return Invalid(field, "must be started, completed, stopped, paused, empty or absent");
      }
      return OkStatus();
    case kCompact:
    case kNoPeerId:
      if (value != "0" && value != "1") return Invalid(field, "must be 0 or 1");
      (field == kCompact ? out_.compact : out_.no_peer_id) = value == "1";
      return OkStatus();
    case kNumwant: {
      // Digits; a number too large for 64 bits still just asks for the maximum. A negative one
      // asks for the default, as -1 does in BEP 15 (and bttrack.py and opentracker take it).
      const bool negative = value.starts_with('-');
      const std::string_view digits = value.substr(negative ? 1 : 0);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
        return Invalid(field, "must be an integer");
      }
      if (!negative) {
        numwant_ = ParseUnsigned(digits).value_or(std::numeric_limits<std::uint64_t>::max());
      }
      return OkStatus();
    }
    case kIp:
      // A host name, garbage or an address no peer has (0.0.0.0) is ignored, not an error.
      claimed_ip_ = IpAddress::Parse(value);
      return OkStatus();
    case kFieldCount:
      break;
  }
  return OkStatus();
}

Status AnnounceParser::Finish(const IpAddress& client, const AnnounceOptions& options) {
  for (unsigned field = 0; field < kFirstOptional; ++field) {
    if (!(seen_ & (1u << field))) return Error{"missing " + std::string(kFieldNames[field])};
  }
  auto& request = out_.request;
  const std::uint64_t wanted = numwant_.value_or(options.response_size);
  request.set_numwant(
      static_cast<std::uint32_t>(std::min<std::uint64_t>(wanted, options.max_give)));
  request.set_want_peer_ids(!out_.compact && !out_.no_peer_id);
  const IpAddress peer = PeerAddressOf(options, client, claimed_ip_);
  request.set_ip(peer.raw().data(), peer.raw().size());
  return OkStatus();
}

}  // namespace

IpAddress PeerAddressOf(const AnnounceOptions& options, const IpAddress& client,
                        const std::optional<IpAddress>& claimed) {
  const bool believe = options.ip_override == IpOverride::kAlways ||
                       (options.ip_override == IpOverride::kLocal && client.IsLocal());
  // A link-local claim would be handed to peers on other links, where it means nothing.
  const bool usable = claimed && claimed->CanBePeer() && !claimed->IsLinkLocal();
  return believe && usable ? *claimed : client;
}

Status ParseAnnounce(std::string_view raw_query, const IpAddress& client,
                     const AnnounceOptions& options, ParsedAnnounce& out) {
  out.request.Clear();
  out.compact = true;
  out.no_peer_id = false;
  AnnounceParser parser(out);
  Status status = ForEachQueryParam(
      raw_query, FieldOf,
      [&parser](Field field, std::string_view value) { return parser.Visit(field, value); });
  if (!status) return status;
  return parser.Finish(client, options);
}

}  // namespace shardtrack
