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
/// line number). The library refuses values nested deeper than 256 levels, naming the field;
/// text nested deeper than kMaxParsedDepth is refused here unparsed ("is nested deeper than
/// 1000 levels"), as its tree would cost memory out of all proportion to the line.
std::optional<nlohmann::json> parse_json_input(std::string_view text, std::string& error);
inline constexpr std::size_t kMaxParsedDepth = 1000;

/// "is nested deeper than 1000 levels" for text nested deeper than kMaxParsedDepth (found
/// without parsing); nullopt otherwise.
std::optional<std::string> nesting_problem(std::string_view text);

/// Why `text` is not JSON, worded as parse_json_input() words it ("not valid JSON: column 9:
/// ..."); nullopt when it is JSON. For text the library refused as no JSON object, whose
/// refusal ("message: is not valid JSON") does not say where.
std::optional<std::string> json_syntax_problem(std::string_view text);

}  // namespace rudder::cli
