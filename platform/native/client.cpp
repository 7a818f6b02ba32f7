// rudder-analytics native platform: rudder::Client, the core's driver run by a worker thread.
// Copyright the rudder-analytics authors. MIT licence.
//
// Every delivery decision is the core driver's (src/core/driver.hpp). What is here is the
// mechanics: a worker thread that runs the driver (or, in sync_mode, the calling thread), a
// mutex that guards the driver's shared state, a condition variable that wakes the worker, the
// libcurl transport (or the user's), libdeflate gzip (on a thread of its own beside the
// worker, gzip_thread.hpp), and fork handling.
//
// Locks: `mu_` is the driver's lock (DriverHost::lock). `wait_mu_` guards only the wake-ups:
// `wake_pending_` for the worker and `settled_` for flush() waiters. Neither is ever held
// across a request, a compression or a user callback.
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "core/config_limits.hpp"
#include "native/client_impl.hpp"
#include "native/clocks.hpp"
#include "native/curl_transport.hpp"
#include "native/entropy.hpp"
#include "native/fork_guard.hpp"
#include "native/gzip.hpp"
#include "native/gzip_thread.hpp"
#include "native/log.hpp"
#include "native/segment_store.hpp"
#include "native/tls_trust.hpp"
#include "rudder/analytics.hpp"

namespace rudder {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A caller's time. Floored, not truncated toward zero: 1.5 ms before 1970 is .998, as the same
// instant given as RFC 3339 text is sent.
std::int64_t unix_ms(Clock::time_point t) {
  return std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Now, on every call: after 1970, where truncating is flooring, and a few instructions less.
std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

// libdeflate level 1: on event JSON it compresses about as well as higher levels for a
// fraction of the CPU, which is what a background sender on a busy host should spend.
constexpr int kGzipLevel = 1;

// How often a worker waiting on libcurl looks at the abort flag.
constexpr std::chrono::milliseconds kPollSlice{100};

// Takes `lock` if it can before `deadline`. Waits on the system clock: try_lock_until with a
// steady_clock deadline is pthread_mutex_clocklock in libstdc++, which ThreadSanitizer does not
// intercept, so a TSan build would misreport every lock taken that way; on the system clock it
// is pthread_mutex_timedlock, which it sees. A wall-clock jump only moves this one wait.
bool lock_before(std::unique_lock<std::timed_mutex>& lock, SteadyClock::time_point deadline) {
  const auto left = deadline - SteadyClock::now();
  return lock.try_lock_until(std::chrono::system_clock::now() +
                             std::chrono::duration_cast<std::chrono::system_clock::duration>(left));
}

// A flush's or shutdown's timeout as a deadline (milliseconds::max() is "as long as it takes",
// not a deadline in the past that gives up on everything at once).
SteadyClock::time_point deadline_after(std::chrono::milliseconds timeout) {
  return SteadyClock::now() + core::capped_wait(timeout);
}

Result to_result(core::CallOutcome outcome) {
  Result r;
  r.status = outcome.status;
  (outcome.status == Status::accepted ? r.message_id : r.error) = std::move(outcome.text);
  r.field = std::move(outcome.field);
  return r;
}

// Answers of a user-supplied transport, which may come from any thread and even after the
// client is gone: they are parked here (shared with the transport's callback) and handed to
// the driver by the thread that drives it.
struct AnswerBox {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<HttpResponse> answer;
};

}  // namespace

namespace native {

class HandOffTransport final : public Transport {
 public:
  explicit HandOffTransport(std::shared_ptr<Transport> user) : user_(std::move(user)) {}

  void send(HttpRequest request, Done done) override {
    pending_ = std::move(done);
    std::shared_ptr<AnswerBox> box = box_;
    const auto answer = [box](HttpResponse response) {
      {
        std::lock_guard<std::mutex> lock(box->mu);
        box->answer = std::move(response);
      }
      box->cv.notify_all();
    };
    // It must not throw, but one that does would otherwise end the process from the worker
    // thread: what it threw is the attempt's network error, retried as any other.
    std::string threw;
    try {
      user_->send(std::move(request), answer);
      return;
    } catch (const std::exception& e) {
      threw = std::string("the transport threw: ") + e.what();
    } catch (...) {
      threw = "the transport threw something that is not a std::exception";
    }
    std::lock_guard<std::mutex> lock(box->mu);
    if (!box->answer) {
      box->answer.emplace();
      box->answer->network_error = std::move(threw);
    }
  }

