// rudder-analytics core: the delivery state machine. It queues built events, cuts batches,
// and decides from each answer whether a batch is done, retried later, split or given up on.
// It never touches a clock, socket or thread: the platform tells it the time and the answers,
// and it tells the platform what to send and when to come back.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/event_log.hpp"
#include "core/random.hpp"
#include "core/retry.hpp"
#include "rudder/types.hpp"

namespace rudder::core {

struct PipelineSettings {
  std::size_t max_queue_size = 0;  ///< 0: no count bound
  /// Bytes (json_open) of pending events at most: queued, cut into batches or in flight.
  /// With a store, max_storage_bytes applies instead.
  std::size_t max_queue_bytes = 64u << 20;
  std::size_t max_storage_bytes = 256u << 20;
  std::size_t upload_size = 100;
  /// Largest request body. Every event must fit a batch on its own: callers keep
  /// max_message_bytes + kBatchEnvelopeSize <= max_batch_bytes.
  std::size_t max_batch_bytes = 500'000;
  std::int64_t upload_interval_ms = 500;
  /// Retries after the first attempt; not applied to a batch wholly in storage (see
  /// on_response), which waits out any outage rather than be deleted.
  int max_retries = 10;
  std::int64_t backoff_base_ms = 500;      ///< first retry waits up to this
  std::int64_t backoff_cap_ms = 30'000;    ///< no back-off longer than this
  std::int64_t retry_after_cap_ms = 300'000;  ///< a Retry-After longer than this is cut
};

/// Events given up on, for the platform to hand to on_error. `events` are complete JSON
/// objects (text) as last sent, or as they would have been sent.
struct Failure {
  DeliveryError error;
  std::vector<std::string> events;
};

/// What the platform should do next.
struct Step {
  enum class Kind {
    send,       ///< call build_request(), send it, then report with on_response()
    wait,       ///< nothing to do before `wake_at` (platform's monotonic ms) unless an event
                ///< is enqueued or a flush starts
    in_flight,  ///< a request is out; wait for its answer
    idle        ///< nothing queued: sleep until an event is enqueued
  };
  Kind kind = Kind::idle;
  std::int64_t wake_at = 0;
  std::uint64_t batch_id = 0;  ///< for send: which batch (see build_body)
};

/// How many batches cut_next() cuts ahead of the one in flight. Two, so that a compressor
/// working beside the driving thread (native: its own thread; Node: zlib's pool) compresses
/// one body while the next is built: with one, building and compressing took turns.
inline constexpr std::size_t kBatchesCutAhead = 2;

/// Thread use: the platform serializes all calls (one lock, or one thread as in wasm), except
/// build_request(), which only reads the batch that next_step() handed out and so may run
/// outside the lock on the one thread that drives delivery.
class Pipeline {
 public:
  /// `store`: where events are kept across process ends, or null (memory only); `memory`:
  /// where the queue's memory blocks come from, or null for the heap (see BlockMemory).
  /// Neither is owned.
  Pipeline(const PipelineSettings& settings, std::uint64_t seed, BlockStore* store = nullptr,
           BlockMemory* memory = nullptr);

  /// Queues the events of segments earlier processes left (see EventLog::adopt), ahead of
  /// anything queued later, whatever max_queue_size says: they were accepted long ago.
  /// Counted as queued and recovered; skipped records as corrupt_skipped.
  struct Recovery {
    std::size_t events = 0;            ///< queued
    std::size_t foreign_segments = 0;  ///< left alone: written for another write key
    std::size_t repaired_segments = 0; ///< read although their header was damaged
    std::size_t set_aside = 0;         ///< files that are no segment, set aside unread
    std::size_t read_from_top = 0;     ///< segments whose damaged resume offset was ignored
  };
  Recovery recover(const std::vector<BlockStore::Block>& segments);

  enum class Enqueued {
    accepted,          ///< queued; the driving thread need not be woken
    accepted_wake,     ///< queued; wake the driving thread (a batch is ready, or a deadline began)
    queue_full,        ///< refused by max_queue_size, counted as dropped(queue_full)
    queue_bytes_full,  ///< refused by max_queue_bytes, counted as dropped(queue_full)
    storage_full       ///< refused by max_storage_bytes, counted as dropped(queue_full)
  };
  /// Copies the event into the queue; `enqueued_at` is the platform's monotonic ms.
  Enqueued enqueue(std::string_view json_open, std::int64_t enqueued_at);
  Enqueued enqueue(const EncodedEvent& event) { return enqueue(event.json_open, event.enqueued_at); }

