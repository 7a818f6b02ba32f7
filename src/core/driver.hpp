// rudder-analytics core: the one delivery driver both targets run. It owns the call path
// (closed check, build, count, enqueue), the step loop over the Pipeline, body building and
// gzip through an injected Compressor, pipelining (the next body built while a request is
// out), answers through an injected Transport, the on_error report, and flush / close
// settlement with their results. Platforms supply only mechanics through DriverHost: a clock,
// a lock, a way to be woken, a logger and a place to hand reports.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "core/field_error.hpp"
#include "core/identity.hpp"
#include "core/message.hpp"
#include "core/pipeline.hpp"
#include "core/setting_names.hpp"
#include "rudder/transport.hpp"
#include "rudder/types.hpp"

namespace rudder {
struct Config;
}  // namespace rudder

namespace rudder::core {

/// The most of an answer's body any transport keeps (HttpRequest::max_answer_bytes).
inline constexpr std::size_t kMaxAnswerBytes = 64 * 1024;

/// A call's JSON text longer than this is refused before it is read: no request the data
/// plane takes could carry it, and reading it would take memory its size again (in wasm, the
/// glue would first copy it into the module's memory, which never shrinks).
/// (kGatewayMaxBodyBytes, which driver.cpp checks it equals: this header does without the
/// public one.)
inline constexpr std::size_t kMaxCallTextBytes = 4'096'000;

/// How old a body built ahead (during the previous request) may be and still be sent: its
/// sentAt is early by its age, which shifts the data plane's corrected event times. A second
/// is within what clock correction over a network is good for anyway.
inline constexpr std::int64_t kPreparedBodyMaxAgeMs = 1000;

/// navigator.sendBeacon refuses bodies over 64 KiB, and Chromium counts every beacon still in
/// flight against that: pieces stay under 64 KB.
inline constexpr std::size_t kBeaconBodyBytes = 64'000;

/// "No deadline" for DriverHost::wake_at.
inline constexpr std::int64_t kNoWake = std::numeric_limits<std::int64_t>::max();

/// gzip for request bodies: libdeflate natively, the host runtime's in wasm.
class Compressor {
 public:
  /// The gzip bytes, or nothing when compression failed (the body is then sent plain).
  using Done = std::function<void(std::optional<std::string> gzipped)>;
  virtual ~Compressor() = default;
  /// Compresses `plain`, which is only valid during this call: a compressor that finishes
  /// later (on another thread, or the host's) compresses a copy. `done` is called exactly
  /// once, before returning or later on the driving context.
  virtual void compress(std::string_view plain, Done done) = 0;
};

/// The mechanics a platform gives the driver. Every function must not throw.
class DriverHost {
 public:
  virtual ~DriverHost() = default;
  virtual std::int64_t monotonic_ms() = 0;  ///< for deadlines
  virtual std::int64_t unix_ms() = 0;       ///< wall clock, for the payload's times
  /// When a call queued its event (monotonic ms, the age upload_interval counts), read on
  /// every call's path. May lag monotonic_ms() by a few milliseconds but never lead it: an
  /// event looks at most that much older, and no deadline computed from it is later than
  /// monotonic_ms() says. So a platform may answer from a cheaper, coarser clock.
  virtual std::int64_t queued_at_ms() { return monotonic_ms(); }
  /// Guards the driver's state shared with caller threads: a mutex natively, nothing in wasm.
  /// The driver never holds it while it runs user code, I/O, compression or body building.
  virtual void lock() = 0;
  virtual void unlock() = 0;
  /// The driving context should run pump() soon: a call made a batch ready, or a flush began.
  /// Called from any thread, without the lock.
  virtual void wake() = 0;
  /// The driving context should run pump() at `when` (monotonic ms) unless something wakes it
  /// first; kNoWake: only when woken. Called from pump(); each call replaces the last.
  virtual void wake_at(std::int64_t when) = 0;
  virtual void log(LogLevel level, std::string_view message) = 0;
  /// Events given up on, for the user's on_error. Must catch whatever the user's code throws.
  /// Returns true when a handler took them: the driver then does not also log the failure (the
  /// handler owns it); false when there is none, and the driver logs it as an error.
  virtual bool report(const Failure& failure) = 0;
  /// Flush or close `ticket` has settled: its result is ready (Driver::end_flush). Called on
  /// the driving context, without the lock.
  virtual void settled(std::uint64_t ticket) = 0;
  /// DriverSettings::remember_identity: the user changed (Identity::json()), for the platform
  /// to keep where the next page load finds it. Called without the lock.
  virtual void identity_changed(std::string_view json) { (void)json; }
};

/// Everything the driver needs to know, derived from a Config by driver_settings().
struct DriverSettings {
  DriverSettings(PipelineSettings pipeline_settings, BuildSettings build_settings)
      : pipeline(pipeline_settings), build(std::move(build_settings)) {}

