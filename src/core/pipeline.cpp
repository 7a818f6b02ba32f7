// rudder-analytics core: the delivery state machine.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/pipeline.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace rudder::core {

namespace {

std::size_t json_bytes(const std::vector<LoggedEvent>& events) {
  std::size_t bytes = 0;
  for (const LoggedEvent& e : events) bytes += e.json_open.size();
  return bytes;
}

}  // namespace

Pipeline::Pipeline(const PipelineSettings& settings, std::uint64_t seed, BlockStore* store,
                   BlockMemory* memory)
    : settings_(settings), batch_bytes_(settings.max_batch_bytes), rng_(seed),
      log_(EventLog::kDefaultBlockBytes, store, memory),
      stores_(store != nullptr) {
  // The platforms validate their config; this keeps a careless one from cutting empty
  // batches forever.
  settings_.upload_size = std::max<std::size_t>(settings_.upload_size, 1);
}

Pipeline::Enqueued Pipeline::enqueue(std::string_view json_open, std::int64_t enqueued_at) {
  // Bounded by bytes, so a burst of small events is not refused while memory is plenty; by
  // count only when asked. Refused, never blocked: the caller may be a request handler.
  const std::size_t byte_limit = stores_ ? settings_.max_storage_bytes : settings_.max_queue_bytes;
  Enqueued refusal = Enqueued::accepted;
  if (settings_.max_queue_size != 0 && queue_.size() >= settings_.max_queue_size) {
    refusal = Enqueued::queue_full;
  } else if (pending_bytes_ + json_open.size() > byte_limit) {
    refusal = stores_ ? Enqueued::storage_full : Enqueued::queue_bytes_full;
  }
  if (refusal != Enqueued::accepted) {
    ++stats_.dropped[static_cast<std::size_t>(DropReason::queue_full)];
    return refusal;
  }
  const bool was_empty = queue_.empty();
  const std::size_t body_before = batch_body_size(queue_.size(), queue_wire_bytes_);
  queue_.push_back(log_.append(json_open, enqueued_at));
  queue_wire_bytes_ += queue_.back().wire_size();
  pending_bytes_ += json_open.size();
  ++stats_.queued;
  stats_.stored += queue_.back().stored;
  // Wake the driver only on the transitions it cannot foresee: the first event starts an
  // upload_interval deadline; reaching a full batch (by count or bytes) makes one sendable.
  const bool full_by_count = queue_.size() == settings_.upload_size;
  const bool full_by_bytes = body_before < batch_bytes_ &&
                             batch_body_size(queue_.size(), queue_wire_bytes_) >= batch_bytes_;
  return (was_empty || full_by_count || full_by_bytes) ? Enqueued::accepted_wake
                                                       : Enqueued::accepted;
}

Pipeline::Recovery Pipeline::recover(const std::vector<BlockStore::Block>& segments) {
  std::vector<LoggedEvent> events;
  Recovery recovery;
  for (const BlockStore::Block& segment : segments) {
    const EventLog::Adoption adopted = log_.adopt(segment, events);
    stats_.corrupt_skipped += adopted.corrupt;
    recovery.foreign_segments += adopted.foreign ? 1 : 0;
    stats_.foreign_segments += adopted.foreign ? 1 : 0;
    recovery.repaired_segments += adopted.repaired ? 1 : 0;
    recovery.set_aside += adopted.set_aside ? 1 : 0;
    recovery.read_from_top += adopted.from_top ? 1 : 0;
  }
  for (const LoggedEvent& e : events) {
    queue_.push_back(e);
    queue_wire_bytes_ += e.wire_size();
    pending_bytes_ += e.json_open.size();
  }
  stats_.queued += events.size();
  stats_.recovered += events.size();
  recovery.events = events.size();
  return recovery;
}

void Pipeline::count_refused(DropReason reason) noexcept {
  ++stats_.dropped[static_cast<std::size_t>(reason)];
}

