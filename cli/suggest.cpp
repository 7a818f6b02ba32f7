// rudder-analytics CLI: "did you mean" for a mistyped command or flag.
// Copyright the rudder-analytics authors. MIT licence.
#include "suggest.hpp"

#include <algorithm>

namespace rudder::cli {
namespace {

// Optimal string alignment distance: Levenshtein plus adjacent swaps ("trakc" is one edit
// from "track"), the typos people make.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t change = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + change});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string closest(std::string_view typed, const std::vector<std::string_view>& candidates) {
  std::string_view best;
  std::size_t best_distance = 3;  // at most 2 edits
  for (std::string_view candidate : candidates) {
    const std::size_t d = distance(typed, candidate);
    if (d < best_distance && d * 3 < std::max(typed.size(), candidate.size())) {
      best = candidate;
      best_distance = d;
    }
  }
  return std::string(best);
}

}  // namespace rudder::cli
