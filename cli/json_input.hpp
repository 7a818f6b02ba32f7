// rudder-analytics CLI: parses JSON the user typed or piped in (flag values, NDJSON lines).
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace rudder::cli {

/// Deepest nesting of arrays and objects accepted. Real events nest a few levels; the limit
/// exists because the library serializes values recursively and a value nested some 60,000
/// levels deep (a 120 KB line) overflows the stack and kills the process, losing everything
/// still queued. Refusing such one input keeps a batch run alive. Far below that depth, far
/// above any real use.
inline constexpr std::size_t kMaxJsonDepth = 1000;

/// The value `text` holds, or nullopt with `error` set to why not, worded for a person:
/// "column 9: syntax error while parsing object key - ..." (nlohmann's exception id and the
/// "line 1" of a one-line input are cut: noise for a flag, misleading next to an NDJSON
/// line number).
std::optional<nlohmann::json> parse_json_input(std::string_view text, std::string& error);

}  // namespace rudder::cli