bool Pipeline::batch_ready(std::int64_t now, bool flushing) const noexcept {
  if (queue_.empty()) return false;
  // By bytes, a batch is full once the queue's body would reach max_batch_bytes: nothing
  // more could join the batch cut from its front (comparing the events' sizes alone, without
  // the envelope and commas, would leave such a batch waiting for upload_interval).
  return flushing || queue_.size() >= settings_.upload_size ||
         batch_body_size(queue_.size(), queue_wire_bytes_) >= batch_bytes_ ||
         now - queue_.front().enqueued_at >= settings_.upload_interval_ms;
}

void Pipeline::cut_batch() {
  Batch batch;
  batch.id = next_batch_id_++;
  std::size_t event_bytes = 0;
  auto end = queue_.begin();
  // The first event always goes (it fits on its own, see PipelineSettings); the rest while
  // both the count and the exact body size stay within bounds.
  while (end != queue_.end() && batch.events.size() < settings_.upload_size) {
    const std::size_t next_bytes = event_bytes + end->wire_size();
    if (!batch.events.empty() &&
        batch_body_size(batch.events.size() + 1, next_bytes) > batch_bytes_) {
      break;
    }
    event_bytes = next_bytes;
    batch.events.push_back(*end);
    ++end;
  }
  queue_.erase(queue_.begin(), end);
  queue_wire_bytes_ -= event_bytes;
  outgoing_events_ += batch.events.size();
  outgoing_.push_back(std::move(batch));
}

std::size_t Pipeline::body_bytes(const Batch& batch, std::size_t from, std::size_t to) noexcept {
  std::size_t event_bytes = 0;
  for (std::size_t i = from; i < to; ++i) event_bytes += batch.events[i].wire_size();
  return batch_body_size(to - from, event_bytes);
}

void Pipeline::split_front(bool fresh) {
  Batch& head = outgoing_.front();
  // Halves keep their events (and so their messageIds); after a 413 they start with fresh
  // attempts, as new batches.
  Batch second;
  second.id = next_batch_id_++;
  second.may_have_arrived = head.may_have_arrived;
  auto middle = head.events.begin() + static_cast<std::ptrdiff_t>(head.events.size() / 2);
  second.events.assign(middle, head.events.end());
  head.events.erase(middle, head.events.end());
  head.id = next_batch_id_++;  // a new batch: no body built for the whole may be reused
  if (fresh) {
    head.attempts = 0;
    head.not_before = 0;
  } else {
    second.attempts = head.attempts;
    second.not_before = head.not_before;
  }
  outgoing_.insert(outgoing_.begin() + 1, std::move(second));  // `head` is invalid from here
}

Step Pipeline::next_step(std::int64_t now, bool flushing) {
  log_.trim_spares(now);
  if (in_flight_) return {Step::Kind::in_flight, 0};
  if (outgoing_.empty() && batch_ready(now, flushing)) cut_batch();
  // Batches cut before a 413 lowered the limit (the halves of the refused one, or the batch
  // cut ahead) are split before they go, instead of after their own refusal.
  while (!outgoing_.empty() && outgoing_.front().events.size() > 1 &&
         body_bytes(outgoing_.front(), 0, outgoing_.front().events.size()) > batch_bytes_) {
    split_front(/*fresh=*/false);
  }
  if (!outgoing_.empty()) {
    Batch& head = outgoing_.front();
    if (head.not_before > now) return {Step::Kind::wait, head.not_before};
    ++head.attempts;
    in_flight_ = true;
    return {Step::Kind::send, 0, head.id};
  }
  if (!queue_.empty()) {
    return {Step::Kind::wait, queue_.front().enqueued_at + settings_.upload_interval_ms};
  }
  // Nothing to send: wake once more only to let go of a burst's spare memory.
  if (const std::optional<std::int64_t> expiry = log_.next_spare_expiry()) return {Step::Kind::wait, *expiry};
  return {Step::Kind::idle, 0};
}

std::string Pipeline::build_request(std::int64_t now_unix_ms) const {
  if (!in_flight_) return {};
  return build_batch_body(outgoing_.front().events, now_unix_ms);
}

