// rudder-analytics native platform: rudder::Client, the core driven by a worker thread.
// Copyright the rudder-analytics authors. MIT licence.
//
// Locking: `mu_` guards the pipeline and the small state beside it. It is held for queue
// pushes and state transitions only, never across a request, a gzip or a user callback.
// The worker thread (or, in sync_mode, the caller holding `sync_mu_`) is the only one that
// builds, compresses and sends, so the transport and gzip state need no lock.
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/endpoint.hpp"
#include "core/message.hpp"
#include "core/pipeline.hpp"
#include "native/curl_transport.hpp"
#include "native/entropy.hpp"
#include "native/fork_guard.hpp"
#include "native/gzip.hpp"
#include "native/log.hpp"
#include "rudder/analytics.hpp"

namespace rudder {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

SteadyClock::time_point steady_point(std::int64_t ms) {
  return SteadyClock::time_point(std::chrono::milliseconds(ms));
}

std::int64_t unix_ms(Clock::time_point t = Clock::now()) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Zlib level 1: on event JSON it compresses about as well as the default level for a third
// of the CPU, which is what a background sender on a busy host should spend.
constexpr int kGzipLevel = 1;

// How old a body encoded ahead (during the previous request) may be and still be sent: its
// sentAt is early by its age, which shifts the data plane's corrected event times. A second
// is within what clock correction over a network is good for anyway.
constexpr std::int64_t kPreparedBodyMaxAgeMs = 1000;

}  // namespace

class Client::Impl final : public native::ForkAware {
 public:
  explicit Impl(Config config);
  ~Impl();

  Result submit(core::MessageFields& fields, const CallOptions& options);
  bool flush(std::chrono::milliseconds timeout);
  bool shutdown(std::chrono::milliseconds timeout);
  Stats stats() const;
  void count_invalid() {
    std::lock_guard<std::mutex> lock(mu_);
    pipeline_.count_refused(DropReason::invalid);
  }

  void before_fork() noexcept override { mu_.lock(); }
  void after_fork_parent() noexcept override { mu_.unlock(); }
  void after_fork_child() noexcept override;

 private:
  void ensure_worker();
  void run_worker();
  // A request body ready to go, for one batch.
  struct Body {
    std::uint64_t batch_id = 0;
    std::string bytes;
    bool gzipped = false;
    std::size_t plain_size = 0;
    std::int64_t built_at = 0;  // steady ms: its sentAt says this moment
  };
  core::Step advance(std::unique_lock<std::mutex>& lock, bool flushing, bool overlap);
  Body encode(std::uint64_t batch_id);
  void report(core::Failure failure, std::unique_lock<std::mutex>& lock);
  bool drive_in_caller(SteadyClock::time_point deadline);
  bool settled() const { return pipeline_.idle() && reporting_ == 0; }
  std::uint64_t lost() const {
    const Stats s = pipeline_.stats();
    return s.failed + s.dropped_for(DropReason::unsent_at_shutdown);
  }

  const Config config_;
  const core::BuildSettings build_;
  const native::Log log_;

  mutable std::mutex mu_;
  std::condition_variable worker_cv_;  // wakes the worker: work arrived, flush, shutdown
  std::condition_variable idle_cv_;    // wakes flush(): the pipeline may have settled
  core::Pipeline pipeline_;            // guarded by mu_
  int flush_waiters_ = 0;              // guarded by mu_
  int reporting_ = 0;                  // on_error calls under way; guarded by mu_
  bool queue_full_logged_ = false;     // guarded by mu_

  std::atomic<bool> shut_down_{false};  // set first thing in shutdown(): calls are refused
  std::atomic<bool> abort_{false};      // the worker must stop now, mid-request if need be
  std::atomic<bool> worker_running_{false};
  std::thread worker_;
  std::mutex sync_mu_;      // one caller at a time drives delivery in sync_mode
  std::mutex shutdown_mu_;  // one shutdown at a time
  bool shutdown_result_ = true;

  // Used only by the thread that sends (see the file comment).
  std::unique_ptr<native::CurlTransport> transport_;
  std::unique_ptr<native::Gzipper> gzipper_;
  Body in_flight_;                // must outlive the request it is the body of
  std::optional<Body> prepared_;  // the next batch, encoded while the previous one was out
  // Events just delivered, freed with mu_ released (while the next request is out, or before
  // the worker sleeps): a hundred free()s under the lock would hold up callers.
  std::vector<core::EncodedEvent> spent_;
};

