// rudder-analytics CLI: hands calls to the library and collects how delivery went.
// Copyright the rudder-analytics authors. MIT licence.
#include "sender.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>
#include <utility>

namespace rudder::cli {
namespace {

// How long to let the worker drain a full queue before offering the call again. Short, so
// reading resumes as soon as there is room; flush() returns early once the queue is empty.
constexpr std::chrono::milliseconds kQueueFullWait{250};

}  // namespace

// How often a wait looks at whether the run was interrupted.
constexpr std::chrono::milliseconds kWaitSlice{100};

Sender::Sender(Config config, std::function<bool()> interrupted)
    : failures_(std::make_shared<Failures>()), interrupted_(std::move(interrupted)) {
  config.on_error = [failures = failures_](const DeliveryError& error, const std::vector<json>&) {
    // The remainder abandoned at shutdown is counted by Stats; keep the last real refusal
    // (status and body) as the reason to show.
    if (error.kind == DeliveryError::Kind::unsent_at_shutdown) return;
    std::lock_guard<std::mutex> lock(failures->mu);
    failures->last = error;
  };
  stores_ = !config.storage_dir.empty() && config.send;
  client_ = std::make_unique<Client>(std::move(config));
  stored_ = client_->stats().stored;
}

Result Sender::send(const nlohmann::json& call) {
  return send_with([&] { return client_->submit(call); });
}

Result Sender::send_json(std::string_view call) {
  return send_with([&] { return client_->submit_json(call); });
}

template <typename Submit>
Result Sender::send_with(Submit&& submit) {
  Result result = submit();
  while (result.status == Status::queue_full && !interrupted_()) {
    ++requeued_;
    wait_for_delivery(kQueueFullWait);
    result = submit();
  }
  if (result && stores_) hold_while_storage_fails();
  return result;
}

void Sender::hold_while_storage_fails() {
  const std::uint64_t stored = client_->stats().stored;
  if (stored > stored_) {
    stored_ = stored;
    return;
  }
  // Kept in memory only (the library warned why): reading on would put every later line at
  // the mercy of a kill -9 too. The producer waits instead, and the library tries the disk
  // again with the next line.
  if (!said_held_) {
    said_held_ = true;
    std::fprintf(stderr, "warning: --storage-dir cannot store events now: each line read is delivered before "
                         "the next one is read, until it can\n");
  }
  while (!interrupted_() && wait_for_delivery(kQueueFullWait).pending > 0) {
  }
}

FlushResult Sender::wait_for_delivery(std::chrono::milliseconds wait) {
  const auto until = std::chrono::steady_clock::now() + wait;
  const FlushResult result = client_->flush(wait);
  // A flush returns at once while stored events ride out an outage (the library does not wait
  // for the data plane to come back): the rest of the wait is slept, or the loops calling this
  // would spin a core until the flush timeout.
  if (result.pending > 0) std::this_thread::sleep_until(until);
  return result;
}

Outcome Sender::finish(std::chrono::milliseconds flush_timeout) {
  // Flushed in slices, so that a signal cuts a long wait down to kInterruptedFlush.
  using SteadyClock = std::chrono::steady_clock;
  auto deadline = SteadyClock::now() + flush_timeout;
  bool cut = false;
  for (;;) {
    if (!cut && interrupted_()) {
      cut = true;
      deadline = std::min(deadline, SteadyClock::now() + kInterruptedFlush);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left <= std::chrono::milliseconds(0)) break;
    if (wait_for_delivery(std::min(left, kWaitSlice)).pending == 0) break;  // all settled
  }
  // flush() above already waited as long as the user allowed: shut down without waiting
  // again, so the run ends within --flush-timeout and the remainder is counted as unsent.
  const FlushResult closed = client_->shutdown(std::chrono::milliseconds(0));
  Outcome outcome;
  outcome.last_attempt = closed.last_attempt;  // why the flush timeout left what it left
  outcome.stats = client_->stats();
  outcome.requeued = requeued_;
  outcome.flush_cut = cut;
  std::lock_guard<std::mutex> lock(failures_->mu);
  outcome.last_failure = failures_->last;
  return outcome;
}

}  // namespace rudder::cli