std::optional<std::uint64_t> Pipeline::cut_next(std::int64_t now, bool flushing) {
  if (!in_flight_ || outgoing_.size() > kBatchesCutAhead || !batch_ready(now, flushing)) {
    return std::nullopt;
  }
  cut_batch();
  return outgoing_.back().id;
}

std::string Pipeline::build_body(std::uint64_t id, std::int64_t now_unix_ms) const {
  for (const Batch& batch : outgoing_) {
    if (batch.id == id) return build_batch_body(batch.events, now_unix_ms);
  }
  return {};
}

std::size_t Pipeline::request_event_count() const noexcept {
  return in_flight_ ? outgoing_.front().events.size() : 0;
}

int Pipeline::request_attempt() const noexcept {
  return in_flight_ ? outgoing_.front().attempts : 0;
}

Failure Pipeline::give_up(const Batch& batch, DeliveryError error, std::int64_t now_unix_ms) const {
  Failure failure{std::move(error), {}};
  failure.events.reserve(batch.events.size());
  for (const auto& e : batch.events) failure.events.push_back(e.complete_json(now_unix_ms));
  return failure;
}

std::optional<Failure> Pipeline::on_response(const Response& response, std::int64_t now,
                                             std::int64_t now_unix_ms) {
  if (!in_flight_) return std::nullopt;  // no request out (e.g. abandoned meanwhile)
  in_flight_ = false;
  Batch& head = outgoing_.front();
  const std::size_t count = head.events.size();
  const Verdict verdict = classify(response);
  last_attempt_retryable_ = verdict == Verdict::retry;
  last_attempt_unanswered_ = response.status == 0 && !response.redirected;
  if (response.status == 0 && !response.not_sent && !response.redirected) {
    head.may_have_arrived = true;
  }
  if (response.resent) {
    // An earlier send of this request got no answer and the transport sent it again itself:
    // that copy may have been stored, and it was an attempt of its own.
    head.may_have_arrived = true;
    ++head.attempts;
    ++stats_.retried;
  }

  if (verdict == Verdict::delivered) {
    last_failed_answer_.clear();
    stats_.delivered += count;
    outgoing_events_ -= count;
    release(count, json_bytes(head.events));
    outgoing_.pop_front();
    return std::nullopt;
  }
  last_failed_answer_ = describe(response);  // what shutdown reports if it comes to that
  if (verdict == Verdict::split && count > 1) {
    // The data plane's limit is below this body: from now on batches are no larger than the
    // larger half, rather than each meet the refusal and split again (see next_step).
    const std::size_t half = count / 2;
    batch_bytes_ = std::min(batch_bytes_, std::max(body_bytes(head, 0, half), body_bytes(head, half, count)));
    split_front(/*fresh=*/true);
    return std::nullopt;
  }
  // A batch wholly in storage is never given up on for a retryable failure (the data plane
  // down, overloaded or unreachable): giving up would delete it from storage, and storage is
  // there so that such an outage loses nothing. It waits at the back-off cap instead, and
  // what shutdown leaves is kept for a later run.
  const bool durable = std::all_of(head.events.begin(), head.events.end(),
                                   [](const LoggedEvent& e) { return e.stored; });
  if (verdict == Verdict::retry && (head.attempts <= settings_.max_retries || durable)) {
    const auto asked = retry_after_ms(response.retry_after, now_unix_ms, settings_.retry_after_cap_ms);
    const std::int64_t delay =
        asked ? *asked
              : backoff_ms(head.attempts, settings_.backoff_base_ms, settings_.backoff_cap_ms, rng_);
    head.not_before = now + delay;
    ++stats_.retried;
    return std::nullopt;
  }

  DeliveryError error;
  if (head.may_have_arrived) {
    error.kind = DeliveryError::Kind::unknown_outcome;
  } else if (response.status == 0 && !response.redirected) {
    error.kind = DeliveryError::Kind::network;
  } else {
    error.kind = DeliveryError::Kind::http_status;
  }
  error.status = response.status;
  error.body = response.body;
  error.attempts = head.attempts;
  error.message = describe(response);
  if (verdict == Verdict::retry) {
    error.message += " (gave up after " + std::to_string(head.attempts) +
                     (head.attempts == 1 ? " attempt)" : " attempts)");
  }
  if (head.may_have_arrived) {
    error.message += "; an attempt got no answer, so the data plane may have stored these events";
  }
  Failure failure = give_up(head, std::move(error), now_unix_ms);
  (head.may_have_arrived ? stats_.unknown : stats_.failed) += count;
  outgoing_events_ -= count;
  release(count, json_bytes(head.events));
  outgoing_.pop_front();
  return failure;
}

