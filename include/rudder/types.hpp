// rudder-analytics: value types shared by the public API and the portable core.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#if defined(__cplusplus) && __cplusplus < 201703L && (!defined(_MSVC_LANG) || _MSVC_LANG < 201703L)
#error "rudder-analytics's C++ API needs C++17 (-std=c++17); C programs and older C++ use rudder/analytics.h"
#endif

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "rudder/export.h"

namespace rudder {

enum class LogLevel : std::uint8_t { debug, info, warning, error };

/// What a call (identify, track, ...) did with the message it was given.
enum class Status : std::uint8_t {
  accepted,       ///< validated, built and queued (or, with send=false, built only)
  invalid,        ///< the input broke a rule; `Result::error` names the field; nothing queued
  queue_full,     ///< valid, but max_queue_size events were already waiting; dropped, counted
  shut_down,      ///< the client was shut down; nothing queued, counted as dropped
  not_initialized, ///< a free function was called before rudder::init()
  dropped         ///< Config::before_send (JS: a plugin) dropped it; counted as dropped(by_plugin)
};

/// What a flush (or a shutdown) saw while it waited: counts from when it began until it
/// returned. It returns once every event queued before it began is delivered or given up on,
/// or when its timeout passes.
struct FlushResult {
  std::uint64_t delivered = 0;  ///< acknowledged by the data plane
  std::uint64_t failed = 0;     ///< given up on, certainly not stored (see Stats::failed)
  std::uint64_t unknown = 0;    ///< given up on, possibly stored (see Stats::unknown)
  std::uint64_t unsent = 0;     ///< never sent: shutdown's timeout passed first
  std::uint64_t beaconed = 0;   ///< handed to the browser's sendBeacon (WebAssembly only)
  std::uint64_t pending = 0;    ///< queued or in flight when it returned (its timeout passed)
  /// Not delivered before shutdown's timeout, but kept in storage (Config::storage_dir): the
  /// next client on that storage delivers them.
  std::uint64_t kept = 0;
  /// When it leaves anything undelivered (not ok()): what the last attempt got, if one failed
  /// since the last delivery (`network error: Failed to connect ...`, `HTTP 503: ...`), as
  /// DeliveryError::last_attempt; empty otherwise. Why a flush returned with events pending.
  std::string last_attempt;

  /// True when everything it waited for was delivered (or beaconed) and nothing was lost,
  /// failed, unknown, kept for later or left pending.
  bool ok() const noexcept {
    return failed == 0 && unknown == 0 && unsent == 0 && pending == 0 && kept == 0;
  }
  explicit operator bool() const noexcept { return ok(); }
};

/// Returned by every call. Cheap to ignore, but a dropped event is always visible here,
/// in Stats and (for drops after acceptance) through Config::on_error.
struct Result {
  Status status = Status::accepted;
  /// Empty when accepted; otherwise one sentence that starts with the offending field,
  /// e.g. "properties.price: number is not finite".
  std::string error;
  /// Status::invalid: the offending field's path alone, e.g. "properties.price"; empty
  /// otherwise.
  std::string field;
  /// The message's messageId (given or generated) when accepted; empty otherwise.
  std::string message_id;
  /// Config::sync_mode only, when accepted: what the delivery the call drove saw, for its
  /// event and any queued before it (as a flush's result). ok() when they were delivered;
  /// failed or unknown ones were also reported to on_error; pending ones are stored
  /// (Config::storage_dir) while the data plane is down, and later calls, a flush, shutdown
  /// or the next run deliver them. Empty otherwise.
  std::optional<FlushResult> delivery;

  bool ok() const noexcept { return status == Status::accepted; }
  explicit operator bool() const noexcept { return ok(); }
};

/// Why accepted events were not delivered, or why a call's event was refused.
enum class DropReason : std::uint8_t {
  invalid,       ///< refused by local validation (never queued)
  queue_full,    ///< refused because the queue was full
  shut_down,     ///< refused because the client was shut down
  unsent_at_shutdown, ///< queued, but shutdown's timeout passed before delivery
  by_plugin,     ///< dropped by Config::before_send (JS: a plugin), never queued
  count_         ///< number of reasons; not a reason
};

constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::count_);