  /// Waits until `deadline` or `stop()` for the answer; hands it to the driver if it came.
  template <typename Stop>
  void await(SteadyClock::time_point deadline, Stop&& stop) {
    std::unique_lock<std::mutex> lock(box_->mu);
    box_->cv.wait_until(lock, deadline, [&] { return box_->answer.has_value() || stop(); });
    if (!box_->answer) return;
    HttpResponse response = std::move(*box_->answer);
    box_->answer.reset();
    lock.unlock();
    Done done = std::move(pending_);
    if (done) done(std::move(response));
  }

  void interrupt() {
    { std::lock_guard<std::mutex> lock(box_->mu); }
    box_->cv.notify_all();
  }

  /// In a forked child: the parent's answer is not ours.
  void forget_after_fork() {
    box_ = std::make_shared<AnswerBox>();
    new (&pending_) Done();
  }

 private:
  std::shared_ptr<Transport> user_;
  std::shared_ptr<AnswerBox> box_ = std::make_shared<AnswerBox>();
  Done pending_;
};

}  // namespace native

std::int64_t Client::Impl::monotonic_ms() { return native::steady_ms(); }
std::int64_t Client::Impl::queued_at_ms() { return native::coarse_steady_ms(); }
std::int64_t Client::Impl::unix_ms() { return rudder::unix_ms_now(); }

Client::Impl::Impl(Config config)
    : config_(std::move(config)), log_(config_.logger, config_.debug) {
  if (const std::string problem = config_.validate(); !problem.empty()) {
    throw std::invalid_argument("rudder::Client: " + problem);
  }
  Transport* transport = nullptr;
  if (config_.transport) {
    hand_off_ = std::make_unique<native::HandOffTransport>(config_.transport);
    transport = hand_off_.get();
  } else {
    native::TlsTrust trust = native::tls_trust(config_);
    curl_ = std::make_unique<native::CurlTransport>(
        native::CurlSettings{config_.proxy, std::move(trust.ca_file), std::move(trust.ca_path)}, abort_);
    transport = curl_.get();
  }
  if (!config_.sync_mode && config_.send && std::thread::hardware_concurrency() > 1) {
    // The worker hands bodies to a compression thread and sends meanwhile; on one core that
    // would only add thread switches. A finished compression wakes the worker to send it.
    auto gzip_thread = std::make_unique<native::GzipThread>(kGzipLevel, [this] { nudge_worker(); });
    gzip_thread_ = gzip_thread.get();
    gzipper_ = std::move(gzip_thread);
  } else {
    gzipper_ = std::make_unique<native::Gzipper>(kGzipLevel);
  }
  if (!config_.storage_dir.empty() && config_.send) {
    store_ = std::make_unique<native::SegmentStore>(config_.storage_dir,
                                                    core::EventLog::kDefaultBlockBytes, log_);
  }
  driver_ = std::make_unique<core::Driver>(
      core::driver_settings(config_, core::Naming::cpp, kLibraryName), *this, *transport,
      gzipper_.get(), native::fresh_seed(), store_.get(), &queue_memory_);
  // What earlier runs (or processes that died) left goes first.
  if (store_) {
    driver_->recover(store_->take_over_orphans());
    if (std::optional<std::string> refused = driver_->open_storage()) throw std::runtime_error(*refused);
  }
  native::register_for_fork(this);
  // The worker starts now, so the first call does not pay for creating a thread.
  if (!config_.sync_mode && config_.send) ensure_worker();
}

Client::Impl::~Impl() {
  shutdown(config_.shutdown_timeout);
  native::unregister_for_fork(this);
}

// ---- calls ---------------------------------------------------------------------------------

Result Client::Impl::call(core::MessageFields& fields, const CallOptions& options) {
  fields.anonymous_id = options.anonymous_id;
  fields.message_id = options.message_id;
  fields.context = &options.context;
  fields.integrations = &options.integrations;
  if (options.timestamp) fields.timestamp_unix_ms = rudder::unix_ms(*options.timestamp);
  if (config_.before_send) return through_before_send(core::fields_to_json(fields));
  return accepted_in_sync_mode(to_result(driver_->call(fields, native::thread_rng())));
}

// The user's hook sees the call as JSON; what it leaves goes on like a submit().
Result Client::Impl::through_before_send(json message) {
  const json as_given = message;  // what goes on should the hook throw halfway through an edit
  bool keep = true;
  try {
    keep = config_.before_send(message);
  } catch (const std::exception& e) {
    driver_->hook_threw(e.what());
    message = as_given;
  } catch (...) {
    driver_->hook_threw("an exception that is not a std::exception");
    message = as_given;
  }
  if (!keep) return to_result(driver_->drop_by_hook());
  return accepted_in_sync_mode(to_result(driver_->call_json_from_hook(message, native::thread_rng())));
}

Result Client::Impl::submit(const json& message) {
  if (config_.before_send) return through_before_send(message);
  // Straight to the core: a timestamp stays milliseconds (years 1 to 9999), never a
  // system_clock time point, whose nanoseconds cover only 1677 to 2262.
  return accepted_in_sync_mode(to_result(driver_->call_json(message, native::thread_rng())));
}

Result Client::Impl::call_text(core::MessageType type, std::string_view json_text) {
  if (config_.before_send) {
    // The hook sees a tree, as it does for every call; the text must be one to get there.
    // (Text that is no object, or names another type, is refused below as the core words it.)
    json message = json::parse(json_text, nullptr, false);
    const char* name = core::type_name(type);
    if (message.is_object() && message.value("type", json(name)) == name) {
      message["type"] = name;
      return through_before_send(std::move(message));
    }
  }
  return accepted_in_sync_mode(to_result(driver_->call_text(type, json_text, native::thread_rng())));
}

Result Client::Impl::submit_text(std::string_view json_text) {
  if (config_.before_send) {
    json message = json::parse(json_text, nullptr, false);
    if (message.is_object()) return through_before_send(std::move(message));
  }
  return accepted_in_sync_mode(to_result(driver_->submit_text(json_text, native::thread_rng())));
}

Result Client::Impl::accepted_in_sync_mode(Result result) {
  if (result.ok() && config_.sync_mode && config_.send) {
    // The call returns once its event (and everything before it) is delivered or given up on;
    // or, with storage, once stored events ride out an outage (the core settles a flush then,
    // see Driver::check_settled): after their retries run out, or at once while they wait for
    // the next attempt. Nothing drives between calls in sync mode, so an attempt that is due
    // goes first, before the flush begins.
    std::unique_lock<std::timed_mutex> sync(sync_mu_);
    driver_->pump();
    const std::uint64_t ticket = driver_->begin_flush();
    drive(SteadyClock::time_point::max(), [&] { return settled_ticket(ticket); });
    result.delivery = finish_flush(ticket);
  }
  return result;
}

// ---- DriverHost ------------------------------------------------------------------------------

void Client::Impl::wake() {
  if (config_.sync_mode || !config_.send) return;  // the calling thread drives, or nothing does
  ensure_worker();
  nudge_worker();
}

void Client::Impl::nudge_worker() {
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    wake_pending_ = true;
  }
  worker_cv_.notify_one();
}

