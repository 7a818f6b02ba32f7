// rudder-analytics wasm platform: one re-armable timer on the JavaScript event loop, kept by
// the glue (host.armTimer), which can leave it out of what keeps Node's process alive.
// Copyright the rudder-analytics authors. MIT licence.
#include "wasm/timer.hpp"

#include "wasm/host.hpp"

namespace rudder::wasm {

void Timer::arm(double delay_ms, bool keep_alive) {
  armed_ = true;
  host::arm_timer(this, delay_ms < 0 ? 0 : delay_ms, keep_alive);
}

void Timer::cancel() {
  if (armed_) host::cancel_timer(this);
  armed_ = false;
}

void Timer::fired() {
  if (!armed_) return;  // cancelled after the host had queued it
  armed_ = false;
  on_fire_();
}

}  // namespace rudder::wasm
