// rudder-analytics core: checks a caller's JSON value before it becomes part of a payload.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/field_error.hpp"

namespace rudder::core {

/// Deepest nesting of arrays and objects accepted inside one caller field (the field's own
/// object is level 1). Values are written recursively on the caller's thread, whose stack may
/// be small; real events nest a handful of levels, so the limit only stops a runaway value
/// from overflowing the stack and taking the process, and everything queued, with it.
inline constexpr std::size_t kMaxJsonDepth = 256;

/// Walks `value` and reports the first string (key or value) that is not valid UTF-8, or the
/// first number that is not finite, or the first array or object nested deeper than
/// kMaxJsonDepth, naming its path below `field` (e.g. "properties.a[3]").
/// Such values would make the serializer fail or silently write null, so they never pass.
/// `depth` is the nesting level of `value` itself (more than 1 for a value taken from inside
/// a caller's object).
std::optional<FieldError> check_json_values(const nlohmann::json& value, const std::string& field,
                                            std::size_t depth = 1);

}  // namespace rudder::core
