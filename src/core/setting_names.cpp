// rudder-analytics core: the one table of setting names in both spellings.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/setting_names.hpp"

#include "core/text.hpp"

namespace rudder::core {
namespace {

struct Names {
  std::string_view cpp;
  std::string_view js;
};
// Durations are milliseconds in JavaScript, and say so in their names.
constexpr Names kNames[] = {
    {"write_key", "writeKey"},
    {"data_plane_url", "dataPlaneUrl"},
    {"max_queue_size", "maxQueueSize"},
    {"max_queue_bytes", "maxQueueBytes"},
    {"max_storage_bytes", "maxStorageBytes"},
    {"upload_size", "uploadSize"},
    {"upload_interval", "uploadIntervalMs"},
    {"timeout", "timeoutMs"},
    {"max_retries", "maxRetries"},
    {"max_batch_bytes", "maxBatchBytes"},
    {"max_message_bytes", "maxMessageBytes"},
    {"shutdown_timeout", "shutdownTimeoutMs"},
    {"channel", "channel"},
    {"gzip", "gzip"},
    {"debug", "debug"},
    {"send", "send"},
    {"storage_dir", "storageDir"},
    {"storage_sync_interval", "storageSyncIntervalMs"},
    {"before_send", "plugins"},
    {"proxy", "proxy"},
    {"ca_file", "caFile"},
    {"ca_path", "caPath"},
    {"sync_mode", "syncMode"},
};

// Settings the JavaScript package reads itself (js/src/index.mjs), before the core sees the
// rest: known here only to say how they are spelled.
constexpr std::string_view kPackageOptions[] = {
    "onError", "logger", "locateFile", "wasmBinary", "wasmModule", "beaconOnUnload", "storage",
    "sessionTimeoutMs",
};

// The names users bring from the SDKs they move from (Segment's analytics-node and
// analytics-next, RudderStack's rudder-sdk-node and analytics-js), for settings this API has
// under another name.
struct PeerName {
  std::string_view peer;
  std::string_view here;
};
constexpr PeerName kPeerNames[] = {
    {"flushAt", "uploadSize"},
    {"maxEventsInBatch", "uploadSize"},
    {"flushInterval", "uploadIntervalMs"},
    {"host", "dataPlaneUrl"},
    {"httpRequestTimeout", "timeoutMs"},
    {"maxInternalQueueSize", "maxQueueSize"},
    {"enable", "send"},
    {"disable", "send: false"},
    {"beforeSend", "plugins"},
};

}  // namespace

std::string suggest_setting(std::string_view name, bool package_options) {
  for (const PeerName& p : kPeerNames) {
    if (p.peer != name) continue;
    // The native readers (the C API's JSON settings, the CLI) have no plugins: a function
    // cannot be written in JSON.
    if (p.here == "plugins" && !package_options) {
      return "another SDK's name: a hook, which JSON settings cannot carry (C++: Config::before_send)";
    }
    return std::string("another SDK's name: here it is ") + std::string(p.here);
  }
  const auto spelled = [name](std::string_view ours) {
    return ours != name && equal_ignoring_ascii_case(ours, name) ? "here it is spelled " + std::string(ours)
                                                          : std::string();
  };
  for (const Names& n : kNames) {
    if (std::string found = spelled(n.js); !found.empty()) return found;
  }
  if (package_options) {
    for (const std::string_view option : kPackageOptions) {
      if (std::string found = spelled(option); !found.empty()) return found;
    }
  }
  return {};
}

std::string_view setting_name(std::string_view cpp_name, Naming naming) noexcept {
  if (naming == Naming::cpp) return cpp_name;
  for (const Names& n : kNames) {
    if (n.cpp == cpp_name) return n.js;
  }
  return cpp_name;
}

std::string with_setting_names(std::string message, Naming naming) {
  const std::size_t colon = message.find(':');
  if (naming == Naming::cpp || colon == std::string::npos) return message;
  const std::string_view name = setting_name(std::string_view(message).substr(0, colon), naming);
  return std::string(name) + message.substr(colon);
}

}  // namespace rudder::core
