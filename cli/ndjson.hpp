// rudder-analytics CLI: newline-delimited JSON input, one call per line.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <functional>
#include <istream>
#include <string>
#include <string_view>

namespace rudder::cli {

/// Reads `in` to its end, one line at a time (so a file of any size streams through), and
/// calls `on_line` with each line's text, or `on_bad` with why a line cannot be one (nested
/// deeper than kMaxParsedDepth). Lines are numbered from 1 as an editor shows them; blank
/// lines (white space only, CRLF endings included) are skipped but still numbered. Whether a
/// line is JSON and a usable call is not decided here: the library reads the text itself (its
/// numbers go out as written), so there is one set of rules.
/// Returns false when reading failed before the end of the input.
bool read_ndjson(std::istream& in,
                 const std::function<void(std::size_t line, std::string_view text)>& on_line,
                 const std::function<void(std::size_t line, const std::string& error)>& on_bad,
                 const std::function<bool()>& stop = nullptr);

}  // namespace rudder::cli
