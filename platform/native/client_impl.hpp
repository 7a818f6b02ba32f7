// rudder-analytics native platform: Client::Impl, the core's driver run by a worker thread
// (client.cpp), behind both the C++ Client and the C API (c_api.cpp).
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>

#include "core/driver.hpp"
#include "core/message.hpp"
#include "native/adaptive_mutex.hpp"
#include "native/fork_guard.hpp"
#include "native/huge_page_memory.hpp"
#include "native/log.hpp"
#include "rudder/analytics.hpp"

namespace rudder {
namespace native {
class CurlTransport;
class GzipThread;
class SegmentStore;
class HandOffTransport;
}  // namespace native

// Hidden: the class is declared inside the exported Client, whose visibility it would take.
class __attribute__((visibility("hidden"))) Client::Impl final : public native::ForkAware, public core::DriverHost {
 public:
  explicit Impl(Config config);
  ~Impl() override;

  Result call(core::MessageFields& fields, const CallOptions& options);
  Result submit(const json& message);
  /// The C API's calls: the message as JSON text, its type given (`type`) or inside ("type").
  Result call_text(core::MessageType type, std::string_view json_text);
  Result submit_text(std::string_view json_text);
  /// A call the C API refused before it reached the driver (no message): counted as invalid.
  void count_invalid() { driver_->count_refused(DropReason::invalid); }
  Result through_before_send(json message);
  FlushResult flush(std::chrono::milliseconds timeout);
  FlushResult shutdown(std::chrono::milliseconds timeout);
  Stats stats() const { return driver_->stats(); }

  void before_fork() noexcept override { mu_.lock(); }
  void after_fork_parent() noexcept override { mu_.unlock(); }
  void after_fork_child() noexcept override;

 private:
  using SteadyClock = std::chrono::steady_clock;

  // core::DriverHost
  std::int64_t monotonic_ms() override;
  std::int64_t unix_ms() override;
  std::int64_t queued_at_ms() override;  // a call's: the coarse clock
  void lock() override { mu_.lock(); }
  void unlock() override { mu_.unlock(); }
  void wake() override;
  void wake_at(std::int64_t when) override { wake_at_ = when; }
  void log(LogLevel level, std::string_view message) override { log_(level, message); }
  bool report(const core::Failure& failure) override;
  void settled(std::uint64_t ticket) override;

  Result accepted_in_sync_mode(Result result);
  void ensure_worker();
  void nudge_worker();  // wakes a waiting worker (a compression finished, work arrived)
  void run_worker();
  // Runs the driver on this thread until `done()` or `deadline`; the caller is the one
  // driving context (the worker, or a sync_mode caller holding sync_mu_).
  template <typename Done>
  void drive(SteadyClock::time_point deadline, Done&& done);
  void await_answer(SteadyClock::time_point deadline);
  void sync_storage_if_due();
  bool settled_ticket(std::uint64_t ticket);
  FlushResult finish_flush(std::uint64_t ticket);
  bool stopping() const { return abort_.load(std::memory_order_relaxed); }

  const Config config_;
  const native::Log log_;

  native::AdaptiveMutex mu_;  // the driver's lock
  std::mutex wait_mu_;
  std::condition_variable worker_cv_;     // wakes the worker: work arrived, flush, shutdown
  std::condition_variable settled_cv_;    // wakes flush(): a ticket settled
  bool wake_pending_ = false;             // guarded by wait_mu_
  std::set<std::uint64_t> settled_;       // settled tickets not yet collected; by wait_mu_
  std::int64_t wake_at_ = core::kNoWake;  // the driving context's

  std::atomic<bool> abort_{false};  // the worker must stop now, mid-request if need be
  std::atomic<bool> worker_running_{false};
  std::thread worker_;
  std::timed_mutex sync_mu_;  // one caller at a time drives delivery in sync_mode
  std::mutex shutdown_mu_;    // one shutdown at a time
  std::optional<FlushResult> shutdown_result_;

  // Used only by the driving context.
  std::unique_ptr<native::CurlTransport> curl_;  // the default transport, or null
  std::unique_ptr<native::HandOffTransport> hand_off_;   // around the user's transport, or null
  // gzip: on a thread of its own when a worker drives on a machine with cores to spare
  // (gzip_thread_ then points at it), else synchronously on the driving thread.
  std::unique_ptr<core::Compressor> gzipper_;
  native::GzipThread* gzip_thread_ = nullptr;
  std::unique_ptr<native::SegmentStore> store_;  // with storage_dir; outlives the driver
  native::HugePageMemory queue_memory_;           // the queue's memory blocks; outlives the driver
  SteadyClock::time_point next_sync_;            // the driving context's; storage_sync_interval
  std::unique_ptr<core::Driver> driver_;
};

}  // namespace rudder
