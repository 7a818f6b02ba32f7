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

// Most doubles events carry are decimals of a few places (prices, ratings, percentages,
// coordinates to four places). For those the shortest text that reads back as the value is
// found with a multiply and a divide, a fraction of grisu2's work: when value * 10^places is a
// whole number m (below 2^53, so exact) and m / 10^places is the value again, the decimal
// m / 10^places reads back as the value (that division and reading the decimal both round the
// same rational to the nearest double). Fewest places first, and with |value| < 1e9 no other
// decimal of as few places or fewer lies within half a unit in the last place (at least 1e-4
// away, against at most 6e-8), so it is the shortest text. That is grisu2's text too, except
// where grisu2 misses the shortest (66811908.8136, which it writes 66811908.813600004): then
// this text is JavaScript's, as the npm package sends it. The format is nlohmann's for such
// values: plain digits, ".0" on a whole number. False for anything else (and for zero, for
// nlohmann's "-0.0").
bool append_short_decimal(JsonOut& out, double value) {
  if (!(std::fabs(value) < 1e9) || value == 0) return false;
  static constexpr double kScale[] = {1, 10, 100, 1000, 10000};
  for (int places = 0; places < 5; ++places) {
    const double scaled = value * kScale[places];
    const auto whole = static_cast<std::int64_t>(scaled);
    if (static_cast<double>(whole) != scaled) continue;
    if (static_cast<double>(whole) / kScale[places] != value) return false;
    std::uint64_t magnitude = whole < 0 ? 0 - static_cast<std::uint64_t>(whole) : static_cast<std::uint64_t>(whole);
    auto point = static_cast<std::size_t>(places);
    for (; point > 0 && magnitude % 10 == 0; --point) magnitude /= 10;  // the same decimal
    char digits[24];
    const auto length = static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, magnitude).ptr - digits);
    // Room for the sign, "0." and up to four zeros before the digits, or ".0" after them.
    char* at = out.room(length + 8);
    char* p = at;
    if (whole < 0) *p++ = '-';
    if (length <= point) {  // 0.05: zeros between the point and the digits
      *p++ = '0';
      *p++ = '.';
      for (std::size_t i = length; i < point; ++i) *p++ = '0';
      for (std::size_t i = 0; i < length; ++i) *p++ = digits[i];
    } else {
      for (std::size_t i = 0; i < length - point; ++i) *p++ = digits[i];
      *p++ = '.';
      if (point == 0) *p++ = '0';
      for (std::size_t i = length - point; i < length; ++i) *p++ = digits[i];
    }
    out.commit(static_cast<std::size_t>(p - at));
    return true;
  }
  return false;
}

// The shortest text that reads back as the same double, as nlohmann writes it (its grisu2
// to_chars, which also appends ".0" to integral values so they stay floats when read back).
void append_double(JsonOut& out, double value) {
  if (append_short_decimal(out, value)) return;
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
