// rudder-analytics wasm platform: the JavaScript package's settings, read and checked.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/field_error.hpp"
#include "rudder/analytics.hpp"

namespace rudder::wasm {

/// A setting the package refuses. `range` marks a value of the right type outside what is
/// allowed (the glue throws RangeError), otherwise the glue throws TypeError.
struct SettingError {
  core::FieldError::Kind kind;  ///< out_of_range becomes a RangeError, the rest TypeErrors
  std::string message;          ///< "settingName: problem", with the JavaScript (camelCase) name
};

struct WasmSettings {
  Config config;  ///< the native Config's fields; durations converted from milliseconds
};

/// Reads the settings object the glue passes as JSON text: {writeKey, dataPlaneUrl,
/// maxQueueSize, uploadSize, uploadIntervalMs, timeoutMs, maxRetries, gzip, maxMessageBytes,
/// maxBatchBytes, channel, debug, send}. Unknown names are refused so typos surface. The
/// checks are the native Config::validate(); messages use the camelCase names.
std::optional<SettingError> read_settings(std::string_view json_text, WasmSettings& out);

}  // namespace rudder::wasm
