// rudder-analytics native platform: seeds for the core's random generators, fork-aware.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstdint>

#include "core/random.hpp"

namespace rudder::native {

/// 64 bits from the operating system's entropy source, mixed with the pid and the time.
std::uint64_t fresh_seed();

/// This thread's generator for messageIds. Reseeded on first use and again after a fork(),
/// so a child never repeats the ids its parent generates.
core::Rng& thread_rng();

/// Called in a forked child (see fork_guard.cpp): makes every thread_rng() reseed.
void note_fork_in_child() noexcept;

}  // namespace rudder::native
