// rudder-analytics core: checks a caller's JSON value before it becomes part of a payload.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/json_check.hpp"

#include <cmath>

#include "core/text.hpp"

namespace rudder::core {
namespace {

using Kind = FieldError::Kind;

constexpr std::size_t kNotYet = std::string::npos;

// Recursion stops at kMaxJsonDepth; the path string is only built on failure. `outer_end` is
// the length of the path of the outermost member being walked (kNotYet at the field itself):
// a nesting error names that member, since a path hundreds of levels long helps nobody.
bool find_problem(const nlohmann::json& value, std::string& path, FieldError& error,
                  std::size_t depth, std::size_t outer_end) {
  if (value.is_structured() && depth > kMaxJsonDepth) {
    error = {Kind::invalid_value, path.substr(0, outer_end),
             "is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
    return true;
  }
  switch (value.type()) {
    case nlohmann::json::value_t::string:
      if (!is_valid_utf8(value.get_ref<const std::string&>())) {
        error = {Kind::invalid_value, path, "string is not valid UTF-8"};
        return true;
      }
      return false;
    case nlohmann::json::value_t::number_float:
      if (!std::isfinite(value.get<double>())) {
        error = {Kind::out_of_range, path, "number is not finite"};
        return true;
      }
      return false;
    case nlohmann::json::value_t::object:
      for (const auto& [key, child] : value.items()) {
        const std::size_t mark = path.size();
        if (!is_valid_utf8(key)) {
          error = {Kind::invalid_value, path, "object key is not valid UTF-8"};
          return true;
        }
        path.append(".").append(key);
        const std::size_t child_outer = outer_end == kNotYet ? path.size() : outer_end;
        if (find_problem(child, path, error, depth + 1, child_outer)) return true;
        path.resize(mark);
      }
      return false;
    case nlohmann::json::value_t::array: {
      std::size_t index = 0;
      for (const auto& child : value) {
        const std::size_t mark = path.size();
        path.append("[").append(std::to_string(index++)).append("]");
        const std::size_t child_outer = outer_end == kNotYet ? path.size() : outer_end;
        if (find_problem(child, path, error, depth + 1, child_outer)) return true;
        path.resize(mark);
      }
      return false;
    }
    case nlohmann::json::value_t::binary:
      error = {Kind::wrong_type, path, "binary values cannot be sent as JSON"};
      return true;
    case nlohmann::json::value_t::discarded:
      error = {Kind::invalid_value, path, "value is a discarded parse result"};
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<FieldError> check_json_values(const nlohmann::json& value, const std::string& field,
                                            std::size_t depth) {
  std::string path = field;
  FieldError error{Kind::invalid_value, "", ""};
  // A value below level 1 is already a member: a nesting error names it.
  if (find_problem(value, path, error, depth, depth > 1 ? field.size() : kNotYet)) return error;
  return std::nullopt;
}

}  // namespace rudder::core
