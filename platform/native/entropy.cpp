// rudder-analytics native platform: seeds for the core's random generators, fork-aware.
// Copyright the rudder-analytics authors. MIT licence.
#include "native/entropy.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>

namespace rudder::native {
namespace {

std::atomic<std::uint64_t> g_fork_generation{0};

}  // namespace

std::uint64_t fresh_seed() {
  std::uint64_t seed = 0;
  try {
    std::random_device device;
    seed = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  } catch (...) {
    // No entropy device: the pid, time and an address still make seeds differ per process.
  }
  const auto ticks = std::chrono::high_resolution_clock::now().time_since_epoch().count();
  seed ^= static_cast<std::uint64_t>(ticks) * 0x9E3779B97F4A7C15ULL;
  seed ^= static_cast<std::uint64_t>(::getpid()) << 40;
  seed ^= reinterpret_cast<std::uintptr_t>(&seed);
  return seed;
}

core::Rng& thread_rng() {
  thread_local core::Rng rng;
  thread_local std::uint64_t generation = ~std::uint64_t{0};
  const std::uint64_t now = g_fork_generation.load(std::memory_order_relaxed);
  if (generation != now) {
    rng.reseed(fresh_seed());
    generation = now;
  }
  return rng;
}

void note_fork_in_child() noexcept { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

}  // namespace rudder::native
