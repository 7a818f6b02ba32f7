// rudder-analytics wasm platform: one re-armable timer on the JavaScript event loop.
// Copyright the rudder-analytics authors. MIT licence.
#include "wasm/timer.hpp"

#include <emscripten/eventloop.h>

namespace rudder::wasm {

void Timer::arm(double delay_ms) {
  cancel();
  id_ = emscripten_set_timeout(&Timer::fire, delay_ms < 0 ? 0 : delay_ms, this);
}

void Timer::cancel() {
  if (id_ != 0) emscripten_clear_timeout(id_);
  id_ = 0;
}

void Timer::fire(void* self) {
  auto* timer = static_cast<Timer*>(self);
  timer->id_ = 0;
  timer->on_fire_();
}

}  // namespace rudder::wasm
