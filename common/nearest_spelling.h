// NearestSpelling: the known name a misspelt one was most likely meant to be, for a "did you
// mean" in an error (an unknown option, a SHARDTRACK_* variable no program takes). Pure.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace shardtrack {

// The one name of `known` fewest single-character edits (insert, delete, replace, or swap of
// two neighbours) from `word`, if it is at most two edits away (one for a word under six
// characters) and no other is as near; empty otherwise: farther, or a tie, is too far to guess.
std::string NearestSpelling(std::string_view word, std::span<const std::string> known);

}  // namespace shardtrack
