// Small character-level helpers for HTTP/1.x syntax (RFC 9110, RFC 9112). Pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

#include "common/trim.h"

namespace shardtrack {

inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// A non-empty run of tchar (method names, header names, list items).
bool IsHttpToken(std::string_view text);
// Header field value characters: visible ASCII, space, tab, and obs-text (0x80-0xff).
bool IsHttpFieldValue(std::string_view text);
// A Host header's value: uri-host [":" port] in RFC 3986's characters (empty allowed).
bool IsHttpHost(std::string_view text);
// A non-empty run of ASCII digits.
bool IsDecimal(std::string_view text);
// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
inline std::string_view TrimHttpSpace(std::string_view text) { return Trim(text, " \t"); }

// "HTTP/1.0" -> 0; "HTTP/1.1" and later 1.x -> 1 (RFC 9110 section 2.5: a higher minor version
// is processed as the highest one the server speaks); another well-formed "HTTP/d.d" -> -1;
// anything else nullopt.
std::optional<int> ParseHttpVersion(std::string_view text);

// Where the path lies in a request target, as {offset, size}: origin-form "/p?q" or absolute-form
// "http://host/p?q" (size 0 when the path is absent). nullopt for a malformed target (empty,
// control characters or spaces, another form).
std::optional<std::pair<std::size_t, std::size_t>> LocatePath(std::string_view target);

// One item of an Accept-Encoding list, "coding" or "coding;q=weight" (RFC 9110 section
// 12.5.3): the coding, and whether its weight is above zero (no weight is 1; a malformed one
// counts as 0, so a client that garbled it gets the plain body).
struct CodingWeight {
  std::string_view coding;
  bool accepted = true;
};
CodingWeight ParseCodingItem(std::string_view item);

// Calls visit(item) for every non-empty, trimmed item of a comma-separated header value.
template <typename Visit>
void ForEachHttpListItem(std::string_view value, Visit&& visit) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view item = TrimHttpSpace(value.substr(0, comma));
    if (!item.empty()) visit(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace shardtrack
