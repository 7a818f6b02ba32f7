// rudder-analytics core: serializes a caller's JSON value, checking it on the way.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/json_writer.hpp"

#include <charconv>
#include <cmath>

#include "core/json_check.hpp"
#include "core/text.hpp"

namespace rudder::core {
namespace {

template <typename Integer>
void append_integer(std::string& out, Integer value) {
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out.append(buffer, end);
}

// The shortest text that reads back as the same double, as nlohmann writes it (its grisu2
// to_chars, which also appends ".0" to integral values so they stay floats when read back).
void append_double(std::string& out, double value) {
  char buffer[64];
  const char* end = nlohmann::detail::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, static_cast<std::size_t>(end - buffer));
}

}  // namespace

bool write_checked_json(const nlohmann::json& value, std::string& out, std::size_t depth) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::null:
      out.append("null");
      return true;
    case Type::boolean:
      out.append(value.get<bool>() ? "true" : "false");
      return true;
    case Type::number_integer:
      append_integer(out, value.get<std::int64_t>());
      return true;
    case Type::number_unsigned:
      append_integer(out, value.get<std::uint64_t>());
      return true;
    case Type::number_float: {
      const double d = value.get<double>();
      if (!std::isfinite(d)) return false;
      append_double(out, d);
      return true;
    }
    case Type::string:
      return append_json_string_checked(out, value.get_ref<const std::string&>());
    case Type::array: {
      if (depth > kMaxJsonDepth) return false;
      out.push_back('[');
      bool first = true;
      for (const auto& child : value) {
        if (!first) out.push_back(',');
        first = false;
        if (!write_checked_json(child, out, depth + 1)) return false;
      }
      out.push_back(']');
      return true;
    }
    case Type::object: {
      if (depth > kMaxJsonDepth) return false;
      out.push_back('{');
      bool first = true;
      for (const auto& [key, child] : value.get_ref<const nlohmann::json::object_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        if (!append_json_string_checked(out, key)) return false;
        out.push_back(':');
        if (!write_checked_json(child, out, depth + 1)) return false;
      }
      out.push_back('}');
      return true;
    }
    case Type::binary:
    case Type::discarded:
      return false;
  }
  return false;
}

}  // namespace rudder::core
