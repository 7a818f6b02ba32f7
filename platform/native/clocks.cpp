// rudder-analytics native platform: the clocks the driver and the client read.
// Copyright the rudder-analytics authors. MIT licence.
#include "native/clocks.hpp"

#include <time.h>

#include <chrono>

namespace rudder::native {

std::int64_t steady_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t coarse_steady_ms() noexcept {
#ifdef CLOCK_MONOTONIC_COARSE
  // Only where steady_clock is CLOCK_MONOTONIC (libstdc++ and libc++ on Linux), whose epoch
  // the coarse clock shares: the kernel's time at its last tick.
  timespec now{};
  if (clock_gettime(CLOCK_MONOTONIC_COARSE, &now) == 0) {
    return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
  }
#endif
  return steady_ms();
}

}  // namespace rudder::native
