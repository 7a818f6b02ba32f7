// rudder-analytics wasm platform: the JavaScript package's settings, read and checked.
// Copyright the rudder-analytics authors. MIT licence.
#include "wasm/settings.hpp"

#include <cstdint>
#include <vector>

#include "core/json_text.hpp"
#include "core/setting_names.hpp"

namespace rudder::wasm {
namespace {

using core::JsonKind;
using Kind = core::FieldError::Kind;

bool is_count_setting(std::string_view js_name) {
  return js_name != "writeKey" && js_name != "dataPlaneUrl" && js_name != "channel";
}

// A whole, non-negative number that fits the setting. JavaScript has only doubles; what
// JSON.stringify writes for a whole number is its integer digits.
std::optional<SettingError> read_count(std::string_view value, const std::string& name,
                                       long long max, long long& out) {
  if (core::json_text_kind(value) != JsonKind::number) {
    return SettingError{Kind::wrong_type, name + ": must be a number"};
  }
  const std::optional<long long> n = core::json_text_integer(value);
  if (!n || *n < 0 || *n > max) {
    return SettingError{Kind::out_of_range, name + ": must be a whole number from 0 to " + std::to_string(max)};
  }
  out = *n;
  return std::nullopt;
}

}  // namespace

std::optional<SettingError> read_settings(std::string_view json_text, WasmSettings& out) {
  std::vector<core::JsonTextMember> members;
  if (!core::json_text_members(json_text, members)) {
    return SettingError{Kind::wrong_type, "settings: must be an object"};
  }
  Config& c = out.config;
  constexpr long long kMaxCount = 9'007'199'254'740'991LL;  // Number.MAX_SAFE_INTEGER
  constexpr long long kMaxMs = 2'147'483'647LL;             // setTimeout's longest delay
  for (const auto& [key, value] : members) {
    long long n = 0;
    std::optional<SettingError> problem;
    const JsonKind kind = core::json_text_kind(value);
    if (key == "writeKey" || key == "dataPlaneUrl" || key == "channel") {
      std::string text;
      if (kind != JsonKind::string || !core::decode_json_string(value, text)) {
        return SettingError{Kind::wrong_type, key + ": must be a string"};
      }
      (key == "writeKey" ? c.write_key : key == "dataPlaneUrl" ? c.data_plane_url : c.channel) =
          std::move(text);
    } else if (key == "gzip" || key == "debug" || key == "send") {
      if (kind != JsonKind::boolean) return SettingError{Kind::wrong_type, key + ": must be true or false"};
      (key == "gzip" ? c.gzip : key == "debug" ? c.debug : c.send) = value == "true";
    } else if (key == "maxQueueSize" || key == "uploadSize" || key == "maxMessageBytes" ||
               key == "maxBatchBytes" || key == "maxQueueBytes" || key == "maxStorageBytes") {
      if ((problem = read_count(value, key, kMaxCount, n))) return problem;
      (key == "maxQueueSize"      ? c.max_queue_size
       : key == "uploadSize"      ? c.upload_size
       : key == "maxMessageBytes" ? c.max_message_bytes
       : key == "maxQueueBytes"   ? c.max_queue_bytes
       : key == "maxStorageBytes" ? c.max_storage_bytes
                                  : c.max_batch_bytes) = static_cast<std::size_t>(n);
    } else if (key == "maxRetries") {
      if ((problem = read_count(value, key, 1000, n))) return problem;
      c.max_retries = static_cast<int>(n);
    } else if (key == "timeoutMs" || key == "uploadIntervalMs") {
      if ((problem = read_count(value, key, kMaxMs, n))) return problem;
      (key == "timeoutMs" ? c.timeout : c.upload_interval) = std::chrono::milliseconds(n);
    } else {
      return SettingError{Kind::invalid_value, key + ": is not a setting (check its spelling)"};
    }
  }
  if (std::string problem = c.validate(); !problem.empty()) {
    std::string message = core::with_setting_names(std::move(problem), core::Naming::js);
    const std::string name = message.substr(0, message.find(':'));
    const Kind kind = message.find(": is required") != std::string::npos ? Kind::missing
                      : is_count_setting(name)                         ? Kind::out_of_range
                                                                       : Kind::invalid_value;
    return SettingError{kind, std::move(message)};
  }
  return std::nullopt;
}

}  // namespace rudder::wasm