bool Client::Impl::report(const core::Failure& failure) {
  if (!config_.on_error) return false;
  std::vector<json> events;
  events.reserve(failure.events.size());
  for (const auto& text : failure.events) events.push_back(json::parse(text, nullptr, false));
  // Whatever the user's handler throws stays here: delivery goes on.
  try {
    config_.on_error(failure.error, events);
  } catch (const std::exception& e) {
    log_(LogLevel::error, std::string("on_error threw: ") + e.what());
  } catch (...) {
    log_(LogLevel::error, "on_error threw something that is not a std::exception");
  }
  return true;
}

void Client::Impl::settled(std::uint64_t ticket) {
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    settled_.insert(ticket);
  }
  settled_cv_.notify_all();
}

bool Client::Impl::settled_ticket(std::uint64_t ticket) {
  std::lock_guard<std::mutex> lock(wait_mu_);
  return settled_.count(ticket) != 0;
}

FlushResult Client::Impl::finish_flush(std::uint64_t ticket) {
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    settled_.erase(ticket);
  }
  return driver_->end_flush(ticket);
}

// ---- the driving context -------------------------------------------------------------------

void Client::Impl::ensure_worker() {
  if (worker_running_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(wait_mu_);
  if (worker_running_.load(std::memory_order_relaxed) || stopping()) return;
  worker_ = std::thread(&Impl::run_worker, this);
  worker_running_.store(true, std::memory_order_release);
}

void Client::Impl::run_worker() {
  // Named so it is recognisable in top, perf and debuggers (15 characters at most).
  pthread_setname_np(pthread_self(), "rudder-worker");
  drive(SteadyClock::time_point::max(), [] { return false; });
}

template <typename Done>
void Client::Impl::drive(SteadyClock::time_point deadline, Done&& done) {
  while (!stopping() && !done()) {
    if (gzip_thread_ != nullptr) gzip_thread_->deliver();
    driver_->pump();
    if (store_) store_->prepare_spare();
    sync_storage_if_due();
    if (stopping() || done()) break;
    if (driver_->awaiting_answer()) {
      await_answer(deadline);
    } else {
      std::unique_lock<std::mutex> lock(wait_mu_);
      auto until = deadline;
      if (wake_at_ != core::kNoWake) {
        until = std::min(until, SteadyClock::time_point(std::chrono::milliseconds(wake_at_)));
      }
      if (store_ && config_.storage_sync_interval.count() > 0) until = std::min(until, next_sync_);
      const auto ready = [&] { return wake_pending_ || stopping(); };
      if (until == SteadyClock::time_point::max()) {
        worker_cv_.wait(lock, ready);
      } else {
        worker_cv_.wait_until(lock, until, ready);
      }
      wake_pending_ = false;
    }
    if (SteadyClock::now() >= deadline) break;
  }
}

void Client::Impl::sync_storage_if_due() {
  if (!store_ || config_.storage_sync_interval.count() == 0) return;
  const auto now = SteadyClock::now();
  if (now < next_sync_) return;
  store_->sync();
  next_sync_ = now + core::capped_wait(config_.storage_sync_interval);
}

void Client::Impl::await_answer(SteadyClock::time_point deadline) {
  if (curl_) {
    while (!stopping() && curl_->poll(kPollSlice) && SteadyClock::now() < deadline) {
    }
    return;
  }
  hand_off_->await(deadline, [this] { return stopping(); });
}

// ---- flush and shutdown --------------------------------------------------------------------

FlushResult Client::Impl::flush(std::chrono::milliseconds timeout) {
  const auto deadline = deadline_after(timeout);
  if (config_.sync_mode) {
    // Another thread may be driving (waiting out a Retry-After): wait for it only as long as
    // this flush may take.
    std::unique_lock<std::timed_mutex> sync(sync_mu_, std::defer_lock);
    const std::uint64_t ticket = driver_->begin_flush();
    if (lock_before(sync, deadline)) drive(deadline, [&] { return settled_ticket(ticket); });
    return finish_flush(ticket);
  }
  const std::uint64_t ticket = driver_->begin_flush();
  {
    std::unique_lock<std::mutex> lock(wait_mu_);
    settled_cv_.wait_until(lock, deadline, [&] { return settled_.count(ticket) != 0; });
  }
  return finish_flush(ticket);
}

FlushResult Client::Impl::shutdown(std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> once(shutdown_mu_);
  if (shutdown_result_) return *shutdown_result_;
  driver_->close();
  const auto deadline = deadline_after(timeout);
  const std::uint64_t ticket = driver_->begin_flush();
  std::unique_lock<std::timed_mutex> sync(sync_mu_, std::defer_lock);
  if (config_.sync_mode) {
    if (lock_before(sync, deadline)) drive(deadline, [&] { return settled_ticket(ticket); });
  } else {
    std::unique_lock<std::mutex> lock(wait_mu_);
    settled_cv_.wait_until(lock, deadline, [&] { return settled_.count(ticket) != 0; });
  }
  // Stop whoever drives (the worker, or a sync_mode call), interrupting a request still out.
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    abort_.store(true);
  }
  worker_cv_.notify_all();
  if (hand_off_) hand_off_->interrupt();
  if (worker_.joinable()) worker_.join();
  worker_running_.store(false);
  if (!sync.owns_lock()) sync.lock();
  // This thread is the driving context now: what is left is reported and counted.
  driver_->give_up();
  if (store_) store_->release();  // the driver let go of every segment
  shutdown_result_ = finish_flush(ticket);
  return *shutdown_result_;
}

