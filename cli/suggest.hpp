// rudder-analytics CLI: "did you mean" for a mistyped command or flag.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rudder::cli {

/// The candidate closest to `typed` by edit distance (a letter added, dropped, changed, or two
/// swapped), if it is close enough to be what was meant: at most 2 edits, and fewer than a
/// third of the word. Empty when none is.
std::string closest(std::string_view typed, const std::vector<std::string_view>& candidates);

}  // namespace rudder::cli
