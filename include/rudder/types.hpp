// rudder-analytics: value types shared by the public API and the portable core.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace rudder {

/// What a call (identify, track, ...) did with the message it was given.
enum class Status : std::uint8_t {
  accepted,       ///< validated, built and queued (or, with send=false, built only)
  invalid,        ///< the input broke a rule; `Result::error` names the field; nothing queued
  queue_full,     ///< valid, but max_queue_size events were already waiting; dropped, counted
  shut_down,      ///< the client was shut down; nothing queued, counted as dropped
  not_initialized ///< a free function was called before rudder::init()
};

/// Returned by every call. Cheap to ignore, but a dropped event is always visible here,
/// in Stats and (for drops after acceptance) through Config::on_error.
struct Result {
  Status status = Status::accepted;
  /// Empty when accepted; otherwise one sentence that starts with the offending field,
  /// e.g. "properties.price: number is not finite".
  std::string error;
  /// The message's messageId (given or generated) when accepted; empty otherwise.
  std::string message_id;

  bool ok() const noexcept { return status == Status::accepted; }
  explicit operator bool() const noexcept { return ok(); }
};

/// Why accepted events were not delivered, or why a call's event was refused.
enum class DropReason : std::uint8_t {
  invalid,       ///< refused by local validation (never queued)
  queue_full,    ///< refused because the queue was full
  shut_down,     ///< refused because the client was shut down
  unsent_at_shutdown, ///< queued, but shutdown's timeout passed before delivery
  count_         ///< number of reasons; not a reason
};

constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::count_);

const char* to_string(DropReason reason) noexcept;
const char* to_string(Status status) noexcept;

/// Counters since the client started (in a forked child: since the fork).
/// Every event a call hands over ends in exactly one of: dropped[invalid|queue_full|shut_down]
/// (refused), or queued; and every queued event ends in exactly one of delivered, failed,
/// beaconed, dropped[unsent_at_shutdown], or is still pending.
struct Stats {
  std::uint64_t queued = 0;     ///< accepted into the queue
  std::uint64_t delivered = 0;  ///< acknowledged with 2xx by the data plane
  std::uint64_t failed = 0;     ///< given up on (final HTTP error or retries exhausted)
  std::uint64_t retried = 0;    ///< batch send attempts that were retried (one per retry)
  std::uint64_t pending = 0;    ///< queued or in flight right now
  /// Handed to the browser's navigator.sendBeacon at page unload (WebAssembly package only):
  /// the browser sends them after the page is gone, so no answer can be read.
  std::uint64_t beaconed = 0;
  std::array<std::uint64_t, kDropReasonCount> dropped{};  ///< indexed by DropReason

  std::uint64_t dropped_for(DropReason r) const noexcept {
    return dropped[static_cast<std::size_t>(r)];
  }
  std::uint64_t dropped_total() const noexcept;
};

/// Why a batch (or a remainder at shutdown) was given up on. Passed to Config::on_error.
struct DeliveryError {
  enum class Kind : std::uint8_t {
    http_status,       ///< the data plane answered a final status (4xx other than 429, or
                       ///< a retryable status after max_retries)
    network,           ///< connection, TLS or timeout failure after max_retries
    unsent_at_shutdown ///< shutdown's timeout passed before these events could be sent
  };
  Kind kind = Kind::http_status;
  int status = 0;        ///< HTTP status, 0 when none was received
  std::string body;      ///< the data plane's answer body (e.g. "invalid write key\n")
  std::string message;   ///< a readable summary, e.g. "HTTP 401: invalid write key"
  int attempts = 0;      ///< how many times the batch was sent
};

}  // namespace rudder