void Client::Impl::after_fork_child() noexcept {
  // Only the forking thread exists here. Objects other threads were using are rebuilt in
  // place without destroying them (destroying could wait for, or free on behalf of, threads
  // that no longer exist); the few bytes they hold stay allocated.
  new (&worker_) std::thread();
  new (&worker_cv_) std::condition_variable();
  new (&settled_cv_) std::condition_variable();
  new (&wait_mu_) std::mutex();
  new (&sync_mu_) std::timed_mutex();
  new (&settled_) std::set<std::uint64_t>();
  worker_running_.store(false);
  wake_pending_ = false;
  wake_at_ = core::kNoWake;
  // The inherited queue is the parent's to deliver; sending it here too would duplicate it.
  driver_->forget_after_fork(native::fresh_seed());
  if (store_) store_->after_fork_child();  // after the driver let go of the parent's segments
  if (curl_) curl_->abandon_after_fork();
  if (hand_off_) hand_off_->forget_after_fork();
  if (gzip_thread_ != nullptr) gzip_thread_->forget_after_fork();
  // The gzipper stays: libdeflate sets its state up afresh on every call, so one the parent's
  // worker (or compression thread) was using mid-call is as good as new (and the driver holds
  // this one).
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
  return impl_->call(f, options);
}

Result Client::track(std::string_view user_id, std::string_view event, const json& properties,
                     const CallOptions& options) {
  auto f = fields_of(core::MessageType::track, user_id);
  f.event = event;
  f.properties = &properties;
  return impl_->call(f, options);
}

