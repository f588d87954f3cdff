// The failure reasons for a tracker request's malformed fields, worded once for HTTP and UDP:
// "invalid <field>: <why>".
#pragma once

#include <string>
#include <string_view>

namespace shardtrack {

std::string InvalidFieldReason(std::string_view field, std::string_view why);
// A count (uploaded, downloaded, left) that is negative or past kMaxTransferCount.
std::string InvalidCountReason(std::string_view field);
// A 20-byte field (info_hash, peer_id) of `value`'s other length; for 40 hex digits, how to send
// them instead (a newcomer's first hand-made announce).
std::string NotTwentyBytesReason(std::string_view field, std::string_view value);

}  // namespace shardtrack