std::string Pipeline::beacon_body(std::size_t max_body_bytes, std::int64_t now_unix_ms, bool after_in_flight) {
  std::vector<LoggedEvent> piece;
  std::size_t event_bytes = 0;
  // False once the piece is full: events stay in order, so nothing after a misfit is taken.
  auto take = [&](const LoggedEvent& e) {
    const std::size_t next_bytes = event_bytes + e.wire_size();
    if (!piece.empty() && batch_body_size(piece.size() + 1, next_bytes) > max_body_bytes) {
      return false;
    }
    event_bytes = next_bytes;
    piece.push_back(e);
    return true;
  };
  bool full = false;
  auto batch = outgoing_.begin();
  if (after_in_flight && in_flight_ && batch != outgoing_.end()) ++batch;
  for (; batch != outgoing_.end() && !full; ++batch) {
    for (const LoggedEvent& e : batch->events) {
      if (!take(e)) {
        full = true;
        break;
      }
    }
  }
  for (auto e = queue_.begin(); e != queue_.end() && !full; ++e) full = !take(*e);
  beacon_events_ = piece.size();
  if (piece.empty()) return {};
  return build_batch_body(piece, now_unix_ms);
}

bool Pipeline::commit_beacon() {
  std::size_t left = beacon_events_;
  beacon_events_ = 0;
  stats_.beaconed += left;
  // Views are dropped below before their bytes are.
  const std::size_t released = left;
  std::size_t released_bytes = 0;
  bool took_in_flight = false;
  while (left > 0 && !outgoing_.empty()) {
    Batch& head = outgoing_.front();
    const std::size_t n = std::min(left, head.events.size());
    if (in_flight_) {
      // The request in flight no longer stands for this batch: its answer is not applied.
      in_flight_ = false;
      took_in_flight = true;
    }
    for (std::size_t i = 0; i < n; ++i) released_bytes += head.events[i].json_open.size();
    head.events.erase(head.events.begin(), head.events.begin() + static_cast<std::ptrdiff_t>(n));
    head.id = next_batch_id_++;  // what remains is a new batch: no body built earlier fits it
    outgoing_events_ -= n;
    left -= n;
    if (head.events.empty()) outgoing_.pop_front();
  }
  for (; left > 0 && !queue_.empty(); --left) {
    queue_wire_bytes_ -= queue_.front().wire_size();
    released_bytes += queue_.front().json_open.size();
    queue_.pop_front();
  }
  release(released, released_bytes);
  return took_in_flight;
}

std::size_t Pipeline::hand_over_in_flight() {
  if (!in_flight_ || outgoing_.empty()) return 0;
  // What a beacon that took exactly the batch in flight commits: its events, the oldest
  // pending, leave the log (and storage) first, counted as beaconed.
  const std::size_t n = outgoing_.front().events.size();
  beacon_events_ = n;
  commit_beacon();
  return n;
}

void Pipeline::release(std::size_t events, std::size_t bytes) noexcept {
  pending_bytes_ -= bytes;
  log_.release_oldest(events);
}

bool Pipeline::idle() const noexcept { return queue_.empty() && outgoing_.empty(); }