  PipelineSettings pipeline;
  BuildSettings build;
  std::string url;            ///< the batch endpoint
  std::string authorization;  ///< "Basic base64(writeKey:)"
  std::string user_agent;
  std::chrono::milliseconds timeout{15'000};
  bool send = true;
  bool gzip = true;
  bool debug = false;
  Naming naming = Naming::cpp;       ///< how messages name settings
  /// Browsers: remember the user between calls (core/identity.hpp), as analytics-js does.
  bool remember_identity = false;
  /// Browsers whose fetch has `keepalive`: a request whose body the beacon quota can hold
  /// (kBeaconBodyBytes) is sent with it (HttpRequest::outlive_page), so it completes after the
  /// page is gone, and unload() hands its batch over instead of sending it again by beacon.
  bool requests_outlive_page = false;
  bool batch_bytes_clamped = false;  ///< max_batch_bytes was above the gateway's limit
};

/// The one translation from a (validated) Config to the driver's settings, for both targets.
DriverSettings driver_settings(const Config& config, Naming naming, std::string_view library_name);

/// What a call did with its event.
struct CallOutcome {
  CallOutcome() = default;
  CallOutcome(Status status, std::string text, std::string field = {},
              FieldError::Kind kind = FieldError::Kind::invalid_value)
      : status(status), text(std::move(text)), field(std::move(field)), kind(kind) {}

  Status status = Status::accepted;
  std::string text;  ///< accepted: the messageId; otherwise "field: problem"
  /// Invalid: the offending field's path ("properties.price"), and what is wrong with it
  /// (out_of_range becomes a RangeError in JS, the rest TypeErrors).
  std::string field;
  FieldError::Kind kind = FieldError::Kind::invalid_value;
};

/// Thread use: the call path, stats and flush bookkeeping may be used from any thread (they
/// take the host's lock). pump(), the beacon pair and give_up() belong to the driving context:
/// the native worker thread (or the caller in sync_mode), or the one JavaScript thread. Answers
/// and compressions must be delivered there too.
class Driver {
 public:
  /// `store`: where accepted events are kept across process ends (see BlockStore), or null
  /// for memory only; `memory`: where the queue's memory blocks come from (see BlockMemory),
  /// or null for the heap. None of these, the host, the transport nor the compressor is
  /// owned; all outlive the driver.
  Driver(DriverSettings settings, DriverHost& host, Transport& transport, Compressor* compressor,
         std::uint64_t seed, BlockStore* store = nullptr, BlockMemory* memory = nullptr);
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // ---- the call path (any thread) -------------------------------------------------------
  /// Validates and builds the event, then queues it. `fields` borrows from the caller.
  CallOutcome call(const MessageFields& fields, Rng& rng);
  /// A call given as one JSON object holding "type" (Client::submit, the CLI's lines).
  CallOutcome call_json(const nlohmann::json& message, Rng& rng);
  /// A call given as JSON text, its type separately (the JavaScript API). `called_at_unix_ms`:
  /// when the caller made it, for a call the platform held until the driver existed (its
  /// originalTimestamp); none means now.
  CallOutcome call_text(MessageType type, std::string_view text, Rng& rng,
                        std::optional<std::int64_t> called_at_unix_ms = std::nullopt);
  /// A call given as JSON text holding "type" (the C API's rudder_submit).
  CallOutcome submit_text(std::string_view text, Rng& rng);
  /// A call whose JSON text is at least `bytes` long, over kMaxCallTextBytes, refused unread
  /// (the JavaScript glue asks this instead of copying such a text into the module's memory).
  CallOutcome refuse_oversized_text(MessageType type, std::size_t bytes);
  /// Counts a call the platform refused before it reached the driver (invalid: a value JSON
  /// cannot carry; queue_full: more calls than the platform holds before the driver exists).
  void count_refused(DropReason reason);
  /// The user's hook (C++ Config::before_send, JS plugins), which the platform runs before a
  /// call reaches the driver, dropped the event: counted as dropped(by_plugin), and the
  /// outcome the call returns (Status::dropped).
  CallOutcome drop_by_hook();
  /// The hook threw: logged, naming what it threw; the call goes on without that hook's change.
  void hook_threw(std::string_view what);
  /// A call as the hook left it (C++ before_send), as call_json takes it; a refusal adds that
  /// the hook returned the message, since the caller's own input may have been fine.
  CallOutcome call_json_from_hook(const nlohmann::json& message, Rng& rng);
  Stats stats() const;
  /// Queues what earlier runs left in storage (Pipeline::recover), ahead of later calls, and
  /// wakes the driving context. Any thread. Returns the count of events recovered.
  std::size_t recover(const std::vector<BlockStore::Block>& segments);
  /// After recover(), where events are stored (storage_dir): makes the segment the next
  /// events go to now. A directory that cannot hold one (a full or tiny disk, a quota) is
  /// refused as unusable, the returned text (`storage_dir: cannot reserve ...`) for the
  /// platform to fail its start with, unless it holds events earlier runs left: refusing
  /// would strand them, and delivering them frees room, so then it is a warning and new
  /// events wait in memory until storage works. Nothing in browsers, where a segment is a
  /// record IndexedDB takes later. Any thread; nullopt: started.
  std::optional<std::string> open_storage();

