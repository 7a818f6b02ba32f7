// rudder-analytics core: settings given as JSON text, read into a Config and checked.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/settings_json.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/config_limits.hpp"
#include "core/json_text.hpp"
#include "core/setting_names.hpp"

namespace rudder::core {
namespace {

using Kind = core::FieldError::Kind;

// The settings that take text, and the Config field each sets.
struct TextSetting {
  std::string_view name;
  std::string Config::*field;
};
constexpr TextSetting kTextSettings[] = {
    {"writeKey", &Config::write_key}, {"dataPlaneUrl", &Config::data_plane_url},
    {"channel", &Config::channel},    {"storageDir", &Config::storage_dir},
    {"proxy", &Config::proxy},        {"caFile", &Config::ca_file},
    {"caPath", &Config::ca_path},
};

// The settings that take a count, the Config field each sets and its smallest value.
struct CountSetting {
  std::string_view name;
  std::size_t Config::*field;
  std::size_t min;
};
constexpr CountSetting kCountSettings[] = {
    {"maxQueueSize", &Config::max_queue_size, 0},  // 0: no bound
    {"uploadSize", &Config::upload_size, kMinUploadSize},
    {"maxMessageBytes", &Config::max_message_bytes, kMinMessageBytes},
    {"maxBatchBytes", &Config::max_batch_bytes, kMinBatchBytes},
    {"maxQueueBytes", &Config::max_queue_bytes, kMinQueueBytes},
    {"maxStorageBytes", &Config::max_storage_bytes, kMinStorageBytes},
};

// The settings that take milliseconds, the Config field each sets and its smallest value.
struct MsSetting {
  std::string_view name;
  std::chrono::milliseconds Config::*field;
  long long min;
};
constexpr MsSetting kMsSettings[] = {
    {"timeoutMs", &Config::timeout, kMinTimeoutMs},
    {"uploadIntervalMs", &Config::upload_interval, 0},
    {"shutdownTimeoutMs", &Config::shutdown_timeout, 0},
    {"storageSyncIntervalMs", &Config::storage_sync_interval, 0},
};

// The entry of `table` for the setting `name`, or null.
template <typename Setting, std::size_t N>
const Setting* find_setting(const Setting (&table)[N], std::string_view name) {
  for (const Setting& s : table) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// Settings only the native library has: files, libcurl, threads.
bool is_native_setting(std::string_view name) {
  return name == "storageDir" || name == "storageSyncIntervalMs" || name == "proxy" ||
         name == "caFile" || name == "caPath" || name == "syncMode" || name == "shutdownTimeoutMs";
}

// A whole number from min to max. JavaScript has only doubles; what JSON.stringify writes for
// a whole number is its integer digits.
std::optional<SettingError> read_count(std::string_view value, const std::string& name,
                                       long long min, long long max, long long& out) {
  if (json_text_kind(value) != JsonKind::number) {
    return SettingError{Kind::wrong_type, name + ": must be a number"};
  }
  const std::optional<long long> n = json_text_integer(value);
  if (!n || *n < min || *n > max) {
    return SettingError{Kind::out_of_range, name + ": must be a whole number from " + std::to_string(min) +
                                                " to " + std::to_string(max)};
  }
  out = *n;
  return std::nullopt;
}

}  // namespace

std::optional<SettingError> read_settings(std::string_view json_text, SettingsFor reader, Config& c) {
  std::vector<JsonTextMember> members;
  if (!json_text_members(json_text, members)) {
    // Text that starts an object but is no well-formed one (cut short, a missing comma) is
    // told apart from a value of another type.
    const JsonKind kind = json_value_kind(json_text);
    if (kind == JsonKind::object || kind == JsonKind::invalid) {
      return SettingError{Kind::invalid_value, "settings: is not valid JSON"};
    }
    return SettingError{Kind::wrong_type, std::string("settings: must be an object, not ") + json_kind_name(kind)};
  }
  constexpr long long kMaxCount = 9'007'199'254'740'991LL;  // Number.MAX_SAFE_INTEGER
  constexpr long long kMaxMs = 2'147'483'647LL;             // setTimeout's longest delay
  for (const auto& [key, value] : members) {
    long long n = 0;
    std::optional<SettingError> problem;
    const JsonKind kind = json_text_kind(value);
    if (reader == SettingsFor::wasm && is_native_setting(key)) {
      return SettingError{Kind::invalid_value, key + ": is a setting of the native library, not of this package"};
    }
    if (const TextSetting* text_field = find_setting(kTextSettings, key)) {
      std::string text;
      if (kind != JsonKind::string || !decode_json_string(value, text)) {
        return SettingError{Kind::wrong_type, key + ": must be a string"};
      }
      c.*(text_field->field) = std::move(text);
    } else if (key == "gzip" || key == "debug" || key == "send" || key == "syncMode") {
      if (kind != JsonKind::boolean) return SettingError{Kind::wrong_type, key + ": must be true or false"};
      (key == "gzip" ? c.gzip : key == "debug" ? c.debug : key == "send" ? c.send : c.sync_mode) = value == "true";
    } else if (const CountSetting* count = find_setting(kCountSettings, key)) {
      if ((problem = read_count(value, key, static_cast<long long>(count->min), kMaxCount, n))) return problem;
      c.*(count->field) = static_cast<std::size_t>(n);
    } else if (key == "maxRetries") {
      if ((problem = read_count(value, key, 0, kMaxRetries, n))) return problem;
      c.max_retries = static_cast<int>(n);
    } else if (const MsSetting* ms = find_setting(kMsSettings, key)) {
      if ((problem = read_count(value, key, ms->min, kMaxMs, n))) return problem;
      c.*(ms->field) = std::chrono::milliseconds(n);
    } else {
      // The C++ spelling of a setting (write_key): say how this API spells it. (before_send
      // is a function, which JSON settings cannot carry.)
      const std::string_view spelled = setting_name(key, Naming::js);
      if (spelled != key && key != "before_send" &&
          !(reader == SettingsFor::wasm && is_native_setting(spelled))) {
        return SettingError{Kind::invalid_value,
                            key + ": is not a setting (here it is spelled " + std::string(spelled) + ")"};
      }
      const std::string suggestion = suggest_setting(key, reader == SettingsFor::wasm);
      return SettingError{Kind::invalid_value,
                          key + ": is not a setting (" + (suggestion.empty() ? "check its spelling" : suggestion) + ")"};
    }
  }
  if (std::string problem = c.validate(); !problem.empty()) {
    std::string message = with_setting_names(std::move(problem), Naming::js);
    const std::string name = message.substr(0, message.find(':'));
    const Kind kind = message.find(": is required") != std::string::npos ? Kind::missing
                      : find_setting(kTextSettings, name) != nullptr   ? Kind::invalid_value
                                                                       : Kind::out_of_range;
    return SettingError{kind, std::move(message)};
  }
  return std::nullopt;
}

}  // namespace rudder::core
