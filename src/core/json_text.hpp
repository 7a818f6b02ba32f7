// rudder-analytics core: a caller's JSON value given as text, checked and copied without
// building a tree. The JavaScript package hands over each call as the text JSON.stringify
// wrote; parsing that into a tree only to write it out again cost most of a call's time.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/field_error.hpp"
#include "core/json_out.hpp"

namespace rudder::core {

enum class JsonKind { object, array, string, number, boolean, null, invalid };

/// The kind of the value `text` holds, judged by its first character after white space.
JsonKind json_text_kind(std::string_view text) noexcept;

/// As json_text_kind(), but JsonKind::invalid for text that is not one well-formed JSON value
/// whatever it starts with ("nope" is no null, "[1," no array): for refusals that tell text
/// that is not JSON from a value of another kind than asked for.
JsonKind json_value_kind(std::string_view text);

/// "object", "array", ...: the names nlohmann::json::type_name() uses, so both input forms
/// word their errors alike.
const char* json_kind_name(JsonKind kind) noexcept;

/// Appends the JSON value `text` to `out` without its white space, checking it on the way by
/// the same rules as write_checked_json() for a tree: well-formed JSON; strings and keys valid
/// UTF-8; numbers that a double can hold (not overflowing to infinity); arrays and objects
/// nested at most kMaxJsonDepth levels, `depth` being the level of `text` itself. Returns false
/// at the first problem (with `out` partly written); check_json_text() then names it. Escapes
/// and number spellings are copied as they are, but for half a surrogate pair (`\ud83d` alone,
/// what JSON.stringify writes for text cut inside an emoji, which a tree cannot even hold):
/// written `\ufffd`, the replacement character, rather than refused.
bool write_checked_json_text(std::string_view text, JsonOut& out, std::size_t depth = 1);
bool write_checked_json_text(std::string_view text, std::string& out, std::size_t depth = 1);

/// The first problem write_checked_json_text() would stop at, named by its path below `field`
/// (e.g. "properties.items[2].price"), worded as check_json_values() words it.
std::optional<FieldError> check_json_text(std::string_view text, const std::string& field,
                                          std::size_t depth = 1);

/// One member of an object given as text: the key decoded, the value as it stands.
struct JsonTextMember {
  std::string key;
  std::string_view value;
};

/// The members of the object `text`, in order. Values are only delimited here, not checked
/// (write_checked_json_text checks them when they are written). False when `text` is not an
/// object, or its outline is not well-formed JSON.
bool json_text_members(std::string_view text, std::vector<JsonTextMember>& out);

/// Decodes the JSON string token `token` (quotes included) into UTF-8 text. False when it is
/// malformed. Half a surrogate pair (`\ud83d` alone, which no UTF-8 can carry) becomes U+FFFD,
/// the replacement character, as write_checked_json_text() writes it.
bool decode_json_string(std::string_view token, std::string& out);

/// The integer a JSON number token spells, if it is one (no fraction or exponent) and fits.
std::optional<long long> json_text_integer(std::string_view token) noexcept;

/// The value of a JSON number token, near enough for milliseconds (17 significant digits);
/// nothing when the token is not a number.
std::optional<double> json_text_number(std::string_view token) noexcept;

}  // namespace rudder::core
