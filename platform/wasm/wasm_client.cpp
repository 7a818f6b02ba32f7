// rudder-analytics wasm platform: the core driven by the JavaScript event loop.
// Copyright the rudder-analytics authors. MIT licence.
#include "wasm/wasm_client.hpp"

#include <emscripten/emscripten.h>
#include <emscripten/html5.h>

#include <cmath>
#include <utility>

#include "core/endpoint.hpp"
#include "core/text.hpp"
#include "wasm/host.hpp"

namespace rudder::wasm {
namespace {

// performance.now(): monotonic, for deadlines. Date.now(): wall clock, for the payload.
std::int64_t monotonic_ms() { return static_cast<std::int64_t>(std::floor(emscripten_get_now())); }
std::int64_t unix_ms() { return static_cast<std::int64_t>(emscripten_date_now()); }

const char* kind_name(DeliveryError::Kind kind) {
  switch (kind) {
    case DeliveryError::Kind::http_status: return "http_status";
    case DeliveryError::Kind::network: return "network";
    case DeliveryError::Kind::unsent_at_shutdown: return "unsent_at_shutdown";
  }
  return "unknown";
}

// The browser package's library name, so a data plane can tell it from the native one.
constexpr const char* kWasmLibraryName = "rudder-analytics-wasm";

}  // namespace

WasmClient::WasmClient(const WasmSettings& settings, std::uint64_t seed)
    : config_(settings.config),
      build_{config_.max_message_bytes, config_.channel, kWasmLibraryName, kLibraryVersion},
      rng_(seed ^ 0x9e3779b97f4a7c15ULL),
      pipeline_(
          core::PipelineSettings{
              config_.max_queue_size, config_.upload_size,
              std::min(config_.max_batch_bytes, kGatewayMaxBodyBytes),
              static_cast<std::int64_t>(config_.upload_interval.count()), config_.max_retries},
          seed),
      transport_(TransportSettings{core::batch_endpoint(config_.data_plane_url),
                                   config_.write_key,
                                   static_cast<double>(config_.timeout.count())}),
      gzip_(config_.gzip && host::can_gzip()),
      wake_timer_([this] { pump(); }),
      close_timer_([this] { give_up_at_close(); }) {}

CallOutcome WasmClient::call(core::MessageType type, std::string_view json_text) {
  if (closed_) {
    pipeline_.count_refused(DropReason::shut_down);
    return {CallOutcome::Kind::closed, "analytics: is closed"};
  }
  core::ParsedCall parsed;
  std::optional<core::FieldError> problem = core::parse_call_text(type, json_text, parsed);
  core::BuildResult built;
  if (!problem) {
    built = core::build_message(parsed.fields, build_, unix_ms(), rng_);
    problem = std::move(built.error);
  }
  if (problem) {
    pipeline_.count_refused(DropReason::invalid);
    if (config_.debug) {
      host::log(host::Level::debug,
                std::string(core::type_name(type)) + " refused: " + problem->to_string());
    }
    const bool range = problem->kind == core::FieldError::Kind::out_of_range;
    return {range ? CallOutcome::Kind::range_error : CallOutcome::Kind::type_error,
            problem->to_string()};
  }
  if (!config_.send) {
    if (config_.debug) {
      host::log(host::Level::debug, "send=false, built: " + built.event.complete_json(unix_ms()));
    }
    return {CallOutcome::Kind::accepted, std::move(built.message_id)};
  }
  built.event.enqueued_at = monotonic_ms();
  const auto outcome = pipeline_.enqueue(std::move(built.event));
  if (outcome == core::Pipeline::Enqueued::queue_full) {
    // One warning per run of drops, not one per dropped event.
    if (!queue_full_logged_) {
      host::log(host::Level::warning, "queue is full (maxQueueSize " +
                                          std::to_string(config_.max_queue_size) +
                                          "); dropping events");
    }
    queue_full_logged_ = true;
    return {CallOutcome::Kind::queue_full,
            "queue: is full (maxQueueSize " + std::to_string(config_.max_queue_size) + ")"};
  }
  queue_full_logged_ = false;
  if (outcome == core::Pipeline::Enqueued::accepted_wake) pump();
  return {CallOutcome::Kind::accepted, std::move(built.message_id)};
}

void WasmClient::flush() {
  flush_pending_ = true;
  pump();
  check_settled();
}

void WasmClient::close(double timeout_ms) {
  if (closed_) {
    if (!closing_) host::closed();  // already finished; the glue keeps one close promise anyway
    return;
  }
  closed_ = true;
  closing_ = true;
  close_timer_.arm(timeout_ms);
  pump();
  check_settled();
}

// Runs step() until the state stops changing. Re-entry (a callback arriving while stepping)
// is folded into another round instead of nesting.
void WasmClient::pump() {
  if (pumping_) {
    pump_again_ = true;
    return;
  }
  pumping_ = true;
  do {
    pump_again_ = false;
    step();
  } while (pump_again_);
  pumping_ = false;
}

void WasmClient::step() {
  if (sending_ || (closed_ && !closing_)) return;
  const core::Step next = pipeline_.next_step(monotonic_ms(), flushing());
  switch (next.kind) {
    case core::Step::Kind::send: {
      wake_timer_.cancel();
      sending_ = true;
      ++send_id_;
      std::string body = pipeline_.build_body(next.batch_id, unix_ms());
      plain_size_ = body.size();
      if (gzip_) {
        plain_body_ = std::move(body);
        host::gzip(static_cast<std::uint32_t>(send_id_), plain_body_);
      } else {
        send_body(std::move(body), false);
      }
      break;
    }
    case core::Step::Kind::wait:
      wake_timer_.arm(static_cast<double>(next.wake_at - monotonic_ms()));
      break;
    case core::Step::Kind::idle:
      wake_timer_.cancel();
      break;
    case core::Step::Kind::in_flight:
      break;
  }
}

void WasmClient::gzipped(std::uint32_t token, std::string bytes) {
  if (!sending_ || token != static_cast<std::uint32_t>(send_id_)) return;  // given up on
  if (bytes.empty()) {
    send_body(std::move(plain_body_), false);
  } else {
    plain_body_.clear();
    send_body(std::move(bytes), true);
  }
}

void WasmClient::send_body(std::string body, bool gzipped) {
  const std::uint64_t id = send_id_;
  if (config_.debug) {
    host::log(host::Level::debug,
              "sending " + std::to_string(pipeline_.request_event_count()) + " events, " +
                  std::to_string(plain_size_) + " bytes" +
                  (gzipped ? " (" + std::to_string(body.size()) + " gzipped)" : "") +
                  ", attempt " + std::to_string(pipeline_.request_attempt()));
  }
  transport_.post(std::move(body), gzipped,
                  [this, id](core::Response response) { answered(id, std::move(response)); });
}

void WasmClient::answered(std::uint64_t send_id, core::Response response) {
  if (!sending_ || send_id != send_id_) return;  // a beacon or close took this batch over
  sending_ = false;
  if (config_.debug) {
    host::log(host::Level::debug,
              response.status != 0 ? "answer: HTTP " + std::to_string(response.status)
                                   : "answer: " + response.network_error);
  }
  std::optional<core::Failure> failure =
      pipeline_.on_response(response, monotonic_ms(), unix_ms());
  pipeline_.take_spent();
  if (failure) report(*failure);
  pump();
  check_settled();
}

void WasmClient::report(const core::Failure& failure) {
  host::log(host::Level::error, "could not deliver " + std::to_string(failure.events.size()) +
                                    " events: " + failure.error.message);
  // Written by hand: this module has no JSON library in it (see js/README.md, size).
  std::string error = "{\"kind\":\"";
  error.append(kind_name(failure.error.kind)).append("\",\"status\":");
  error.append(std::to_string(failure.error.status)).append(",\"body\":");
  core::append_json_string(error, failure.error.body);
  error.append(",\"message\":");
  core::append_json_string(error, failure.error.message);
  error.append(",\"attempts\":").append(std::to_string(failure.error.attempts)).append("}");
  // The events are already JSON text: joined, not parsed and printed again.
  std::string events = "[";
  for (std::size_t i = 0; i < failure.events.size(); ++i) {
    if (i > 0) events += ',';
    events += failure.events[i];
  }
  events += ']';
  host::report(error, events);
}

void WasmClient::check_settled() {
  if (!pipeline_.idle() || sending_) return;
  if (flush_pending_) {
    flush_pending_ = false;
    host::settled();
  }
  if (closing_) {
    closing_ = false;
    close_timer_.cancel();
    wake_timer_.cancel();
    host::closed();
  }
}

void WasmClient::give_up_at_close() {
  if (!closing_) return;
  // A request still out is left to finish on its own; its answer is ignored (see sending_).
  sending_ = false;
  ++send_id_;
  wake_timer_.cancel();
  if (std::optional<core::Failure> rest = pipeline_.abandon(unix_ms())) report(*rest);
  check_settled();
}

std::string WasmClient::beacon_body(std::size_t max_bytes) {
  return pipeline_.beacon_body(max_bytes, unix_ms());
}

void WasmClient::commit_beacon() {
  if (pipeline_.commit_beacon()) {
    // The batch in flight went with the beacon: its answer no longer counts.
    sending_ = false;
    ++send_id_;
  }
  pump();
  check_settled();
}

std::string WasmClient::stats_json() const {
  const Stats s = pipeline_.stats();
  std::string out = "{";
  auto number = [&out](const char* name, std::uint64_t value) {
    out.append("\"").append(name).append("\":").append(std::to_string(value)).append(",");
  };
  number("queued", s.queued);
  number("delivered", s.delivered);
  number("failed", s.failed);
  number("retried", s.retried);
  number("pending", s.pending);
  number("beaconed", s.beaconed);
  out.append("\"dropped\":{");
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    number(to_string(static_cast<DropReason>(i)), s.dropped[i]);
  }
  out.back() = '}';
  out.append("}");
  return out;
}

}  // namespace rudder::wasm