Result Client::page(std::string_view user_id, std::string_view category, std::string_view name,
                    const json& properties, const CallOptions& options) {
  auto f = fields_of(core::MessageType::page, user_id);
  f.category = category;
  f.name = name;
  f.properties = &properties;
  return impl_->call(f, options);
}

Result Client::screen(std::string_view user_id, std::string_view category, std::string_view name,
                      const json& properties, const CallOptions& options) {
  auto f = fields_of(core::MessageType::screen, user_id);
  f.category = category;
  f.name = name;
  f.properties = &properties;
  return impl_->call(f, options);
}

Result Client::group(std::string_view user_id, std::string_view group_id, const json& traits,
                     const CallOptions& options) {
  auto f = fields_of(core::MessageType::group, user_id);
  f.group_id = group_id;
  f.traits = &traits;
  return impl_->call(f, options);
}

Result Client::alias(std::string_view previous_id, std::string_view user_id,
                     const CallOptions& options) {
  auto f = fields_of(core::MessageType::alias, user_id);
  f.previous_id = previous_id;
  return impl_->call(f, options);
}

Result Client::submit(const json& message) { return impl_->submit(message); }
Result Client::submit_json(std::string_view json_text) { return impl_->submit_text(json_text); }

FlushResult Client::flush(std::chrono::milliseconds timeout) { return impl_->flush(timeout); }
FlushResult Client::shutdown(std::chrono::milliseconds timeout) { return impl_->shutdown(timeout); }
Stats Client::stats() const { return impl_->stats(); }

}  // namespace rudder