  /// Counts a call refused before it reached the queue (invalid input, shut down).
  void count_refused(DropReason reason) noexcept;

  /// Decides what to do at `now` (monotonic ms). `flushing`: send partial batches without
  /// waiting for upload_interval (back-off waits still apply).
  Step next_step(std::int64_t now, bool flushing);

  /// The request body for the batch next_step() said to send, with sentAt = `now_unix_ms`;
  /// empty when no request is in flight. (So are the two accessors below: 0.)
  std::string build_request(std::int64_t now_unix_ms) const;

  /// While a request is in flight, cuts the next batch (when one is ready and fewer than
  /// kBatchesCutAhead are cut behind the one in flight) so the platform can build and compress
  /// its body during the round trip instead of after it. Returns its id, to be matched with
  /// Step::batch_id when next_step() later says to send it. The batch stays in order behind
  /// the one in flight; nothing about delivery or retries changes.
  std::optional<std::uint64_t> cut_next(std::int64_t now, bool flushing);
  /// The body of batch `id` (the one in flight or the one cut_next() returned), with sentAt =
  /// `now_unix_ms`; empty if no such batch is pending. Same thread rules as build_request().
  std::string build_body(std::uint64_t id, std::int64_t now_unix_ms) const;
  /// Events in that batch.
  std::size_t request_event_count() const noexcept;
  /// 1 for the first attempt at that batch.
  int request_attempt() const noexcept;

  /// The answer to the request in flight. Returns events given up on, if any. Ignored when
  /// no request is in flight.
  std::optional<Failure> on_response(const Response& response, std::int64_t now,
                                     std::int64_t now_unix_ms);

  /// Page unload (browser): the body of one request of at most `max_body_bytes` holding the
  /// oldest undelivered events in order, the batch in flight included unless `after_in_flight`
  /// (a request the page's end does not cancel: see hand_over_in_flight()). Holds at least one
  /// event even if that one alone is larger; empty when nothing is pending. Nothing leaves the
  /// pipeline until commit_beacon(), which must not follow a body made `after_in_flight`
  /// (events leave in order: that body is for a beacon whose events stay, Driver::unload).
  std::string beacon_body(std::size_t max_body_bytes, std::int64_t now_unix_ms, bool after_in_flight = false);
  /// Page unload (browser): the request in flight goes on after the page is gone (fetch's
  /// keepalive), so its batch is the browser's now, as a beacon's would be: its events leave
  /// the pipeline, counted as Stats::beaconed, and its answer is no longer applied. Returns
  /// how many events that was (0 when no request is in flight).
  std::size_t hand_over_in_flight();
  /// The body last returned by beacon_body() was handed to the browser: its events leave the
  /// pipeline, counted as Stats::beaconed. Returns true when that took the batch in flight,
  /// whose answer the platform must then ignore (on_response would otherwise apply it).
  bool commit_beacon();

  /// True when nothing is queued, in flight, or waiting for a retry.
  bool idle() const noexcept;
  /// The queue's memory goes now, not after a while (see EventLog::trim_spares): for a
  /// closed client with nothing left, which queues nothing more.
  void release_idle_memory() noexcept { log_.release_idle_memory(); }
  /// See EventLog::open_storage and EventLog::take_storage_news.
  bool open_storage(std::int64_t now) { return log_.open_storage(now); }
  std::optional<EventLog::StorageNews> take_storage_news() noexcept { return log_.take_storage_news(); }
  /// Events recover() queued (Stats::recovered).
  std::uint64_t recovered() const noexcept { return stats_.recovered; }

  /// True when the last attempt failed in a way worth retrying (no answer, 5xx, 429: the data
  /// plane down or unreachable) and the oldest pending event is in storage. A beacon sent now
  /// would most likely be lost without a word, and what it took would leave storage; see
  /// Driver::unload.
  bool stored_while_unreachable() const noexcept;
  /// True when the oldest pending event is in storage (so, nearly always, all of them are).
  bool oldest_pending_stored() const noexcept;
  /// describe() of the last answer that did not deliver, empty once a batch was delivered
  /// since (see DeliveryError::last_attempt).
  const std::string& last_failed_answer() const noexcept { return last_failed_answer_; }