  // ---- the user (DriverSettings::remember_identity: browsers) ------------------------------
  /// Takes up what an earlier page kept (Identity::json()). Returns false when part of it
  /// could not be read (that part is dropped).
  bool restore_identity(std::string_view json);
  /// The anonymousId calls get, made now if there is none yet.
  std::string anonymous_id(Rng& rng);
  /// Sets the anonymousId; refuses one that is not non-blank UTF-8, naming anonymousId.
  std::optional<FieldError> set_anonymous_id(std::string_view id);
  /// The remembered user as Identity::json() gives it.
  std::string identity_json();
  /// Forgets the user (userId, traits, anonymousId), as when another person logs in.
  void reset_identity();
  /// Calls more than this apart are in different sessions; 0: none (Identity).
  void set_session_timeout(std::int64_t timeout_ms);
  /// The page calls are made on now (see Identity::set_page).
  void set_page(std::string context_json, std::string page_properties_json);

  // ---- flush and close (any thread) -------------------------------------------------------
  /// Starts sending partial batches now, and returns a ticket that settles once every event
  /// queued before this moment is delivered or given up on (DriverHost::settled).
  std::uint64_t begin_flush();
  bool flush_settled(std::uint64_t ticket) const;
  /// The ticket's result (now, if it has not settled: what is left counts as pending), and
  /// the ticket is forgotten.
  FlushResult end_flush(std::uint64_t ticket);
  /// Refuses every later call (Status::shut_down). Follow with begin_flush() to deliver the
  /// rest, and give_up() when the time for that has run out.
  void close();
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }

  // ---- the driving context ------------------------------------------------------------------
  /// Does everything that can be done now: sends, handles what answered, arms the next wake.
  /// Re-entrant calls (a completion arriving inside it) fold into the running one.
  void pump();
  /// A request is out and its answer has not been handed in yet.
  bool awaiting_answer() const noexcept { return stage_ == Stage::sending; }
  /// True while stored events ride out an outage (they failed more than max_retries attempts
  /// and are retried at the back-off cap until delivered; see check_settled). The wake armed
  /// then only retries events safe in storage, which need not keep a process alive: in Node
  /// its timer does not hold the event loop, so a script may end (the next process with the
  /// same storageDir delivers them). Reads the pipeline: call it under the lock, or from the
  /// driving context (wake_at).
  bool retrying_stored_events_only() const noexcept {
    return pipeline_.stored_batch_overdue_attempts() > 0;
  }
  /// Whether the wake armed now waits for events a process should stay alive to send: not
  /// while stored events ride out an outage (above), nor when nothing is queued (the wake then
  /// only lets go of a burst's spare memory, EventLog::trim_spares). Same calling rules.
  bool wake_holds_events() const noexcept {
    return !pipeline_.idle() && !retrying_stored_events_only();
  }
  /// The browser says the network is back (its `online` event): a batch waiting out a retry's
  /// back-off (up to 30 s) is sent now. Driving context, as pump().
  void network_back();
  /// Stops delivery for good: the request out (if any) no longer counts, and everything not
  /// delivered is reported (unknown_outcome or unsent_at_shutdown) and counted.
  void give_up();
  /// Page unload (browsers): hands the oldest undelivered events, in order, to `beacon` in
  /// bodies of at most kBeaconBodyBytes, for navigator.sendBeacon, which sends them even after
  /// the page is gone. `beacon` returns whether the browser took the body; what it took leaves
  /// the queue (Stats::beaconed). Once it refuses one (Chromium takes 64 KiB in flight at most),
  /// the rest is flushed at once as ordinary requests, which complete if the page lives on;
  /// events that are in memory only are then named in a warning (lost if the page goes).
  /// With storage, while the data plane is unreachable (Pipeline::stored_while_unreachable)
  /// or the browser says it is `offline`, nothing goes by beacon: the events stay queued and
  /// stored, for this page should it live on, or for the next page load. A beacon to a data
  /// plane that is down is lost without a word, and what it took would have left storage.
  /// Before the data plane has answered this client at all, the first piece goes by beacon
  /// but its events stay stored too (sent again by the next load: a copy the data plane drops
  /// by messageId, rather than a loss when it is down).
  /// A request out that outlives the page (DriverSettings::requests_outlive_page) is not sent
  /// again: its batch counts as beaconed, handed over to the browser, which completes it.
  void unload(const std::function<bool(std::string_view body)>& beacon, bool offline = false);
  /// The browser failed the last request sent with keepalive without an answer (its quota,
  /// shared with beacons, was full; keepalive with these headers is not supported; or the
  /// network failed): the host reports that as an attempt that got no answer, never sending it
  /// again itself, and requests go without keepalive for kKeepaliveRestMs, so a retry is not
  /// refused the same way. A closing page then sends their batch again by beacon.
  void keepalive_failed();
  static constexpr std::int64_t kKeepaliveRestMs = 60'000;
  /// The two steps of unload(), for tests: the next body (empty when nothing is pending), and
  /// the word that the browser took it.
  std::string beacon_body(std::size_t max_body_bytes, bool after_in_flight = false);
  void commit_beacon();
  /// In a forked child, with the host's lock held: forgets the parent's events, counters and
  /// requests (the parent delivers them), and reseeds.
  void forget_after_fork(std::uint64_t seed);

 private:
  enum class Stage { idle, compressing, sending };
  // A request body for one batch.
  struct Body {
    std::uint64_t batch_id = 0;
    std::string plain;  // as built
    std::string bytes;  // what goes on the wire: gzip of plain, or plain
    bool gzipped = false;
    bool ready = false;         // compressed (or needing no compression)
    std::int64_t built_at = 0;  // monotonic ms: its sentAt says this moment
    std::uint64_t token = 0;    // its compression's (prepared bodies)
  };
  struct Ticket {
    std::uint64_t id = 0;
    std::uint64_t target = 0;  // settled once this many events are settled
    Stats before;
    std::optional<Stats> after;  // set when it settled
    // Settled while stored events rode out an outage, with some of its events still pending:
    // its result is counted when it ends (a shutdown keeps them meanwhile).
    bool in_outage = false;
  };

