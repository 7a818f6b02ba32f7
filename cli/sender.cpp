// rudder-analytics CLI: hands calls to the library and collects how delivery went.
// Copyright the rudder-analytics authors. MIT licence.
#include "sender.hpp"

#include <utility>

namespace rudder::cli {
namespace {

// How long to let the worker drain a full queue before offering the call again. Short, so
// reading resumes as soon as there is room; flush() returns early once the queue is empty.
constexpr std::chrono::milliseconds kQueueFullWait{250};

}  // namespace

Sender::Sender(Config config) : failures_(std::make_shared<Failures>()) {
  config.on_error = [failures = failures_](const DeliveryError& error, const std::vector<json>&) {
    // The remainder abandoned at shutdown is counted by Stats; keep the last real refusal
    // (status and body) as the reason to show.
    if (error.kind == DeliveryError::Kind::unsent_at_shutdown) return;
    std::lock_guard<std::mutex> lock(failures->mu);
    failures->last = error;
  };
  client_ = std::make_unique<Client>(std::move(config));
}

Result Sender::send(const nlohmann::json& call) {
  Result result = client_->submit(call);
  while (result.status == Status::queue_full) {
    ++requeued_;
    client_->flush(kQueueFullWait);
    result = client_->submit(call);
  }
  return result;
}

Outcome Sender::finish(std::chrono::milliseconds flush_timeout) {
  client_->flush(flush_timeout);
  // flush() above already waited as long as the user allowed: shut down without waiting
  // again, so the run ends within --flush-timeout and the remainder is counted as unsent.
  client_->shutdown(std::chrono::milliseconds(0));
  Outcome outcome;
  outcome.stats = client_->stats();
  outcome.requeued = requeued_;
  std::lock_guard<std::mutex> lock(failures_->mu);
  outcome.last_failure = failures_->last;
  return outcome;
}

}  // namespace rudder::cli
