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
void append_integer(JsonOut& out, Integer value) {
  constexpr std::size_t kMaxDigits = 24;
  char* at = out.room(kMaxDigits);
  out.commit(static_cast<std::size_t>(std::to_chars(at, at + kMaxDigits, value).ptr - at));
}

// The shortest text that reads back as the same double, as nlohmann writes it (its grisu2
// to_chars, which also appends ".0" to integral values so they stay floats when read back).
void append_double(JsonOut& out, double value) {
  constexpr std::size_t kMaxChars = 64;
  char* at = out.room(kMaxChars);
  out.commit(static_cast<std::size_t>(nlohmann::detail::to_chars(at, at + kMaxChars, value) - at));
}

}  // namespace

bool write_checked_json(const nlohmann::json& value, JsonOut& out, std::size_t depth) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::null:
      out.put("null");
      return true;
    case Type::boolean:
      out.put(value.get<bool>() ? std::string_view("true") : std::string_view("false"));
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
      out.put('[');
      bool first = true;
      for (const auto& child : value) {
        if (!first) out.put(',');
        first = false;
        if (!write_checked_json(child, out, depth + 1)) return false;
      }
      out.put(']');
      return true;
    }
    case Type::object: {
      if (depth > kMaxJsonDepth) return false;
      out.put('{');
      bool first = true;
      for (const auto& [key, child] : value.get_ref<const nlohmann::json::object_t&>()) {
        if (!first) out.put(',');
        first = false;
        if (!append_json_string_checked(out, key)) return false;
        out.put(':');
        if (!write_checked_json(child, out, depth + 1)) return false;
      }
      out.put('}');
      return true;
    }
    case Type::binary:
    case Type::discarded:
      return false;
  }
  return false;
}

bool write_checked_json(const nlohmann::json& value, std::string& out, std::size_t depth) {
  JsonOut writer(out);
  return write_checked_json(value, writer, depth);
}

}  // namespace rudder::core