Client::Impl::Impl(Config config)
    : config_(std::move(config)),
      build_{config_.max_message_bytes, config_.channel, kLibraryName, kLibraryVersion},
      log_(config_.logger, config_.debug),
      pipeline_(
          core::PipelineSettings{
              config_.max_queue_size, config_.upload_size,
              std::min(config_.max_batch_bytes, kGatewayMaxBodyBytes),
              static_cast<std::int64_t>(config_.upload_interval.count()), config_.max_retries},
          native::fresh_seed()) {
  if (const std::string problem = config_.validate(); !problem.empty()) {
    throw std::invalid_argument("rudder::Client: " + problem);
  }
  if (config_.max_batch_bytes > kGatewayMaxBodyBytes) {
    log_(LogLevel::warning, "max_batch_bytes is above the data plane's limit; using 4096000");
  }
  native::TransportSettings transport{core::batch_endpoint(config_.data_plane_url), config_.write_key,
                                      config_.proxy, config_.timeout,
                                      std::string(kLibraryName) + "/" + kLibraryVersion};
  transport_ = std::make_unique<native::CurlTransport>(std::move(transport), abort_);
  gzipper_ = std::make_unique<native::Gzipper>(kGzipLevel);
  native::register_for_fork(this);
  if (!config_.sync_mode && config_.send) ensure_worker();
}

Client::Impl::~Impl() {
  shutdown(config_.shutdown_timeout);
  native::unregister_for_fork(this);
}

Result Client::Impl::submit(core::MessageFields& fields, const CallOptions& options) {
  std::optional<std::int64_t> timestamp;
  if (options.timestamp) timestamp = unix_ms(*options.timestamp);
  fields.anonymous_id = options.anonymous_id;
  fields.message_id = options.message_id;
  fields.context = &options.context;
  fields.integrations = &options.integrations;
  fields.timestamp_unix_ms = timestamp;

  Result result;
  if (shut_down_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(mu_);
    pipeline_.count_refused(DropReason::shut_down);
    return {Status::shut_down, "client: is shut down", {}};
  }
  core::BuildResult built = core::build_message(fields, build_, unix_ms(), native::thread_rng());
  if (built.error) {
    count_invalid();
    result.status = Status::invalid;
    result.error = built.error->to_string();
    if (log_.debug_enabled()) {
      log_(LogLevel::debug, std::string(core::type_name(fields.type)) + " refused: " + result.error);
    }
    return result;
  }
  result.message_id = std::move(built.message_id);
  if (!config_.send) {
    if (log_.debug_enabled()) {
      log_(LogLevel::debug, "send=false, built: " + built.event.complete_json(unix_ms()));
    }
    return result;
  }

  built.event.enqueued_at = steady_ms();
  if (!config_.sync_mode) ensure_worker();
  core::Pipeline::Enqueued outcome;
  bool log_drop = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    outcome = pipeline_.enqueue(std::move(built.event));
    // One warning per run of drops, not one per dropped event.
    const bool full = outcome == core::Pipeline::Enqueued::queue_full;
    log_drop = full && !queue_full_logged_;
    queue_full_logged_ = full;
  }
  if (outcome == core::Pipeline::Enqueued::queue_full) {
    if (log_drop) {
      log_(LogLevel::warning, "queue is full (max_queue_size " +
                                  std::to_string(config_.max_queue_size) + "); dropping events");
    }
    return {Status::queue_full, "queue: is full (max_queue_size " +
                                    std::to_string(config_.max_queue_size) + ")", {}};
  }
  if (config_.sync_mode) {
    drive_in_caller(SteadyClock::time_point::max());
  } else if (outcome == core::Pipeline::Enqueued::accepted_wake) {
    worker_cv_.notify_one();
  }
  return result;
}