bool Pipeline::oldest_pending_stored() const noexcept {
  if (!outgoing_.empty()) return outgoing_.front().events.front().stored;
  return !queue_.empty() && queue_.front().stored;
}

bool Pipeline::stored_while_unreachable() const noexcept {
  return last_attempt_retryable_ && oldest_pending_stored();
}

int Pipeline::stored_batch_overdue_attempts() const noexcept {
  if (in_flight_ || outgoing_.empty() || !last_attempt_retryable_) return 0;
  // Only a batch wholly in storage is still waiting after more (see on_response).
  const Batch& head = outgoing_.front();
  return head.attempts > settings_.max_retries ? head.attempts : 0;
}

bool Pipeline::retry_now(std::int64_t now) noexcept {
  // Only a wait the network caused: a data plane's Retry-After or 5xx back-off still holds.
  if (in_flight_ || outgoing_.empty() || !last_attempt_unanswered_ || outgoing_.front().not_before <= now) return false;
  outgoing_.front().not_before = now;
  return true;
}

std::int64_t Pipeline::retry_not_before() const noexcept {
  if (in_flight_ || outgoing_.empty() || !last_attempt_retryable_) return 0;
  return outgoing_.front().not_before;
}

std::vector<Failure> Pipeline::abandon(std::int64_t now_unix_ms, std::string_view ended_by) {
  Failure unsent;
  unsent.error.kind = DeliveryError::Kind::unsent_at_shutdown;
  unsent.error.message = std::string(ended_by) + " timeout passed before these events were delivered";
  Failure unknown;
  unknown.error.kind = DeliveryError::Kind::unknown_outcome;
  unknown.error.message = std::string(ended_by) +
                          " timeout passed before the data plane confirmed these events; they were sent "
                          "and may have been stored";
  // Why they were still here: a flush that timed out against a data plane that is down says so.
  unsent.error.last_attempt = unknown.error.last_attempt = last_failed_answer_;
  unsent.error.message += last_attempt_note(last_failed_answer_);
  unknown.error.message += last_attempt_note(last_failed_answer_);
  std::uint64_t kept = 0;
  for (std::size_t i = 0; i < outgoing_.size(); ++i) {
    const Batch& batch = outgoing_[i];
    // The request in flight has left: whether it arrives is out of our hands now.
    const bool maybe = batch.may_have_arrived || (i == 0 && in_flight_);
    Failure& into = maybe ? unknown : unsent;
    for (const auto& e : batch.events) {
      if (e.stored) {
        ++kept;  // a later run sends it (again: the data plane drops a copy by messageId)
        continue;
      }
      into.error.attempts = std::max(into.error.attempts, batch.attempts);
      into.events.push_back(e.complete_json(now_unix_ms));
    }
  }
  for (const auto& e : queue_) {
    if (e.stored) {
      ++kept;
    } else {
      unsent.events.push_back(e.complete_json(now_unix_ms));
    }
  }
  stats_.kept += kept;
  stats_.unknown += unknown.events.size();
  stats_.dropped[static_cast<std::size_t>(DropReason::unsent_at_shutdown)] += unsent.events.size();
  queue_.clear();
  queue_wire_bytes_ = 0;
  outgoing_.clear();
  outgoing_events_ = 0;
  in_flight_ = false;
  log_.clear();
  pending_bytes_ = 0;
  std::vector<Failure> failures;
  if (!unknown.events.empty()) failures.push_back(std::move(unknown));
  if (!unsent.events.empty()) failures.push_back(std::move(unsent));
  return failures;
}

void Pipeline::reset(std::uint64_t seed) {
  rng_.reseed(seed);
  queue_.clear();
  queue_wire_bytes_ = 0;
  outgoing_.clear();
  outgoing_events_ = 0;
  in_flight_ = false;
  log_.forget();
  pending_bytes_ = 0;
  stats_ = Stats{};
}

Stats Pipeline::stats() const noexcept {
  Stats s = stats_;
  s.pending = queue_.size() + outgoing_events_;
  return s;
}

}  // namespace rudder::core
