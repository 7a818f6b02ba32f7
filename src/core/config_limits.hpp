// rudder-analytics core: the smallest value each sized setting takes. Config::validate()
// refuses less, and the JSON settings reader names the same bound in its range message, so
// that -1 and 0 are refused with one sentence ("from 1 to ...") rather than two.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>

namespace rudder::core {

inline constexpr std::size_t kMinUploadSize = 1;          // events a batch
inline constexpr std::size_t kMinQueueBytes = 1024;       // max_queue_bytes
inline constexpr std::size_t kMinStorageBytes = 1024;     // max_storage_bytes
inline constexpr std::size_t kMinBatchBytes = 1024;       // max_batch_bytes
inline constexpr std::size_t kMinMessageBytes = 256;      // max_message_bytes
inline constexpr long long kMinTimeoutMs = 1;             // a request's timeout

}  // namespace rudder::core