void Client::Impl::ensure_worker() {
  if (worker_running_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (worker_running_.load(std::memory_order_relaxed) || abort_.load()) return;
  worker_ = std::thread(&Impl::run_worker, this);
  worker_running_.store(true, std::memory_order_release);
}

void Client::Impl::run_worker() {
  // Named so it is recognisable in top, perf and debuggers (15 characters at most).
  pthread_setname_np(pthread_self(), "rudder-worker");
  std::unique_lock<std::mutex> lock(mu_);
  while (!abort_.load(std::memory_order_relaxed)) {
    const core::Step step = advance(lock, flush_waiters_ > 0, /*overlap=*/true);
    if (abort_.load(std::memory_order_relaxed)) break;
    if (!spent_.empty() && step.kind != core::Step::Kind::send) {
      lock.unlock();  // free the delivered events before sleeping, without the lock
      spent_.clear();
      lock.lock();
      continue;
    }
    switch (step.kind) {
      case core::Step::Kind::send:
      case core::Step::Kind::in_flight:  // not seen here: this thread sends synchronously
        break;
      case core::Step::Kind::wait:
        worker_cv_.wait_until(lock, steady_point(step.wake_at));
        break;
      case core::Step::Kind::idle:
        worker_cv_.wait(lock);
        break;
    }
  }
}

core::Step Client::Impl::advance(std::unique_lock<std::mutex>& lock, bool flushing,
                                 bool overlap) {
  const core::Step step = pipeline_.next_step(steady_ms(), flushing);
  if (step.kind != core::Step::Kind::send) return step;
  const std::size_t events = pipeline_.request_event_count();
  const int attempt = pipeline_.request_attempt();
  lock.unlock();
  // A body prepared during the previous round trip serves a first attempt if that trip was
  // quick; a retry, or a body the trip left waiting, is built again so its sentAt says when
  // it really left (the data plane corrects event times by receivedAt - sentAt).
  if (prepared_ && prepared_->batch_id == step.batch_id && attempt == 1 &&
      steady_ms() - prepared_->built_at <= kPreparedBodyMaxAgeMs) {
    in_flight_ = std::move(*prepared_);
  } else {
    in_flight_ = encode(step.batch_id);
  }
  prepared_.reset();
  transport_->start(in_flight_.bytes, in_flight_.gzipped);
  spent_.clear();
  if (overlap) {
    lock.lock();
    const std::optional<std::uint64_t> next = pipeline_.cut_next(steady_ms(), flushing);
    lock.unlock();
    if (next) prepared_ = encode(*next);
  }
  const core::Response response = transport_->finish();
  if (log_.debug_enabled()) {
    log_(LogLevel::debug,
         "sent " + std::to_string(events) + " events, " + std::to_string(in_flight_.plain_size) +
             " bytes" +
             (in_flight_.gzipped ? " (" + std::to_string(in_flight_.bytes.size()) + " gzipped)"
                                 : "") +
             ", attempt " + std::to_string(attempt) + ": " +
             (response.status != 0 ? "HTTP " + std::to_string(response.status)
                                   : response.network_error));
  }
  lock.lock();
  // A shutdown that gave up interrupted this request: the batch stays for abandon().
  if (abort_.load()) return step;
  std::optional<core::Failure> failure = pipeline_.on_response(response, steady_ms(), unix_ms());
  spent_ = pipeline_.take_spent();
  if (failure) report(std::move(*failure), lock);
  idle_cv_.notify_all();
  return step;
}

Client::Impl::Body Client::Impl::encode(std::uint64_t batch_id) {
  Body body;
  body.batch_id = batch_id;
  body.built_at = steady_ms();
  body.bytes = pipeline_.build_body(batch_id, unix_ms());
  body.plain_size = body.bytes.size();
  if (config_.gzip) {
    std::string compressed;
    if (gzipper_->compress(body.bytes, compressed)) {
      body.bytes = std::move(compressed);
      body.gzipped = true;
    }
  }
  return body;
}

void Client::Impl::report(core::Failure failure, std::unique_lock<std::mutex>& lock) {
  ++reporting_;
  lock.unlock();
  log_(LogLevel::error, "could not deliver " + std::to_string(failure.events.size()) +
                            " events: " + failure.error.message);
  if (config_.on_error) {
    std::vector<json> events;
    events.reserve(failure.events.size());
    for (const auto& text : failure.events) events.push_back(json::parse(text, nullptr, false));
    try {
      config_.on_error(failure.error, events);
    } catch (const std::exception& e) {
      log_(LogLevel::error, std::string("on_error threw: ") + e.what());
    } catch (...) {
      log_(LogLevel::error, "on_error threw");
    }
  }
  lock.lock();
  --reporting_;
}

bool Client::Impl::drive_in_caller(SteadyClock::time_point deadline) {
  std::lock_guard<std::mutex> sync(sync_mu_);
  std::unique_lock<std::mutex> lock(mu_);
  const std::uint64_t lost_before = lost();
  while (!abort_.load()) {
    const core::Step step = advance(lock, true, /*overlap=*/false);
    if (step.kind == core::Step::Kind::idle) break;
    if (step.kind == core::Step::Kind::wait) {
      const auto wake = steady_point(step.wake_at);
      if (wake > deadline) return false;
      lock.unlock();
      std::this_thread::sleep_until(wake);
      lock.lock();
    }
  }
  return pipeline_.idle() && lost() == lost_before;
}

bool Client::Impl::flush(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  if (config_.sync_mode) return drive_in_caller(deadline);
  ensure_worker();
  std::unique_lock<std::mutex> lock(mu_);
  const std::uint64_t lost_before = lost();
  ++flush_waiters_;
  worker_cv_.notify_one();
  const bool settled_in_time = idle_cv_.wait_until(lock, deadline, [&] { return settled(); });
  --flush_waiters_;
  return settled_in_time && lost() == lost_before;
}

bool Client::Impl::shutdown(std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> once(shutdown_mu_);
  if (shut_down_.exchange(true)) return shutdown_result_;
  bool delivered = flush(timeout);
  {
    std::lock_guard<std::mutex> lock(mu_);
    abort_.store(true);
  }
  worker_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  worker_running_.store(false);
  std::unique_lock<std::mutex> lock(mu_);
  if (std::optional<core::Failure> rest = pipeline_.abandon(unix_ms())) {
    delivered = false;
    report(std::move(*rest), lock);
  }
  shutdown_result_ = delivered;
  return delivered;
}

Stats Client::Impl::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pipeline_.stats();
}

