// rudder-analytics core: the smallest value each sized setting takes. Config::validate()
// refuses less, and the JSON settings reader names the same bound in its range message, so
// that -1 and 0 are refused with one sentence ("from 1 to ...") rather than two.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace rudder::core {

inline constexpr std::size_t kMinUploadSize = 1;          // events a batch
inline constexpr std::size_t kMinQueueBytes = 1024;       // max_queue_bytes
inline constexpr std::size_t kMinStorageBytes = 1024;     // max_storage_bytes
inline constexpr std::size_t kMinBatchBytes = 1024;       // max_batch_bytes
inline constexpr std::size_t kMinMessageBytes = 256;      // max_message_bytes
inline constexpr long long kMinTimeoutMs = 1;             // a request's timeout
/// max_retries at most: with back-off up to 30 s an attempt, about eight hours of retries.
inline constexpr int kMaxRetries = 1000;

/// The longest wait a timeout or interval means: a century, which no process outlives.
/// milliseconds::max() reads as "as long as it takes" (a flush) or "never on its own"
/// (upload_interval), but added to a clock's now() it overflows into the past, which made
/// such waits end at once or spin.
inline constexpr std::chrono::milliseconds kLongestWait = std::chrono::hours(24 * 365 * 100);

/// `wait` between zero and kLongestWait.
inline std::chrono::milliseconds capped_wait(std::chrono::milliseconds wait) {
  return std::clamp(wait, std::chrono::milliseconds::zero(), kLongestWait);
}

}  // namespace rudder::core
