// The native clocks: the call's coarse clock never leads the driver's and lags it by no more
// than the kernel's tick, which is what DriverHost::queued_at_ms promises the core.
#include "native/clocks.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace {

using rudder::native::coarse_steady_ms;
using rudder::native::steady_ms;

TEST(Clocks, TheCoarseClockNeverLeadsTheSteadyOneAndLagsItByAtMostATick) {
  // A tick is 1 - 10 ms (HZ 1000 - 100); 20 ms leaves room for a descheduled thread between
  // the two reads on a loaded machine, and still catches a clock of another epoch or unit.
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  int reads = 0;
  while (std::chrono::steady_clock::now() < end) {
    const std::int64_t coarse = coarse_steady_ms();
    const std::int64_t fine = steady_ms();
    ASSERT_LE(coarse, fine) << "after " << reads << " reads";
    ASSERT_GE(coarse, fine - 20) << "after " << reads << " reads";
    ++reads;
  }
  EXPECT_GT(reads, 100);
}

TEST(Clocks, TheCoarseClockMovesOn) {
  const std::int64_t before = coarse_steady_ms();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_GE(coarse_steady_ms() - before, 20);
}

}  // namespace
