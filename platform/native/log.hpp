// rudder-analytics native platform: the client's log lines.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <string_view>

#include "rudder/analytics.hpp"

namespace rudder::native {

/// Routes lines to the user's Logger, or to stderr. Debug lines go out only when `debug`.
class Log {
 public:
  Log(Logger logger, bool debug) : logger_(std::move(logger)), debug_(debug) {}
  bool debug_enabled() const noexcept { return debug_; }
  void operator()(LogLevel level, std::string_view message) const;

 private:
  Logger logger_;
  bool debug_;
};

}  // namespace rudder::native
