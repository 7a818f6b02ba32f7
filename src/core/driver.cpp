// rudder-analytics core: the one delivery driver both targets run.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/driver.hpp"

#include <algorithm>
#include <utility>

#include "core/config_limits.hpp"
#include "core/endpoint.hpp"
#include "core/json_text.hpp"
#include "core/json_writer.hpp"
#include "core/per_thread.hpp"
#include "core/segment.hpp"
#include "core/text.hpp"
#include "rudder/analytics.hpp"

namespace rudder::core {
namespace {

// The host's lock for one scope.
class Guard {
 public:
  explicit Guard(DriverHost& host) : host_(host) { host_.lock(); }
  ~Guard() { host_.unlock(); }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  DriverHost& host_;
};

// Events that have reached an end: the count a flush ticket waits for. Delivery is in queue
// order (only the oldest batch is ever sent; split halves and beacon pieces keep the order),
// so once this reaches the count queued when a flush began, every event before it is settled.
std::uint64_t settled_events(const Stats& s) {
  return s.delivered + s.failed + s.unknown + s.beaconed + s.kept +
         s.dropped_for(DropReason::unsent_at_shutdown);
}

// What a call after the end hears, naming the method the caller's API has: shutdown() in C++
// (rudder_shutdown() in C), close() in the npm package, which has no shutdown().
const char* closed_message(Naming naming) {
  return naming == Naming::js ? "client: is closed (close() was called)"
                              : "client: is shut down (shutdown() was called)";
}

}  // namespace

DriverSettings driver_settings(const Config& config, Naming naming, std::string_view library_name) {
  PipelineSettings pipeline;
  pipeline.max_queue_size = config.max_queue_size;
  pipeline.max_queue_bytes = config.max_queue_bytes;
  pipeline.max_storage_bytes = config.max_storage_bytes;
  pipeline.upload_size = config.upload_size;
  pipeline.max_batch_bytes = std::min(config.max_batch_bytes, kGatewayMaxBodyBytes);
  pipeline.upload_interval_ms = static_cast<std::int64_t>(capped_wait(config.upload_interval).count());
  pipeline.max_retries = config.max_retries;
  DriverSettings s{pipeline, BuildSettings(config.max_message_bytes, config.channel, library_name,
                                           kLibraryVersion)};
  s.url = batch_endpoint(config.data_plane_url);
  s.authorization = basic_authorization(config.write_key);
  s.user_agent = std::string(library_name) + "/" + kLibraryVersion;
  s.timeout = capped_wait(config.timeout);
  s.send = config.send;
  s.gzip = config.gzip;
  s.debug = config.debug;
  s.naming = naming;
  s.batch_bytes_clamped = config.max_batch_bytes > kGatewayMaxBodyBytes;
  return s;
}

Driver::Driver(DriverSettings settings, DriverHost& host, Transport& transport,
               Compressor* compressor, std::uint64_t seed, BlockStore* store,
               BlockMemory* memory)
    : settings_(std::move(settings)),
      host_(host),
      transport_(transport),
      compressor_(settings_.gzip ? compressor : nullptr),
      pipeline_(settings_.pipeline, seed, store, memory) {
  if (store != nullptr) store->destination = segment::destination_tag(settings_.authorization);
  if (settings_.batch_bytes_clamped) {
    host_.log(LogLevel::warning, setting("max_batch_bytes") +
                                     " is above the data plane's limit; using " +
                                     std::to_string(kGatewayMaxBodyBytes));
  }
}

std::string Driver::setting(std::string_view cpp_name) const {
  return std::string(setting_name(cpp_name, settings_.naming));
}

// ---- the call path ----------------------------------------------------------------------

CallOutcome Driver::refuse_closed() {
  bool first = false;
  {
    Guard guard(host_);
    pipeline_.count_refused(DropReason::shut_down);
    first = !std::exchange(closed_call_warned_, true);
  }
  // Said once: a server that closes the client before its last requests end (a SIGTERM
  // handler) drops their events, and a status nobody reads would be the only trace.
  if (first) {
    host_.log(LogLevel::warning,
              settings_.naming == Naming::js
                  ? "a call came after close() and was dropped; so are any later ones, counted in "
                    "stats().dropped.shut_down (close the client once nothing calls it any more)"
                  : "a call came after shutdown() and was dropped; so are any later ones, counted in "
                    "stats().dropped_for(DropReason::shut_down) (shut down once nothing calls it any more)");
  }
  return {Status::shut_down, closed_message(settings_.naming)};
}

CallOutcome Driver::refuse_invalid(MessageType type, const FieldError& error) {
  count_refused(DropReason::invalid);
  std::string text = error.to_string();
  if (settings_.debug)
    host_.log(LogLevel::debug, std::string(type_name(type)) + " refused: " + text);
  return {Status::invalid, std::move(text), error.field, error.kind};
}

void Driver::count_refused(DropReason reason) {
  Guard guard(host_);
  pipeline_.count_refused(reason);
}

CallOutcome Driver::drop_by_hook() {
  {
    Guard guard(host_);
    pipeline_.count_refused(DropReason::by_plugin);
  }
  return {Status::dropped, setting("before_send") + ": dropped the event"};
}

CallOutcome Driver::call_json_from_hook(const nlohmann::json& message, Rng& rng) {
  CallOutcome outcome = call_json(message, rng);
  if (outcome.status == Status::invalid) outcome.text += " (in the message " + setting("before_send") + " returned)";
  return outcome;
}

void Driver::hook_threw(std::string_view what) {
  host_.log(LogLevel::error, setting("before_send") + " threw (" + std::string(what) +
                                 "); the event goes on without its change");
}

CallOutcome Driver::call(const MessageFields& fields, Rng& rng) {
  if (!settings_.remember_identity) return deliver(fields, rng);
  MessageFields with = fields;
  // When the call was made: the session's activity, and (deliver) its originalTimestamp.
  with.called_at_unix_ms = fields.called_at_unix_ms.value_or(host_.unix_ms());
  Ambient ambient;
  bool changed = false;
  {
    Guard guard(host_);
    ambient = identity_.ambient(rng, *with.called_at_unix_ms, changed, fields);
  }
  with.ambient = &ambient;  // views into identity_, which nothing changes until deliver returns
  CallOutcome outcome = deliver(with, rng);
  if (outcome.status == Status::accepted) changed = remember(fields, *with.called_at_unix_ms) || changed;
  if (changed) identity_changed();
  return outcome;
}

bool Driver::remember(const MessageFields& fields, std::int64_t called_at_unix_ms) {
  Guard guard(host_);
  const bool session_changed = identity_.session_used(called_at_unix_ms);
  if (fields.type == MessageType::alias) {
    identity_.aliased(fields.user_id);
    return true;
  }
  if (fields.type != MessageType::identify) return session_changed;
  std::string traits;
  if (fields.traits.tree != nullptr && fields.traits.tree->is_object()) {
    // (Not json::dump(): its serializer would add 9 KiB gzipped to the browser's .wasm.)
    if (!write_checked_json(*fields.traits.tree, traits)) traits.clear();
  } else if (fields.traits.tree == nullptr && json_text_kind(fields.traits.text) == JsonKind::object) {
    traits.assign(fields.traits.text);
  }
  identity_.identified(fields.user_id, traits);
  return true;
}

std::string Driver::identity_json() {
  Guard guard(host_);
  return identity_.json();
}

void Driver::identity_changed() { host_.identity_changed(identity_json()); }

bool Driver::restore_identity(std::string_view json) {
  Guard guard(host_);
  return identity_.restore(json);
}

std::string Driver::anonymous_id(Rng& rng) {
  bool made = false;
  std::string id;
  {
    Guard guard(host_);
    made = identity_.make_anonymous_id(rng);
    id = identity_.anonymous_id();
  }
  if (made) identity_changed();
  return id;
}

std::optional<FieldError> Driver::set_anonymous_id(std::string_view id) {
  if (auto problem = check_required_field(id, "anonymousId")) return problem;
  {
    Guard guard(host_);
    identity_.set_anonymous_id(id);
  }
  identity_changed();
  return std::nullopt;
}

void Driver::reset_identity() {
  {
    Guard guard(host_);
    identity_.reset();
  }
  identity_changed();
}

void Driver::set_session_timeout(std::int64_t timeout_ms) {
  Guard guard(host_);
  identity_.set_session_timeout(timeout_ms);
}

void Driver::set_page(std::string context_json, std::string page_properties_json) {
  Guard guard(host_);
  identity_.set_page(std::move(context_json), std::move(page_properties_json));
}

CallOutcome Driver::deliver(const MessageFields& fields, Rng& rng) {
  if (closed()) return refuse_closed();
  // The event is built in this thread's scratch string and copied into the queue's log, so
  // a call allocates nothing for the event's text once the scratch has grown to fit.
  RUDDER_PER_THREAD std::string scratch;
  const std::int64_t called_at = fields.called_at_unix_ms.value_or(host_.unix_ms());
  BuildResult built = build_message(fields, settings_.build, called_at, rng, std::move(scratch));
  // Given back on every path out, with its capacity.
  struct GiveBack {
    std::string& from;
    ~GiveBack() { scratch = std::move(from); }
  } give_back{built.event.json_open};
  if (built.error) return refuse_invalid(fields.type, *built.error);
  if (!settings_.send) {
    if (settings_.debug) {
      host_.log(LogLevel::debug,
                "send=false, built: " + built.event.complete_json(host_.unix_ms()));
    }
    return {Status::accepted, std::move(built.message_id)};
  }
  built.event.enqueued_at = host_.queued_at_ms();
  Pipeline::Enqueued outcome;
  std::uint64_t warn_dropped = 0;  // > 0: warn now, saying how many were dropped
  std::optional<EventLog::StorageNews> storage_news;
  {
    Guard guard(host_);
    if (closed()) {  // closed while this call was building
      pipeline_.count_refused(DropReason::shut_down);
      return {Status::shut_down, closed_message(settings_.naming)};
    }
    outcome = pipeline_.enqueue(built.event);
    storage_news = pipeline_.take_storage_news();
    if (is_full(outcome)) {
      // One warning, then at most one per kQueueFullWarningIntervalMs while calls keep being
      // refused: a queue that stays about full (refusing whenever a batch has not yet left)
      // would otherwise log a line per delivered batch.
      ++refused_since_warning_;
      const std::int64_t now = built.event.enqueued_at;
      if (!queue_full_warned_ || now - queue_full_warned_at_ >= kQueueFullWarningIntervalMs) {
        warn_dropped = refused_since_warning_;
        refused_since_warning_ = 0;
        queue_full_warned_ = true;
        queue_full_warned_at_ = now;
      }
    }
  }
  say_storage_news(storage_news);
  if (is_full(outcome)) {
    const std::string limit = full_limit(outcome);
    if (warn_dropped == 1) {
      host_.log(LogLevel::warning, "queue is full " + limit + "; dropping events");
    } else if (warn_dropped > 1) {
      host_.log(LogLevel::warning, "queue is full " + limit + "; " +
                                       count_of(warn_dropped, "event", "events") +
                                       " dropped since the last warning");
    }
    return {Status::queue_full, "queue: is full " + limit};
  }
  if (outcome == Pipeline::Enqueued::accepted_wake) host_.wake();
  return {Status::accepted, std::move(built.message_id)};
}

bool Driver::is_full(Pipeline::Enqueued outcome) noexcept {
  return outcome == Pipeline::Enqueued::queue_full ||
         outcome == Pipeline::Enqueued::queue_bytes_full ||
         outcome == Pipeline::Enqueued::storage_full;
}

std::string Driver::full_limit(Pipeline::Enqueued outcome) const {
  const PipelineSettings& p = settings_.pipeline;
  const auto [name, value] =
      outcome == Pipeline::Enqueued::queue_full         ? std::pair{"max_queue_size", p.max_queue_size}
      : outcome == Pipeline::Enqueued::queue_bytes_full ? std::pair{"max_queue_bytes", p.max_queue_bytes}
                                                        : std::pair{"max_storage_bytes", p.max_storage_bytes};
  return "(" + setting(name) + " " + std::to_string(value) + ")";
}

CallOutcome Driver::call_json(const nlohmann::json& message, Rng& rng) {
  if (closed()) return refuse_closed();
  ParsedCall parsed;
  if (std::optional<FieldError> problem = parse_call(message, parsed)) {
    return refuse_invalid(parsed.fields.type, *problem);
  }
  return call(parsed.fields, rng);
}

CallOutcome Driver::call_text(MessageType type, std::string_view text, Rng& rng,
                              std::optional<std::int64_t> called_at_unix_ms) {
  if (closed()) return refuse_closed();
  if (text.size() > kMaxCallTextBytes) return refuse_oversized_text(type, text.size());
  ParsedCall parsed;
  if (std::optional<FieldError> problem = parse_call_text(type, text, parsed)) {
    return refuse_invalid(type, *problem);
  }
  if (settings_.naming == Naming::js && !parsed.imprecise_id.empty()) {
    // JSON.stringify wrote the double nearest the caller's integer: an id that may be
    // another user's. Natively the text is the caller's own, exact.
    return refuse_invalid(type, FieldError{FieldError::Kind::out_of_range, std::string(parsed.imprecise_id),
                                           "is past Number.MAX_SAFE_INTEGER, so JavaScript may have rounded it to "
                                           "another id: pass it as a string"});
  }
  parsed.fields.called_at_unix_ms = called_at_unix_ms;
  return call(parsed.fields, rng);
}

CallOutcome Driver::submit_text(std::string_view text, Rng& rng) {
  if (closed()) return refuse_closed();
  if (text.size() > kMaxCallTextBytes) return refuse_oversized_text(MessageType::track, text.size());
  ParsedCall parsed;
  if (std::optional<FieldError> problem = parse_call_text(text, parsed)) {
    return refuse_invalid(parsed.fields.type, *problem);
  }
  return call(parsed.fields, rng);
}

static_assert(kMaxCallTextBytes == kGatewayMaxBodyBytes);

CallOutcome Driver::refuse_oversized_text(MessageType type, std::size_t bytes) {
  if (closed()) return refuse_closed();
  return refuse_invalid(type, FieldError{FieldError::Kind::out_of_range, "message",
                                         "is at least " + std::to_string(bytes) +
                                             " bytes of JSON, more than the data plane takes in a whole request (" +
                                             std::to_string(kMaxCallTextBytes) + ")"});
}

std::string Driver::storage_text(std::string_view what, std::string_view then) const {
  // Browsers keep events by the `storage` option (in IndexedDB); elsewhere, storage_dir.
  const std::string setting_name = settings_.remember_identity ? std::string("storage") : setting("storage_dir");
  return setting_name + ": " + std::string(what) + std::string(then);
}

void Driver::storage_warning(std::string_view what, std::string_view then) {
  host_.log(LogLevel::warning, storage_text(what, then));
}

void Driver::say_storage_news(const std::optional<EventLog::StorageNews>& news) {
  if (!news) return;
  if (news->kind == EventLog::StorageNews::Kind::failed) {
    storage_warning(news->why, "; events are kept in memory only until it works again");
  } else {
    storage_warning("works again", "; events accepted from now on are stored (those accepted meanwhile stay in memory only)");
  }
}

std::optional<std::string> Driver::open_storage() {
  if (settings_.remember_identity) return std::nullopt;
  std::optional<EventLog::StorageNews> news;
  std::uint64_t recovered = 0;
  {
    Guard guard(host_);
    if (pipeline_.open_storage(host_.queued_at_ms())) return std::nullopt;
    news = pipeline_.take_storage_news();
    recovered = pipeline_.recovered();
  }
  const std::string why = news ? news->why : std::string("cannot make a segment");
  if (recovered == 0) return storage_text(why);
  storage_warning(why, " (delivered all the same, freeing room: " + count_of(recovered, "event", "events") +
                           " left by earlier runs)");
  return std::nullopt;
}

std::size_t Driver::recover(const std::vector<BlockStore::Block>& segments) {
  Pipeline::Recovery recovered;
  {
    Guard guard(host_);
    recovered = pipeline_.recover(segments);
  }
  // What the files held beside events, each said once with its count.
  const auto say = [&](std::size_t count, std::string_view one, std::string_view many, std::string_view rest) {
    if (count > 0) storage_warning(count_of(count, one, many), rest);
  };
  say(recovered.foreign_segments, "segment file holds", "segment files hold",
      " events accepted for another write key; not sent here, and left for a client with that key (it can "
      "take them once this one is closed)");
  say(recovered.repaired_segments, "segment file has", "segment files have",
      " a damaged header; the records after it are read all the same");
  say(recovered.read_from_top, "segment file has", "segment files have",
      " a damaged resume offset; read from the first record, so events delivered before may be sent again (the "
      "data plane drops them by messageId)");
  say(recovered.set_aside, "file named as a segment is", "files named as segments are",
      " not one, and nothing in it reads as an event: set aside unread, marked \"unknown\"");
  if (recovered.events > 0) {
    if (settings_.debug) {
      host_.log(LogLevel::debug, "recovered " + count_of(recovered.events, "event", "events") + " from storage");
    }
    host_.wake();
  }
  return recovered.events;
}

Stats Driver::stats() const {
  Guard guard(host_);
  return pipeline_.stats();
}

// ---- flush and close ----------------------------------------------------------------------

std::uint64_t Driver::begin_flush() {
  std::uint64_t id = 0;
  {
    Guard guard(host_);
    Ticket ticket;
    ticket.id = id = next_ticket_++;
    ticket.before = pipeline_.stats();
    ticket.target = ticket.before.queued;
    tickets_.push_back(ticket);
  }
  // Nothing to wait for: settled at once, and no thread need wake.
  const std::vector<std::uint64_t> settled = check_settled();
  if (std::find(settled.begin(), settled.end(), id) == settled.end()) host_.wake();
  return id;
}

bool Driver::flush_settled(std::uint64_t ticket) const {
  Guard guard(host_);
  for (const Ticket& t : tickets_) {
    if (t.id == ticket) return t.after.has_value();
  }
  return false;
}

FlushResult Driver::end_flush(std::uint64_t ticket) {
  Guard guard(host_);
  const auto it = std::find_if(tickets_.begin(), tickets_.end(),
                               [ticket](const Ticket& t) { return t.id == ticket; });
  if (it == tickets_.end()) return {};
  const Stats& before = it->before;
  const Stats after = it->after && !it->in_outage ? *it->after : pipeline_.stats();
  FlushResult r;
  r.delivered = after.delivered - before.delivered;
  r.failed = after.failed - before.failed;
  r.unknown = after.unknown - before.unknown;
  r.unsent = after.dropped_for(DropReason::unsent_at_shutdown) -
             before.dropped_for(DropReason::unsent_at_shutdown);
  r.beaconed = after.beaconed - before.beaconed;
  r.kept = after.kept - before.kept;
  const std::uint64_t done = settled_events(after);
  r.pending = done >= it->target ? 0 : it->target - done;
  if (!r.ok()) r.last_attempt = pipeline_.last_failed_answer();
  tickets_.erase(it);
  return r;
}

void Driver::close() { closed_.store(true, std::memory_order_release); }

bool Driver::flushing_locked() const {
  // After close() everything left is sent without waiting for upload_interval.
  if (closed()) return true;
  return std::any_of(tickets_.begin(), tickets_.end(), [](const Ticket& t) { return !t.after; });
}

std::vector<std::uint64_t> Driver::check_settled() {
  std::vector<std::uint64_t> settled;
  {
    Guard guard(host_);
    // Runs after every pump: with no flush waiting (the usual case) there is nothing to count.
    if (reporting_ > 0 || tickets_.empty()) return settled;
    const Stats now = pipeline_.stats();
    const std::uint64_t done = settled_events(now);
    // Stored events riding out an outage are retried until delivered, never given up on, so
    // a flush (and a sync_mode call) would wait for the data plane to come back: it returns
    // instead, with them pending; they are safe in storage. Not while a request is out (the
    // pipeline says 0 then): its answer may end the outage. (Only what the lock guards is read
    // here: callers' threads run this too, from begin_flush.)
    const bool outage = retrying_stored_events_only();
    for (Ticket& t : tickets_) {
      if (!t.after && (done >= t.target || outage)) {
        t.after = now;
        t.in_outage = done < t.target;
        settled.push_back(t.id);
      }
    }
  }
  for (const std::uint64_t id : settled) host_.settled(id);
  return settled;
}

// ---- the driving context --------------------------------------------------------------------

void Driver::pump() {
  if (pumping_) {
    pump_again_ = true;
    return;
  }
  pumping_ = true;
  do {
    pump_again_ = false;
    turn();
  } while (pump_again_);
  pumping_ = false;
  check_settled();
}

void Driver::turn() {
  if (stopped_) return;
  if (stage_ != Stage::idle) {
    // A completion will pump again. Meanwhile a batch that became full can be built ahead.
    if (stage_ == Stage::sending) prepare_ahead();
    return;
  }
  Step step;
  std::size_t events = 0;
  int attempt = 0;
  {
    Guard guard(host_);
    // Closed and delivered: no call will queue again, so no burst will reuse the memory.
    if (closed() && pipeline_.idle()) pipeline_.release_idle_memory();
    step = pipeline_.next_step(host_.monotonic_ms(), flushing_locked());
    if (step.kind == Step::Kind::send) {
      events = pipeline_.request_event_count();
      attempt = pipeline_.request_attempt();
    }
  }
  switch (step.kind) {
    case Step::Kind::send:
      host_.wake_at(kNoWake);
      start_send(step.batch_id, events, attempt);
      break;
    case Step::Kind::wait:
      host_.wake_at(step.wake_at);
      break;
    case Step::Kind::idle:
      host_.wake_at(kNoWake);
      break;
    case Step::Kind::in_flight:  // not reached: stage_ says a request is out
      break;
  }
}

Driver::Body Driver::build(std::uint64_t batch_id) {
  // Outside the lock: only this context changes the batches cut from the queue.
  Body body;
  body.batch_id = batch_id;
  body.built_at = host_.monotonic_ms();
  body.plain = pipeline_.build_body(batch_id, host_.unix_ms());
  body.ready = compressor_ == nullptr;
  return body;
}

void Driver::start_send(std::uint64_t batch_id, std::size_t events, int attempt) {
  // A body prepared during the previous round trip serves a first attempt if that trip was
  // quick; a retry, or a body the trip left waiting, is built again so its sentAt says when
  // it really left (the data plane corrects event times by receivedAt - sentAt). The batch id
  // must match: a 413 split or a beacon renumbers the batches it changes.
  // Any other prepared body was built for batches that changed meanwhile (or for a retry's
  // successors, which are built again when their turn comes).
  const bool reuse = prepared_count_ > 0 && prepared_[0].batch_id == batch_id && attempt == 1 &&
                     host_.monotonic_ms() - prepared_[0].built_at <= kPreparedBodyMaxAgeMs;
  // A prepared body still being compressed (a compressor on another thread, slower than the
  // round trip) becomes the current one and goes when its compression ends: building and
  // compressing it again would only queue a second compression behind the first.
  const bool still_compressing = reuse && !prepared_[0].ready;
  if (reuse) {
    current_ = std::move(prepared_[0]);
    std::move(prepared_.begin() + 1, prepared_.begin() + prepared_count_, prepared_.begin());
    prepared_[--prepared_count_] = Body();
  } else {
    drop_prepared();
    current_ = build(batch_id);
  }
  current_events_ = events;
  current_attempt_ = attempt;
  send_token_ = still_compressing ? current_.token : ++token_;
  if (still_compressing) {
    stage_ = Stage::compressing;
  } else if (current_.ready) {
    send_current();
  } else {
    stage_ = Stage::compressing;
    compress(send_token_, current_.plain);
  }
}

void Driver::compress(std::uint64_t token, const std::string& plain) {
  compressor_->compress(plain, [this, token](std::optional<std::string> gzipped) {
    compressed(token, std::move(gzipped));
  });
}

void Driver::compressed(std::uint64_t token, std::optional<std::string> gzipped) {
  Body* body = nullptr;
  if (token == send_token_ && stage_ == Stage::compressing) {
    body = &current_;
  } else {
    for (std::size_t i = 0; i < prepared_count_; ++i) {
      if (prepared_[i].token == token && !prepared_[i].ready) body = &prepared_[i];
    }
  }
  if (body == nullptr) return;  // given up on meanwhile
  body->gzipped = gzipped.has_value();
  body->bytes = gzipped ? std::move(*gzipped) : std::string();
  body->ready = true;
  if (body == &current_) send_current();
}

void Driver::send_current() {
  stage_ = Stage::sending;
  HttpRequest request;
  request.url = settings_.url;
  request.authorization = settings_.authorization;
  request.user_agent = settings_.user_agent;
  const std::size_t plain_size = current_.plain.size();
  if (current_.gzipped) {
    request.body = std::move(current_.bytes);
    request.gzipped = true;
  } else {
    request.body = std::move(current_.plain);
  }
  current_.plain.clear();
  request.timeout = settings_.timeout;
  request.max_answer_bytes = kMaxAnswerBytes;
  // A body the beacon quota can hold goes with keepalive where the browser has it: should the
  // page close meanwhile, the request completes, and unload() need not send it again (a copy).
  request.outlive_page = settings_.requests_outlive_page && request.body.size() <= kBeaconBodyBytes &&
                         host_.monotonic_ms() >= keepalive_rests_until_;
  request_outlives_page_ = request.outlive_page;
  if (settings_.debug) {
    host_.log(
        LogLevel::debug,
        "sending " + count_of(current_events_, "event", "events") + ", " + std::to_string(plain_size) +
            " bytes" +
            (request.gzipped ? " (" + std::to_string(request.body.size()) + " gzipped)" : "") +
            ", attempt " + std::to_string(current_attempt_));
  }
  const std::uint64_t token = send_token_;
  transport_.send(std::move(request),
                  [this, token](HttpResponse response) { answered(token, std::move(response)); });
  // Still out (an asynchronous transport): build the next body meanwhile.
  if (stage_ == Stage::sending && send_token_ == token) prepare_ahead();
}

void Driver::prepare_ahead() {
  while (prepared_count_ < kBatchesCutAhead) {
    std::optional<std::uint64_t> next;
    {
      Guard guard(host_);
      next = pipeline_.cut_next(host_.monotonic_ms(), flushing_locked());
    }
    if (!next) return;
    // In place before compressing: a compressor answering at once finds it by its token.
    Body& body = prepared_[prepared_count_++] = build(*next);
    if (!body.ready) {
      body.token = ++token_;
      compress(body.token, body.plain);
    }
  }
}

void Driver::drop_prepared() {
  for (std::size_t i = 0; i < prepared_count_; ++i) prepared_[i] = Body();
  prepared_count_ = 0;
}

void Driver::answered(std::uint64_t token, HttpResponse response) {
  if (token != send_token_ || stage_ != Stage::sending || stopped_) return;  // given up on
  stage_ = Stage::idle;
  std::optional<Failure> failure;
  int overdue_attempts = 0;
  std::uint64_t pending = 0;
  std::size_t batch_bytes_before = 0;
  std::size_t batch_bytes = 0;
  std::int64_t retry_in_ms = 0;
  {
    Guard guard(host_);
    batch_bytes_before = pipeline_.batch_byte_limit();
    const std::int64_t now = host_.monotonic_ms();
    failure = pipeline_.on_response(response, now, host_.unix_ms());
    overdue_attempts = pipeline_.stored_batch_overdue_attempts();
    pending = pipeline_.stats().pending;
    batch_bytes = pipeline_.batch_byte_limit();
    if (settings_.debug) retry_in_ms = std::max<std::int64_t>(pipeline_.retry_not_before() - now, 0);
  }
  if (settings_.debug) {
    // Why an attempt failed and how long its retry waits (a Retry-After shows here).
    const bool retrying = !failure && (response.status < 200 || response.status >= 300);
    host_.log(LogLevel::debug, "answer: " + describe(response) +
                                   (retrying ? "; next attempt in " + std::to_string(retry_in_ms) + " ms" : ""));
  }
  note_outage(response, overdue_attempts, pending);
  if (batch_bytes < batch_bytes_before) {
    host_.log(LogLevel::warning,
              "the data plane refused a batch as too large (" + describe(response) +
                  "): it is sent in halves, and batches are now at most " +
                  std::to_string(batch_bytes) + " bytes (" + setting("max_batch_bytes") + " is " +
                  std::to_string(settings_.pipeline.max_batch_bytes) + ")");
  }
  if (failure) report(*failure);
  pump();
}

void Driver::note_outage(const HttpResponse& response, int overdue_attempts, std::uint64_t pending) {
  if (overdue_attempts > 0 && !outage_warned_) {
    outage_warned_ = true;
    host_.log(LogLevel::warning,
              "the data plane has not accepted a batch in " +
                  count_of(static_cast<std::uint64_t>(overdue_attempts), "attempt", "attempts") +
                  " (last: " + describe(response) + "); " +
                  count_of(pending, "event is", "events are") +
                  " kept in storage and retried until it does");
  } else if (outage_warned_ && classify(response) == Verdict::delivered) {
    outage_warned_ = false;
    host_.log(LogLevel::warning, "the data plane accepts batches again; " +
                                     count_of(pending, "event is", "events are") +
                                     " still to be sent");
  }
}

void Driver::report(const Failure& failure) {
  {
    Guard guard(host_);
    ++reporting_;
  }
  if (!host_.report(failure)) {
    host_.log(LogLevel::error, "could not deliver " +
                                   count_of(failure.events.size(), "event", "events") + ": " +
                                   failure.error.message);
  }
  Guard guard(host_);
  --reporting_;
}

void Driver::give_up() {
  stopped_ = true;
  forget_request_out();
  drop_prepared();
  host_.wake_at(kNoWake);
  std::vector<Failure> rest;
  std::uint64_t kept = 0;
  std::string last_attempt;
  {
    Guard guard(host_);
    const std::uint64_t kept_before = pipeline_.stats().kept;
    // The JavaScript API has close(), not shutdown(): its reports say whose timeout passed.
    rest = pipeline_.abandon(host_.unix_ms(), settings_.naming == Naming::js ? "close()'s" : "shutdown's");
    kept = pipeline_.stats().kept - kept_before;
    last_attempt = pipeline_.last_failed_answer();
  }
  // What stays in storage is no failure, so no report says why it stayed: a data plane that
  // is down or refusing is said here, as the reports of what is not stored say it (unless
  // the outage warning said it already).
  if (kept > 0 && !last_attempt.empty() && !outage_warned_) {
    host_.log(LogLevel::warning, count_of(kept, "event stays", "events stay") +
                                     " in storage for a later run" + last_attempt_note(last_attempt));
  }
  for (const Failure& failure : rest) report(failure);
  check_settled();
}

void Driver::keepalive_failed() { keepalive_rests_until_ = host_.monotonic_ms() + kKeepaliveRestMs; }

void Driver::unload(const std::function<bool(std::string_view body)>& beacon, bool offline) {
  std::uint64_t pending = 0;
  std::uint64_t beaconed_before = 0;
  bool stored = false;
  bool keep = false;         // stored, and a beacon would surely be lost
  bool unconfirmed = false;  // stored, and no answer from the data plane yet in this client
  // The request out completes after the page is gone (keepalive): never sent again here.
  const bool out_outlives_page = stage_ == Stage::sending && request_outlives_page_;
  {
    Guard guard(host_);
    const Stats now = pipeline_.stats();
    pending = now.pending;
    beaconed_before = now.beaconed;
    stored = pipeline_.oldest_pending_stored();
    keep = stored && (offline || pipeline_.stored_while_unreachable());
    unconfirmed = stored && !keep && now.delivered == 0;
  }
  if (keep) {
    // Once per situation: a closing page fires both visibilitychange and pagehide.
    if (pending != unload_kept_logged_) {
      host_.log(LogLevel::info, std::string("the page is going while ") +
                                    (offline ? "the browser is offline: " : "the data plane is unreachable: ") +
                                    count_of(pending, "event stays", "events stay") +
                                    " in storage for the next page load, not sent by beacon");
    }
    unload_kept_logged_ = pending;
    return;
  }
  unload_kept_logged_ = 0;
  if (unconfirmed) {
    // Nothing has reached the data plane from this client yet (the page is closed before its
    // first upload was answered): it may be down, and a beacon to it is lost without a word.
    // The beacon goes, but its events stay queued and stored, for this page should it live
    // on or for the next page load; if the beacon arrived, they arrive twice, with the same
    // messageIds, which the data plane deduplicates. Once per situation, as above.
    if (pending == unload_unconfirmed_sent_) return;
    unload_unconfirmed_sent_ = pending;
    const std::string body = beacon_body(kBeaconBodyBytes, out_outlives_page);
    if (!body.empty()) beacon(body);
    return;
  }
  if (out_outlives_page) {
    // Its batch is the browser's now, as a beacon's would be: counted as beaconed and gone
    // from storage; its answer, should the page live on, is no longer applied.
    {
      Guard guard(host_);
      pipeline_.hand_over_in_flight();
    }
    forget_request_out();
  }
  for (;;) {
    const std::string body = beacon_body(kBeaconBodyBytes);
    if (body.empty()) {  // everything went
      unload_refused_logged_ = 0;
      return;
    }
    if (!beacon(body)) break;
    commit_beacon();
  }
  // The browser's beacon quota is full: the rest goes now, while the page may still live.
  // The ticket is nobody's to wait for; it is forgotten when it settles (see end_flush).
  begin_flush();
  pump();
  // Events in memory only are lost if the page goes before those requests complete, and the
  // page cannot learn whether they did: said now, once per situation, rather than never.
  const std::uint64_t at_risk = stored ? 0 : pending - (stats().beaconed - beaconed_before);
  if (at_risk > 0 && at_risk != unload_refused_logged_) {
    host_.log(LogLevel::warning, "the beacon quota is full: " + count_of(at_risk, "event goes", "events go") +
                                     " as ordinary requests, lost if the page closes before they complete");
  }
  unload_refused_logged_ = at_risk;
}

void Driver::network_back() {
  bool waiting = false;
  {
    Guard guard(host_);
    waiting = !stopped_ && pipeline_.retry_now(host_.monotonic_ms());
  }
  if (waiting) pump();
}

std::string Driver::beacon_body(std::size_t max_body_bytes, bool after_in_flight) {
  Guard guard(host_);
  return pipeline_.beacon_body(max_body_bytes, host_.unix_ms(), after_in_flight);
}

void Driver::commit_beacon() {
  bool took_request = false;
  {
    Guard guard(host_);
    took_request = pipeline_.commit_beacon();
  }
  if (took_request) {
    // The batch being compressed or sent went with the beacon: its answer no longer counts.
    forget_request_out();
  }
  pump();
}

void Driver::forget_after_fork(std::uint64_t seed) {
  pipeline_.reset(seed);
  queue_full_warned_ = false;
  refused_since_warning_ = 0;
  reporting_ = 0;
  tickets_.clear();
  forget_request_out();
  // The parent's worker may have been writing these without the lock when it forked: rebuilt
  // in place, not destroyed (their old memory stays allocated).
  new (&current_) Body();
  for (Body& body : prepared_) new (&body) Body();
  prepared_count_ = 0;
  pumping_ = false;
  pump_again_ = false;
}

}  // namespace rudder::core
