#include "common/nearest_spelling.h"

#include <algorithm>
#include <vector>

namespace shardtrack {
namespace {

// Two edits for a long name, one for a short one, whose every name is two edits from another.
std::size_t FarthestGuess(std::string_view word) { return word.size() >= 6 ? 2 : 1; }

// Edits from `a` to `b`, counting a swap of neighbours as one (optimal string alignment).
std::size_t EditsBetween(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t replace = d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, replace});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string NearestSpelling(std::string_view word, std::span<const std::string> known) {
  std::string nearest;
  std::size_t nearest_edits = FarthestGuess(word) + 1;
  bool tied = false;
  for (const std::string& name : known) {
    const std::size_t edits = EditsBetween(word, name);
    if (edits < nearest_edits) {
      nearest = name;
      nearest_edits = edits;
      tied = false;
    } else if (edits == nearest_edits && name != nearest) {
      tied = true;
    }
  }
  return tied ? std::string() : nearest;
}

}  // namespace shardtrack
