// rudder-analytics fuzzing: the JSON-text checker and copier on its own
// (write_checked_json_text, check_json_text, json_text_members), judged against nlohmann/json.
// Copyright the rudder-analytics authors. MIT licence.
//
// Why: every caller value the npm package sends (properties, traits, context, integrations)
// goes through this scanner, which decides alone whether bytes are JSON, and copies them. It
// must agree with a real parser: it accepts exactly the JSON texts nested at most
// kMaxJsonDepth levels (nlohmann, which also refuses numbers that overflow a double and
// strings that are not UTF-8, is the reference), writes the same value without white space,
// and its slow naming pass (check_json_text) finds a problem exactly when the fast pass fails.
// Half a surrogate pair, which nlohmann refuses, is written as U+FFFD: nlohmann judges the
// text with that replacement made.
// A UTF-8 byte order mark, which nlohmann skips and JSON.stringify never writes, is skipped;
// a NUL byte, where nlohmann stops reading as if the text ended, must simply be refused.
#include "core/json_text.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/json_check.hpp"
#include "fuzz_support.hpp"

namespace {

using json = nlohmann::json;

// Levels of arrays and objects in `value` (a scalar is 0), without recursion.
std::size_t depth_of(const json& value) {
  std::size_t deepest = 0;
  std::vector<std::pair<const json*, std::size_t>> stack{{&value, 1}};
  while (!stack.empty()) {
    const auto [v, level] = stack.back();
    stack.pop_back();
    if (!v->is_structured()) continue;
    deepest = std::max(deepest, level);
    for (const json& child : *v) stack.emplace_back(&child, level + 1);
  }
  return deepest;
}

// The four hex digits of a \u escape at `i` (its backslash), or -1.
int escaped_unit(std::string_view text, std::size_t i) {
  if (i + 6 > text.size() || text[i + 1] != 'u') return -1;
  int unit = 0;
  for (std::size_t k = i + 2; k < i + 6; ++k) {
    const char c = text[k];
    const int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (h < 0) return -1;
    unit = unit * 16 + h;
  }
  return unit;
}

// The text as the scanner reads it, for nlohmann to judge: half a surrogate pair (\ud83d with
// no partner), which nlohmann refuses, becomes \ufffd, as write_checked_json_text() writes it.
// Escapes are taken whole, so an escaped backslash followed by "ud800" is no escape.
std::string lone_surrogates_replaced(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] != '\\') continue;
    const int unit = escaped_unit(out, i);
    if (unit < 0) {
      ++i;  // a two-character escape (or none): its letter is no backslash of its own
      continue;
    }
    if (unit >= 0xD800 && unit <= 0xDBFF && i + 12 <= out.size() && out[i + 6] == '\\') {
      const int low = escaped_unit(out, i + 6);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        i += 11;  // a pair
        continue;
      }
    }
    if (unit >= 0xD800 && unit <= 0xDFFF) out.replace(i, 6, "\\ufffd");
    i += 5;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rudder;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") return 0;

  std::string out;
  const bool written = core::write_checked_json_text(text, out);
  const auto problem = core::check_json_text(text, "properties");
  FUZZ_CHECK(written == !problem, problem ? problem->to_string() : "no problem named");
  if (problem) {
    FUZZ_CHECK(problem->field.rfind("properties", 0) == 0 && !problem->problem.empty(),
               problem->to_string());
  }

  if (text.find('\0') != std::string_view::npos) {
    FUZZ_CHECK(!written, "accepted a NUL byte");
    return 0;
  }
  const json tree = json::parse(lone_surrogates_replaced(text), nullptr, false);
  const bool is_json = !tree.is_discarded();
  const bool too_deep = is_json && depth_of(tree) > core::kMaxJsonDepth;
  FUZZ_CHECK(written == (is_json && !too_deep),
             std::string("scanner ") + (written ? "accepts" : "refuses") + ", nlohmann " +
                 (is_json ? "parses" : "refuses") + (too_deep ? " (too deep)" : "") +
                 (problem ? ": " + problem->to_string() : ""));
  if (too_deep) {
    FUZZ_CHECK(problem->problem == "is nested deeper than 256 levels", problem->to_string());
  }
  if (written) {
    const json copy = json::parse(out, nullptr, false);
    FUZZ_CHECK(copy == tree, "copied as " + out);
    FUZZ_CHECK(out.size() <= text.size(), out);
  }

  std::vector<core::JsonTextMember> members;
  const bool split = core::json_text_members(text, members);
  if (is_json) {
    FUZZ_CHECK(split == tree.is_object(), "members of a JSON text");
    if (split) FUZZ_CHECK(members.size() >= tree.size(), "fewer members than the tree");
  }
  for (const core::JsonTextMember& m : members) {
    if (is_json) FUZZ_CHECK(tree.contains(m.key), "member key " + m.key);
  }
  return 0;
}
