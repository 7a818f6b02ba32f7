// rudder-analytics CLI: parses JSON the user typed or piped in (flag values, NDJSON lines).
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace rudder::cli {

/// The value `text` holds, or nullopt with `error` set to why not, worded for a person:
/// "column 9: syntax error while parsing object key - ..." (nlohmann's exception id and the
/// "line 1" of a one-line input are cut: noise for a flag, misleading next to an NDJSON
/// line number). nlohmann's parser keeps its own stack, so any depth parses; the library
/// refuses values nested deeper than it writes, naming the field.
std::optional<nlohmann::json> parse_json_input(std::string_view text, std::string& error);

}  // namespace rudder::cli
