// rudder-analytics wasm platform: the JavaScript package's settings, read and checked.
// Copyright the rudder-analytics authors. MIT licence.
#include "wasm/settings.hpp"

#include <cmath>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace rudder::wasm {
namespace {

using nlohmann::json;

// Config::validate() names fields the C++ way; the package's users wrote the JS names.
struct NameMap {
  const char* native;
  const char* js;
};
constexpr NameMap kNames[] = {
    {"write_key", "writeKey"},         {"data_plane_url", "dataPlaneUrl"},
    {"max_queue_size", "maxQueueSize"}, {"upload_size", "uploadSize"},
    {"timeout", "timeoutMs"},           {"upload_interval", "uploadIntervalMs"},
    {"max_retries", "maxRetries"},      {"max_batch_bytes", "maxBatchBytes"},
    {"max_message_bytes", "maxMessageBytes"}, {"channel", "channel"},
};

std::string renamed(std::string message) {
  for (const auto& n : kNames) {
    const std::string native = std::string(n.native) + ":";
    if (message.rfind(native, 0) == 0) {
      return n.js + message.substr(native.size() - 1);
    }
  }
  return message;
}

bool is_count_setting(std::string_view js_name) {
  return js_name != "writeKey" && js_name != "dataPlaneUrl" && js_name != "channel";
}

// A whole, non-negative number that fits the setting. JavaScript has only doubles.
std::optional<SettingError> read_count(const json& value, const char* name, double max,
                                       double& out) {
  if (!value.is_number()) return SettingError{false, std::string(name) + ": must be a number"};
  const double d = value.get<double>();
  if (!std::isfinite(d) || d < 0 || d != std::floor(d) || d > max) {
    return SettingError{true, std::string(name) + ": must be a whole number from 0 to " +
                                  std::to_string(static_cast<std::int64_t>(max))};
  }
  out = d;
  return std::nullopt;
}

}  // namespace

std::optional<SettingError> read_settings(std::string_view json_text, WasmSettings& out) {
  const json input = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!input.is_object()) return SettingError{false, "settings: must be an object"};
  Config& c = out.config;
  constexpr double kMaxCount = 9'007'199'254'740'991.0;  // Number.MAX_SAFE_INTEGER
  constexpr double kMaxMs = 2'147'483'647.0;             // setTimeout's longest delay
  for (const auto& [key, value] : input.items()) {
    double n = 0;
    std::optional<SettingError> problem;
    if (key == "writeKey" || key == "dataPlaneUrl" || key == "channel") {
      if (!value.is_string()) return SettingError{false, key + ": must be a string"};
      std::string& field = key == "writeKey" ? c.write_key
                           : key == "dataPlaneUrl" ? c.data_plane_url
                                                   : c.channel;
      field = value.get<std::string>();
    } else if (key == "gzip" || key == "debug" || key == "send") {
      if (!value.is_boolean()) return SettingError{false, key + ": must be true or false"};
      (key == "gzip" ? c.gzip : key == "debug" ? c.debug : c.send) = value.get<bool>();
    } else if (key == "maxQueueSize" || key == "uploadSize" || key == "maxMessageBytes" ||
               key == "maxBatchBytes") {
      if ((problem = read_count(value, key.c_str(), kMaxCount, n))) return problem;
      const auto count = static_cast<std::size_t>(n);
      (key == "maxQueueSize"    ? c.max_queue_size
       : key == "uploadSize"    ? c.upload_size
       : key == "maxMessageBytes" ? c.max_message_bytes
                                  : c.max_batch_bytes) = count;
    } else if (key == "maxRetries") {
      if ((problem = read_count(value, key.c_str(), 1000, n))) return problem;
      c.max_retries = static_cast<int>(n);
    } else if (key == "timeoutMs" || key == "uploadIntervalMs") {
      if ((problem = read_count(value, key.c_str(), kMaxMs, n))) return problem;
      (key == "timeoutMs" ? c.timeout : c.upload_interval) =
          std::chrono::milliseconds(static_cast<std::int64_t>(n));
    } else {
      return SettingError{false, key + ": is not a setting (check its spelling)"};
    }
  }
  if (std::string problem = c.validate(); !problem.empty()) {
    std::string message = renamed(std::move(problem));
    const std::string name = message.substr(0, message.find(':'));
    return SettingError{is_count_setting(name), std::move(message)};
  }
  return std::nullopt;
}

}  // namespace rudder::wasm