void Client::Impl::after_fork_child() noexcept {
  // Only the forking thread exists here. Objects other threads were using are rebuilt in
  // place without destroying them (destroying could wait for, or free on behalf of, threads
  // that no longer exist); the few bytes they hold stay allocated.
  new (&worker_) std::thread();
  new (&worker_cv_) std::condition_variable();
  new (&idle_cv_) std::condition_variable();
  new (&sync_mu_) std::mutex();
  worker_running_.store(false);
  flush_waiters_ = 0;
  reporting_ = 0;
  queue_full_logged_ = false;
  // The inherited queue is the parent's to deliver; sending it here too would duplicate it.
  pipeline_.reset(native::fresh_seed());
  transport_->abandon_after_fork();
  // The worker may have been writing these without the lock when the fork happened.
  new (&in_flight_) Body();
  new (&prepared_) std::optional<Body>();
  new (&spent_) std::vector<core::EncodedEvent>();
  (void)gzipper_.release();
  gzipper_ = std::make_unique<native::Gzipper>(kGzipLevel);
  mu_.unlock();
  // The worker restarts on the next call or flush, not here: starting threads inside an
  // atfork handler is not safe.
}

// ---- Client: forwards to Impl --------------------------------------------------------------

Client::Client(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Client::~Client() = default;

namespace {
core::MessageFields fields_of(core::MessageType type, std::string_view user_id) {
  core::MessageFields f;
  f.type = type;
  f.user_id = user_id;
  return f;
}
}  // namespace

Result Client::identify(std::string_view user_id, const json& traits, const CallOptions& options) {
  auto f = fields_of(core::MessageType::identify, user_id);
  f.traits = &traits;
  return impl_->submit(f, options);
}

Result Client::track(std::string_view user_id, std::string_view event, const json& properties,
                     const CallOptions& options) {
  auto f = fields_of(core::MessageType::track, user_id);
  f.event = event;
  f.properties = &properties;
  return impl_->submit(f, options);
}

Result Client::page(std::string_view user_id, std::string_view category, std::string_view name,
                    const json& properties, const CallOptions& options) {
  auto f = fields_of(core::MessageType::page, user_id);
  f.category = category;
  f.name = name;
  f.properties = &properties;
  return impl_->submit(f, options);
}

Result Client::screen(std::string_view user_id, std::string_view category, std::string_view name,
                      const json& properties, const CallOptions& options) {
  auto f = fields_of(core::MessageType::screen, user_id);
  f.category = category;
  f.name = name;
  f.properties = &properties;
  return impl_->submit(f, options);
}

Result Client::group(std::string_view user_id, std::string_view group_id, const json& traits,
                     const CallOptions& options) {
  auto f = fields_of(core::MessageType::group, user_id);
  f.group_id = group_id;
  f.traits = &traits;
  return impl_->submit(f, options);
}

Result Client::alias(std::string_view previous_id, std::string_view user_id,
                     const CallOptions& options) {
  auto f = fields_of(core::MessageType::alias, user_id);
  f.previous_id = previous_id;
  return impl_->submit(f, options);
}

Result Client::submit(const json& message) {
  core::ParsedCall call;
  if (auto problem = core::parse_call(message, call)) {
    impl_->count_invalid();
    return {Status::invalid, problem->to_string(), {}};
  }
  CallOptions options;
  if (call.fields.timestamp_unix_ms) {
    options.timestamp = Clock::time_point(std::chrono::milliseconds(*call.fields.timestamp_unix_ms));
  }
  options.anonymous_id = std::string(call.fields.anonymous_id);
  options.message_id = std::string(call.fields.message_id);
  if (call.fields.context.tree != nullptr) options.context = *call.fields.context.tree;
  if (call.fields.integrations.tree != nullptr) options.integrations = *call.fields.integrations.tree;
  return impl_->submit(call.fields, options);
}

bool Client::flush(std::chrono::milliseconds timeout) { return impl_->flush(timeout); }
bool Client::shutdown(std::chrono::milliseconds timeout) { return impl_->shutdown(timeout); }
Stats Client::stats() const { return impl_->stats(); }

}  // namespace rudder
