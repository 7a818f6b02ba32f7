// rudder-analytics core: checks a caller's JSON value before it becomes part of a payload.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/field_error.hpp"

namespace rudder::core {

/// Walks `value` and reports the first string (key or value) that is not valid UTF-8, or the
/// first number that is not finite, naming its path below `field` (e.g. "properties.a[3]").
/// Such values would make the serializer fail or silently write null, so they never pass.
std::optional<FieldError> check_json_values(const nlohmann::json& value, const std::string& field);

}  // namespace rudder::core
