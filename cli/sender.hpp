// rudder-analytics CLI: hands calls to the library and collects how delivery went.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <functional>

#include "rudder/analytics.hpp"

namespace rudder::cli {

/// How a run ended, for the report.
struct Outcome {
  Stats stats;  ///< the client's counters after shutdown (nothing pending any more)
  /// Submits refused with queue_full and then retried. Stats counts each such refusal under
  /// dropped[queue_full], but the event was not lost: the report subtracts these.
  std::uint64_t requeued = 0;
  /// The last batch the data plane refused, or that could not reach it (not the
  /// unsent-at-shutdown remainder, which Stats counts): its status and body say why.
  std::optional<DeliveryError> last_failure;
  /// A signal cut the flush short (to kInterruptedFlush): what it left was not left by the
  /// flush timeout running out.
  bool flush_cut = false;
  /// What the last attempt got before shutdown cut delivery short (FlushResult::last_attempt),
  /// e.g. "network error: Failed to connect ...": why the flush timeout ran out.
  std::string last_attempt;
};

class Sender {
 public:
  /// Starts a client on `config`, with on_error set to record failures. Throws
  /// std::invalid_argument, as Client does, when the config is unusable. `interrupted` says
  /// when the run was asked to stop (a signal): waits are then cut short.
  explicit Sender(Config config, std::function<bool()> interrupted = [] { return false; });

  /// Client::submit, except that a full queue is waited out instead of dropping the call:
  /// a batch tool must deliver every line of a large file, however fast it reads them. With
  /// a storage directory, a call the library could keep in memory only (the disk is full) is
  /// waited on until it is delivered, so that reading stops while storage fails: each line
  /// read is on the disk or delivered before the next is read, as kill -9 requires.
  Result send(const nlohmann::json& call);
  /// The same with the call as JSON text (Client::submit_json: numbers sent as written).
  Result send_json(std::string_view call);

  /// Waits up to `flush_timeout` for delivery (once interrupted, at most kInterruptedFlush
  /// more), then shuts the client down; what is still undelivered then is counted as dropped
  /// (unsent_at_shutdown), or kept with a storage directory. Call once.
  Outcome finish(std::chrono::milliseconds flush_timeout);

  /// The last flush an interrupted run makes before it reports and exits.
  static constexpr std::chrono::milliseconds kInterruptedFlush{5'000};

 private:
  /// client_->flush(wait), taking the whole wait even when the flush returns early with events
  /// pending (stored events riding out an outage), so that loops over it do not spin.
  FlushResult wait_for_delivery(std::chrono::milliseconds wait);
  /// send()'s waits around `submit` (one call to the client).
  template <typename Submit>
  Result send_with(Submit&& submit);

  // Written by on_error on the worker thread, read by finish(); shared with the callback so
  // it stays valid whatever order members are destroyed in.
  struct Failures {
    std::mutex mu;
    std::optional<DeliveryError> last;
  };
  std::shared_ptr<Failures> failures_;
  std::function<bool()> interrupted_;
  /// Waits, when the event just accepted was not stored, until nothing is pending.
  void hold_while_storage_fails();

  std::unique_ptr<Client> client_;
  std::uint64_t requeued_ = 0;
  bool stores_ = false;       // a storage directory is in use
  std::uint64_t stored_ = 0;  // Stats::stored after the last call
  bool said_held_ = false;
};

}  // namespace rudder::cli
