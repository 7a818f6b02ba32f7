// rudder-analytics core: a small, fast pseudo-random generator and UUID v4 formatting.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstdint>
#include <string>

namespace rudder::core {

/// xoshiro256** seeded through splitmix64. Not cryptographic: it makes messageIds unique and
/// spreads retry jitter. The core never seeds it from the system (no I/O in the core): the
/// platform does, from its entropy source, and again in a forked child so parent and child
/// never produce the same ids.
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) noexcept { reseed(seed); }
  void reseed(std::uint64_t seed) noexcept;
  std::uint64_t next() noexcept;
  /// Uniform in [0, bound]; bound 0 gives 0.
  std::uint64_t up_to(std::uint64_t bound) noexcept;

 private:
  std::uint64_t s_[4];
};

/// Length of "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
inline constexpr std::size_t kUuidLength = 36;

/// Writes a random (version 4, RFC 4122 variant) UUID in lower-case hex into `out`, which
/// must hold kUuidLength chars.
void write_uuid_v4(Rng& rng, char* out) noexcept;

}  // namespace rudder::core
