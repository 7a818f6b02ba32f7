// rudder-analytics core: what an answer from the data plane means for its batch, and how long
// to wait before trying again.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/random.hpp"
#include "rudder/transport.hpp"

namespace rudder::core {

/// One answer to one request, as the transport saw it (see rudder/transport.hpp).
using Response = HttpResponse;

enum class Verdict {
  delivered,  ///< 2xx: the batch is stored
  retry,      ///< network error, timeout, 408, 429 or 5xx: send the same batch again later
  split,      ///< 413: too large for this data plane; send each half on its own
  fail        ///< any other status, redirects included: retrying cannot help
};

Verdict classify(const Response& response) noexcept;

/// The answer in words for a user: "HTTP 401: invalid write key", "network error: Connection
/// refused", or for a redirect what to change.
std::string describe(const Response& response);

/// Milliseconds the Retry-After value asks for: delay-seconds or an HTTP-date (relative to
/// `now_unix_ms`), never negative, at most `cap_ms`. Nothing when absent or unreadable.
std::optional<std::int64_t> retry_after_ms(std::string_view value, std::int64_t now_unix_ms,
                                           std::int64_t cap_ms) noexcept;

/// Exponential back-off with full jitter: uniform in [0, min(cap, base * 2^(retry-1))] for the
/// `retry`-th retry (1-based). Full jitter spreads many clients' retries after an outage.
std::int64_t backoff_ms(int retry, std::int64_t base_ms, std::int64_t cap_ms, Rng& rng) noexcept;

}  // namespace rudder::core
