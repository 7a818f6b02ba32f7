// rudder-analytics wasm platform: the core's driver run by the JavaScript event loop.
// Copyright the rudder-analytics authors. MIT licence.
#include "wasm/wasm_client.hpp"

#include <emscripten/emscripten.h>
#include <emscripten/html5.h>

#include <cmath>
#include <utility>

#include "core/endpoint.hpp"
#include "core/stats_json.hpp"
#include "wasm/host.hpp"

namespace rudder::wasm {
namespace {

// The package's library name, so a data plane can tell it from the native one.
constexpr const char* kWasmLibraryName = "rudder-analytics-wasm";

core::DriverSettings settings_for(const Config& config, bool browser, bool keepalive) {
  core::DriverSettings out = core::driver_settings(config, core::Naming::js, kWasmLibraryName);
  out.remember_identity = browser;
  out.requests_outlive_page = keepalive;
  return out;
}

}  // namespace

WasmClient::WasmClient(const Config& config, std::uint64_t seed, bool storage, bool browser, bool keepalive)
    : rng_(seed ^ 0x9e3779b97f4a7c15ULL),
      beacon_url_(core::beacon_endpoint(config.data_plane_url, config.write_key)),
      wake_timer_([this] { driver_.pump(); }),
      close_timer_([this] { give_up_once(); }),
      store_(storage ? std::make_optional<HostStore>() : std::nullopt),
      driver_(settings_for(config, browser, keepalive), *this, *this, host::can_gzip() ? this : nullptr, seed,
              store_ ? &*store_ : nullptr) {}

// performance.now(): monotonic, for deadlines. Date.now(): wall clock, for the payload.
std::int64_t WasmClient::monotonic_ms() {
  return static_cast<std::int64_t>(std::floor(emscripten_get_now()));
}
std::int64_t WasmClient::unix_ms() { return static_cast<std::int64_t>(emscripten_date_now()); }

void WasmClient::wake_at(std::int64_t when) {
  if (when == core::kNoWake) return wake_timer_.cancel();
  // A retry of stored events only, during an outage (they are safe on disk), or a wake with
  // nothing queued: the wait need not keep a Node script from ending.
  wake_timer_.arm(static_cast<double>(when - monotonic_ms()), driver_.wake_holds_events());
}

void WasmClient::log(LogLevel level, std::string_view message) {
  host::log(static_cast<host::Level>(level), message);
}

bool WasmClient::report(const core::Failure& failure) {
  if (!host::has_error_handler()) return false;
  host::report(core::delivery_error_json(failure.error), core::json_array(failure.events));
  return true;
}

void WasmClient::settled(std::uint64_t ticket) {
  if (closing_) {
    // Inside close()'s begin_flush(), before its ticket is known: close() finishes these.
    settled_while_closing_.push_back(ticket);
    return;
  }
  if (ticket == close_ticket_) finish_close();
  host::settled(static_cast<std::uint32_t>(ticket),
                core::flush_result_json(driver_.end_flush(ticket)));
}

void WasmClient::give_up_once() {
  if (gave_up_) return;
  gave_up_ = true;
  driver_.give_up();
}

// close()'s flush settled: as the native client's shutdown does, the driver then lets go of
// what is left before the result is read. That is only stored events riding out an outage
// (the flush settles without them): they stay in storage for a later run, counted as kept,
// and the segments whose events were all delivered are deleted. Without it they were counted
// as pending, and retried by a client the caller had closed.
void WasmClient::finish_close() {
  close_settled_ = true;
  close_timer_.cancel();
  give_up_once();
}

std::uint64_t WasmClient::close(double timeout_ms) {
  if (close_ticket_ != 0) return close_ticket_;  // the glue keeps one close promise
  driver_.close();
  closing_ = true;  // a flush with nothing to wait for settles inside begin_flush()
  close_ticket_ = driver_.begin_flush();
  closing_ = false;
  for (const std::uint64_t ticket : std::exchange(settled_while_closing_, {})) settled(ticket);
  if (!close_settled_) close_timer_.arm(timeout_ms);
  return close_ticket_;
}

void WasmClient::unload(bool offline) {
  driver_.unload([this](std::string_view body) { return host::beacon(beacon_url_, body); }, offline);
}

void WasmClient::send(HttpRequest request, Transport::Done done) {
  const std::uint32_t token = ++next_token_;
  sends_.emplace_back(token, std::move(done));
  host::send(token, request);
}

void WasmClient::compress(std::string_view plain, core::Compressor::Done done) {
  const std::uint32_t token = ++next_token_;
  compressions_.emplace_back(token, std::move(done));
  host::gzip(token, plain);
}

namespace {

// Takes the callback waiting for `token` out of `pending`; empty when there is none.
template <typename Done>
Done take(std::vector<std::pair<std::uint32_t, Done>>& pending, std::uint32_t token) {
  for (auto it = pending.begin(); it != pending.end(); ++it) {
    if (it->first == token) {
      Done done = std::move(it->second);
      pending.erase(it);
      return done;
    }
  }
  return {};
}

}  // namespace

void WasmClient::gzipped(std::uint32_t token, std::optional<std::string> bytes) {
  if (core::Compressor::Done done = take(compressions_, token)) done(std::move(bytes));
}

void WasmClient::answered(std::uint32_t token, HttpResponse response) {
  if (Transport::Done done = take(sends_, token)) done(std::move(response));
}

}  // namespace rudder::wasm
