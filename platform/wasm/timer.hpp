// rudder-analytics wasm platform: one re-armable timer on the JavaScript event loop.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <functional>

namespace rudder::wasm {

/// A setTimeout that the owner re-arms or cancels; at most one is pending. Nothing spins:
/// between deadlines the module does not run at all. A pending timer keeps Node's process
/// alive, which is what lets queued events go out before a script's natural exit.
/// Single-threaded, like everything in the module. Must outlive its pending callback, or be
/// cancelled first (the destructor cancels).
class Timer {
 public:
  explicit Timer(std::function<void()> on_fire) : on_fire_(std::move(on_fire)) {}
  ~Timer() { cancel(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  /// Fires on_fire after `delay_ms` (0: on a later task, never synchronously), replacing any
  /// pending deadline. `keep_alive` false: the timer does not keep Node's process alive.
  void arm(double delay_ms, bool keep_alive = true);
  void cancel();
  bool armed() const { return armed_; }
  /// The host's call when the time came (rudder_timer_fired).
  void fired();

 private:
  std::function<void()> on_fire_;
  bool armed_ = false;
};

}  // namespace rudder::wasm
