// rudder-analytics native platform: the client's log lines.
// Copyright the rudder-analytics authors. MIT licence.
#include "native/log.hpp"

#include <cstdio>

namespace rudder::native {

void Log::operator()(LogLevel level, std::string_view message) const {
  if (level == LogLevel::debug && !debug_) return;
  if (logger_) {
    logger_(level, message);
    return;
  }
  if (level == LogLevel::info && !debug_) return;
  static constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
  // One fprintf per line keeps lines from different threads whole.
  std::fprintf(stderr, "[rudder-analytics] %s: %.*s\n", kNames[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
}

}  // namespace rudder::native
