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

// Whether arrays and objects in `text` nest deeper than `limit`, found without parsing: a
// line of ten million '[' would otherwise become a tree of ten million nodes (gigabytes)
// before the library refused it. Brackets inside strings do not count.
bool nests_deeper_than(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

}  // namespace

std::optional<nlohmann::json> parse_json_input(std::string_view text, std::string& error) {
  if (auto problem = nesting_problem(text)) {
    error = std::move(*problem);
    return std::nullopt;
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    error = "not valid JSON: " + describe(e);
    return std::nullopt;
  }
}

std::optional<std::string> nesting_problem(std::string_view text) {
  if (!nests_deeper_than(text, kMaxParsedDepth)) return std::nullopt;
  return "is nested deeper than " + std::to_string(kMaxParsedDepth) + " levels";
}

std::optional<std::string> json_syntax_problem(std::string_view text) {
  std::string error;
  if (parse_json_input(text, error)) return std::nullopt;
  return error;
}

}  // namespace rudder::cli
