// rudder-analytics CLI: parses JSON the user typed or piped in (flag values, NDJSON lines).
// Copyright the rudder-analytics authors. MIT licence.
#include "json_input.hpp"

namespace rudder::cli {
namespace {

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
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    error = "not valid JSON: " + describe(e);
    return std::nullopt;
  }
}

}  // namespace rudder::cli