  /// The largest request body batches are cut to now: max_batch_bytes, until the data plane
  /// answers 413 (too large) to a batch of several events; then no larger than the larger
  /// half of the batch it refused (the halves it is split into), so the batches after it do
  /// not meet the same refusal and split again. (The
  /// data plane's limit is its own setting; a gateway or proxy in front may have a lower
  /// one.) It never grows back within a client's life.
  std::size_t batch_byte_limit() const noexcept { return batch_bytes_; }

  /// Attempts made so far at the batch waiting for a retry when it is a stored one that has
  /// failed more than max_retries times (where a batch in memory would have been given up
  /// on); 0 otherwise. Such a batch is retried until delivered, so without a word from the
  /// driver an outage (or a wrong URL, or an untrusted certificate) would go unnoticed.
  int stored_batch_overdue_attempts() const noexcept;

  /// When the batch that last failed with a retryable answer will be tried again (monotonic
  /// ms: the back-off or the Retry-After asked for); 0 when no retry waits. For debug logs.
  std::int64_t retry_not_before() const noexcept;
  /// The network is back (a browser's `online` event): the batch waiting out a retry's
  /// back-off after getting no answer at all may go now rather than at its time (a data
  /// plane's Retry-After, or its 5xx back-off, still holds). True when one was waiting.
  bool retry_now(std::int64_t now) noexcept;

  /// Gives up on everything not yet delivered (shutdown's timeout passed). Events in storage
  /// stay there for a later run, counted as Stats::kept and not reported. The rest is
  /// returned for on_error, in at most two reports: events that may have been stored (the
  /// batch in flight, or one whose earlier attempt got no answer) as unknown_outcome, counted
  /// in Stats::unknown; the others as unsent_at_shutdown, counted as
  /// dropped(unsent_at_shutdown). The pipeline is then empty.
  /// `ended_by` names whose timeout passed, as the API calls it ("shutdown's", "close()'s").
  std::vector<Failure> abandon(std::int64_t now_unix_ms, std::string_view ended_by = "shutdown's");

  /// Forgets all events and counters without reporting them: for a forked child, whose
  /// inherited queue belongs to (and is delivered by) the parent; no segment is deleted.
  /// Reseeds the jitter.
  void reset(std::uint64_t seed);

  Stats stats() const noexcept;

 private:
  struct Batch {
    std::uint64_t id = 0;
    std::vector<LoggedEvent> events;  // views into log_
    int attempts = 0;            // sends so far
    std::int64_t not_before = 0; // monotonic ms; retries wait until then
    // An attempt got no answer and may still have been stored: if this batch is given up on,
    // its events are unknown, not failed (the truth the caller can act on).
    bool may_have_arrived = false;
  };

  bool batch_ready(std::int64_t now, bool flushing) const noexcept;
  void cut_batch();
  /// The body size of `batch`'s events [from, to).
  static std::size_t body_bytes(const Batch& batch, std::size_t from, std::size_t to) noexcept;
  /// Splits the oldest outgoing batch into two, in order; `fresh`: both start their attempts
  /// anew (after a 413), otherwise both keep the batch's attempts and retry time.
  void split_front(bool fresh);
  void release(std::size_t events, std::size_t bytes) noexcept;
  Failure give_up(const Batch& batch, DeliveryError error, std::int64_t now_unix_ms) const;

  PipelineSettings settings_;
  std::size_t batch_bytes_;  // see batch_byte_limit()
  Rng rng_;
  // Every event's bytes, from enqueue until it leaves; queue_ and the batches view them.
  EventLog log_;
  std::deque<LoggedEvent> queue_;
  std::size_t queue_wire_bytes_ = 0;
  std::size_t pending_bytes_ = 0;  // json_open bytes of every event in the log (see enqueue)
  bool stores_ = false;            // a BlockStore was given
  // Batches cut from the queue and not yet done, oldest first; only the front is ever sent.
  // Normally at most one; a 413 split puts two halves here.
  std::deque<Batch> outgoing_;
  std::size_t outgoing_events_ = 0;
  bool in_flight_ = false;
  bool last_attempt_retryable_ = false;  // the last answer said "try again later"
  bool last_attempt_unanswered_ = false;  // and it was no answer at all: the network's doing
  std::string last_failed_answer_;  // describe() of the last answer not delivered; cleared by a delivery
  std::uint64_t next_batch_id_ = 1;
  std::size_t beacon_events_ = 0;  // events in the body beacon_body() last returned
  Stats stats_;
};

}  // namespace rudder::core