  CallOutcome deliver(const MessageFields& fields, Rng& rng);
  // After an accepted call, made at `called_at_unix_ms`: what the Identity keeps (the
  // session's activity; an identify's or alias's ids). True when it changed.
  bool remember(const MessageFields& fields, std::int64_t called_at_unix_ms);
  void identity_changed();
  CallOutcome refuse_closed();
  CallOutcome refuse_invalid(MessageType type, const FieldError& error);
  bool flushing_locked() const;
  void turn();
  void start_send(std::uint64_t batch_id, std::size_t events, int attempt);
  Body build(std::uint64_t batch_id);
  void compress(std::uint64_t token, const std::string& plain);
  void compressed(std::uint64_t token, std::optional<std::string> gzipped);
  void send_current();
  void prepare_ahead();
  void drop_prepared();
  void answered(std::uint64_t token, HttpResponse response);
  void report(const Failure& failure);
  // With storage: tells the log once when a stored batch outlasts max_retries, and again
  // when delivery resumes (see Pipeline::stored_batch_overdue_attempts).
  void note_outage(const HttpResponse& response, int overdue_attempts, std::uint64_t pending);
  /// Settles the tickets whose events are all settled, telling the host; returns their ids.
  std::vector<std::uint64_t> check_settled();
  std::string setting(std::string_view cpp_name) const;
  /// "<setting>: <what><then>", the setting being the one that turned storage on: `storage`
  /// in browsers, `storage_dir` (storageDir) elsewhere. Every message about storage starts so.
  std::string storage_text(std::string_view what, std::string_view then = {}) const;
  /// Logs storage_text(what, then) as a warning.
  void storage_warning(std::string_view what, std::string_view then);
  /// Says what take_storage_news() had (called without the lock).
  void say_storage_news(const std::optional<EventLog::StorageNews>& news);
  static bool is_full(Pipeline::Enqueued outcome) noexcept;
  std::string full_limit(Pipeline::Enqueued outcome) const;  // "(max_queue_bytes 67108864)"

  const DriverSettings settings_;
  DriverHost& host_;
  Transport& transport_;
  Compressor* const compressor_;  // null: bodies go plain

  // Shared with caller threads: guarded by the host's lock.
  Pipeline pipeline_;
  // Queue-full warnings: the first refusal, then at most one per interval (see call()).
  static constexpr std::int64_t kQueueFullWarningIntervalMs = 10'000;
  bool queue_full_warned_ = false;
  bool outage_warned_ = false;  // said that stored events outlast max_retries; not yet resolved
  bool closed_call_warned_ = false;  // said that a call came after close() / shutdown()
  std::int64_t queue_full_warned_at_ = 0;  // monotonic ms
  std::uint64_t refused_since_warning_ = 0;
  int reporting_ = 0;               // reports under way; a flush settles only after them
  std::vector<Ticket> tickets_;
  std::uint64_t next_ticket_ = 1;
  std::atomic<bool> closed_{false};
  Identity identity_;  // used only with settings_.remember_identity

  // The driving context's own.
  /// The request out (if any) no longer stands for anything: its answer, should it come, is
  /// not applied. Driving context.
  void forget_request_out() noexcept {
    stage_ = Stage::idle;
    ++send_token_;
  }

  Stage stage_ = Stage::idle;
  bool request_outlives_page_ = false;  // the request out (stage_ sending) was sent with keepalive
  std::int64_t keepalive_rests_until_ = 0;  // monotonic ms: no keepalive before (keepalive_failed)
  Body current_;                     // the body being compressed or sent
  // The next batches in order, built while the current is out: the first prepared_count_
  // (an array, smaller in the browser's download than a deque or vector of them).
  std::array<Body, kBatchesCutAhead> prepared_;
  std::size_t prepared_count_ = 0;
  std::uint64_t token_ = 0;          // last token handed out
  std::uint64_t send_token_ = 0;     // the current body's; an older one's completion is stale
  std::size_t current_events_ = 0;
  int current_attempt_ = 0;
  bool stopped_ = false;  // give_up() ran
  std::uint64_t unload_kept_logged_ = 0;  // what unload() last said it kept (logged once)
  std::uint64_t unload_refused_logged_ = 0;  // what unload() last said the beacon left at risk
  std::uint64_t unload_unconfirmed_sent_ = 0;  // pending when unload() last beaconed unconfirmed
  bool pumping_ = false;
  bool pump_again_ = false;
};

}  // namespace rudder::core
