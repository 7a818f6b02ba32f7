// rudder-analytics native platform: the client's log lines.
// Copyright the rudder-analytics authors. MIT licence.
#include "native/log.hpp"

#include <cstdio>
#include <exception>
#include <string>

namespace rudder::native {
namespace {

void to_stderr(LogLevel level, std::string_view message, std::string_view note = "") {
  static constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
  // One fprintf per line keeps lines from different threads whole.
  std::fprintf(stderr, "[rudder-analytics] %s: %.*s%.*s\n", kNames[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data(), static_cast<int>(note.size()),
               note.data());
}

}  // namespace

void Log::operator()(LogLevel level, std::string_view message) const {
  if (level == LogLevel::debug && !debug_) return;
  if (logger_) {
    // Lines are logged on the worker thread and inside calls that never throw: an exception
    // escaping here would end the process (std::terminate). The line goes to stderr instead.
    std::string why;
    try {
      logger_(level, message);
      return;
    } catch (const std::exception& e) {
      why = std::string(" (Config::logger threw: ") + e.what() + ")";
    } catch (...) {
      why = " (Config::logger threw)";
    }
    to_stderr(level, message, why);
    return;
  }
  if (level == LogLevel::info && !debug_) return;
  to_stderr(level, message);
}

}  // namespace rudder::native
