// rudder-analytics native platform: the clocks the driver and the client read.
// Copyright the rudder-analytics authors. MIT licence.
//
// Threading: any thread. Errors: none; they cannot fail.
#pragma once

#include <cstdint>

namespace rudder::native {

/// Milliseconds of std::chrono::steady_clock (CLOCK_MONOTONIC on Linux): deadlines, waits.
std::int64_t steady_ms() noexcept;

/// The same clock at the kernel's tick (CLOCK_MONOTONIC_COARSE where there is one): it lags
/// steady_ms() by at most a tick (1 - 4 ms) and never leads it. Read without the time-stamp
/// counter, it costs a call about 4 ns against 18 on the project's test VM, so each call
/// stamps its event with it (DriverHost::queued_at_ms). Elsewhere: steady_ms().
std::int64_t coarse_steady_ms() noexcept;

}  // namespace rudder::native
