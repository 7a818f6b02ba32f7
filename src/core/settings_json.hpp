// rudder-analytics core: settings given as JSON text, read into a Config and checked. The one
// reader behind the JavaScript package's settings and the C API's rudder_client_new().
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/field_error.hpp"
#include "rudder/analytics.hpp"

namespace rudder::core {

/// A setting refused: what is wrong, and "settingName: problem" with the camelCase name.
struct SettingError {
  FieldError::Kind kind;  ///< out_of_range becomes a RangeError in JavaScript, the rest TypeErrors
  std::string message;
};

/// Who reads: the WebAssembly module has no files, threads or libcurl of its own, so the
/// settings for those are refused there as unknown rather than silently ignored.
enum class SettingsFor : unsigned char { wasm, native };

/// Reads a JSON object of settings with the JavaScript names (core/setting_names.cpp):
/// writeKey, dataPlaneUrl, maxQueueSize, maxQueueBytes, maxStorageBytes, uploadSize,
/// uploadIntervalMs, timeoutMs, maxRetries, gzip, maxMessageBytes, maxBatchBytes, channel,
/// debug, send; natively also storageDir, storageSyncIntervalMs, proxy, caFile, caPath,
/// syncMode and shutdownTimeoutMs. Durations are milliseconds. Unknown names are refused so
/// typos surface. The checks are Config::validate()'s; messages use the camelCase names.
/// `out` starts as the caller's Config (its defaults, or callbacks already set).
std::optional<SettingError> read_settings(std::string_view json_text, SettingsFor reader, Config& out);

}  // namespace rudder::core