RUDDER_API const char* to_string(DropReason reason) noexcept;
RUDDER_API const char* to_string(Status status) noexcept;


/// Counters since the client started (in a forked child: since the fork).
/// Every event a call hands over ends in exactly one of: dropped[invalid|queue_full|shut_down]
/// (refused), or queued; and every queued event ends in exactly one of delivered, failed,
/// unknown, beaconed, dropped[unsent_at_shutdown], kept, or is still pending.
struct Stats {
  std::uint64_t queued = 0;     ///< accepted into the queue (recovered ones included)
  std::uint64_t delivered = 0;  ///< acknowledged with 2xx by the data plane
  /// Given up on and certainly not stored: a final HTTP error, or retries exhausted with no
  /// attempt that could have arrived.
  std::uint64_t failed = 0;
  /// Given up on, but some attempt may have been stored: it timed out or lost its connection
  /// after sending, so the data plane may hold these events (once: it deduplicates by
  /// messageId, which every retry keeps).
  std::uint64_t unknown = 0;
  std::uint64_t retried = 0;    ///< batch send attempts that were retried (one per retry)
  std::uint64_t pending = 0;    ///< queued or in flight right now
  /// Handed to the browser's navigator.sendBeacon at page unload (WebAssembly package only):
  /// the browser sends them after the page is gone, so no answer can be read.
  std::uint64_t beaconed = 0;
  // With storage (Config::storage_dir):
  std::uint64_t stored = 0;     ///< of queued, those written to storage as they were accepted
  /// Of queued, those taken over from storage that earlier runs (or processes that died)
  /// left undelivered; they keep their messageId and originalTimestamp.
  std::uint64_t recovered = 0;
  /// Records found in storage whose checksum failed (a write torn by a crash): skipped.
  std::uint64_t corrupt_skipped = 0;
  /// Left in storage at shutdown for a later run to deliver (shutdown's timeout passed).
  std::uint64_t kept = 0;
  /// Segment files (not events) found in storage and left alone: their events were accepted
  /// for another write key, and only a client with that key sends them. Not 0: the storage
  /// still holds events this client will never deliver.
  std::uint64_t foreign_segments = 0;
  std::array<std::uint64_t, kDropReasonCount> dropped{};  ///< indexed by DropReason

  std::uint64_t dropped_for(DropReason r) const noexcept {
    return dropped[static_cast<std::size_t>(r)];
  }
  RUDDER_API std::uint64_t dropped_total() const noexcept;
};

/// Why a batch (or a remainder at shutdown) was given up on. Passed to Config::on_error.
struct DeliveryError {
  enum class Kind : std::uint8_t {
    http_status,        ///< the data plane answered a final status (4xx other than 408 and
                        ///< 429, a redirect, or a retryable status after max_retries)
    network,            ///< no attempt reached the data plane (connection refused, name not
                        ///< resolved) and max_retries ran out
    unknown_outcome,    ///< some attempt may have been stored (it timed out or lost its
                        ///< connection after sending); counted in Stats::unknown
    unsent_at_shutdown  ///< shutdown's timeout passed before these events could be sent
  };
  Kind kind = Kind::http_status;
  int status = 0;        ///< HTTP status, 0 when none was received
  std::string body;      ///< the data plane's answer body (e.g. "invalid write key\n")
  std::string message;   ///< a readable summary, e.g. "HTTP 401: invalid write key"
  int attempts = 0;      ///< how many times the batch was sent
  /// For what shutdown's timeout cut short (unsent_at_shutdown, unknown_outcome then): what
  /// the last attempt to send got, e.g. "network error: Failed to connect to ..." or
  /// "HTTP 503: ..."; empty when no attempt failed since the last delivery. The reason a
  /// flush timed out against a data plane that is down or refusing.
  std::string last_attempt;
};

}  // namespace rudder
