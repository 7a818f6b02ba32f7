// rudder-analytics core: serializes a caller's JSON value, checking it on the way.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "core/json_out.hpp"

namespace rudder::core {

/// Appends `value` to `out` as compact JSON, byte for byte what nlohmann's dump() writes,
/// in the same pass that checks it: returns false (with `out` partly written) at the first
/// string or key that is not valid UTF-8, number that is not finite, binary value, or array
/// or object nested deeper than kMaxJsonDepth (json_check.hpp).
/// check_json_values() then names the culprit; this pass only has to be fast, since it runs
/// on the caller's thread for every event.
/// `depth` is the nesting level of `value` itself, as for check_json_values().
bool write_checked_json(const nlohmann::json& value, JsonOut& out, std::size_t depth = 1);
bool write_checked_json(const nlohmann::json& value, std::string& out, std::size_t depth = 1);

}  // namespace rudder::core
