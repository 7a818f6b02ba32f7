// rudder-analytics CLI: parses JSON the user typed or piped in (flag values, NDJSON lines).
// Copyright the rudder-analytics authors. MIT licence.
#include "json_input.hpp"

#include <algorithm>

namespace rudder::cli {
namespace {

// Nesting depth of the brackets outside strings. A linear pre-scan: cheaper than a parser
// callback, and it runs before anything recursive sees the value.
std::size_t nesting_depth(std::string_view text) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string describe(const nlohmann::json::exception& e) {
  std::string text = e.what();
  if (text.rfind("[json.exception.", 0) == 0) {
    if (const auto end = text.find("] "); end != std::string::npos) text.erase(0, end + 2);
  }
  constexpr std::string_view kFirstLine = "parse error at line 1, ";
  if (text.rfind(kFirstLine, 0) == 0) text.erase(0, kFirstLine.size());
  return text;
}

}  // namespace

std::optional<nlohmann::json> parse_json_input(std::string_view text, std::string& error) {
  if (nesting_depth(text) > kMaxJsonDepth) {
    error = "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    return std::nullopt;
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    error = "not valid JSON: " + describe(e);
    return std::nullopt;
  }
}

}  // namespace rudder::cli
