// rudder-analytics wasm platform: the core's driver run by the JavaScript event loop.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>
#include <string>
#include <string_view>

#include "core/driver.hpp"
#include "wasm/host.hpp"
#include "wasm/host_store.hpp"
#include "rudder/analytics.hpp"
#include "wasm/timer.hpp"

namespace rudder::wasm {

/// The client behind one instance of the package's Analytics class (the clients of a page or
/// a process share one module instance, see wasm/exports.cpp). Every decision is the core
/// driver's; this class only gives it the JavaScript side's mechanics: the clock, event-loop
/// timers, requests through the host's fetch and gzip through the host's compressor, whose
/// answers come back by token. Everything runs on the one JavaScript thread, so the driver's
/// lock is nothing.
class WasmClient final : public core::DriverHost, public Transport, public core::Compressor {
 public:
  /// `storage`: keep events in storage through the host (storageDir in Node, IndexedDB in
  /// browsers). `browser`: remember the user between calls (core/identity.hpp).
  /// `keepalive`: the host's requests can outlive the page (DriverSettings::requests_outlive_page).
  WasmClient(const Config& config, std::uint64_t seed, bool storage, bool browser, bool keepalive = false);
  WasmClient(const WasmClient&) = delete;
  WasmClient& operator=(const WasmClient&) = delete;

  /// One of the six calls, as the JSON text of the caller's object; `called_at_unix_ms` for a
  /// call the glue held while the module loaded.
  core::CallOutcome call(core::MessageType type, std::string_view json_text,
                         std::optional<std::int64_t> called_at_unix_ms) {
    return driver_.call_text(type, json_text, rng_, called_at_unix_ms);
  }
  /// A call the glue refused before it reached the core, counted under `reason`.
  void count_refused(DropReason reason) { driver_.count_refused(reason); }

  /// Starts a flush; host::settled(ticket, result) follows once it settles.
  std::uint64_t flush() { return driver_.begin_flush(); }
  /// Ends flush `ticket` now (the glue's timeout ran out): its result, with what is left
  /// counted as pending; host::settled() will not follow for it.
  FlushResult end_flush(std::uint64_t ticket) { return driver_.end_flush(ticket); }
  /// Refuses later calls and flushes for at most `timeout_ms`, then gives up on the rest;
  /// host::settled(ticket, result) follows either way.
  std::uint64_t close(double timeout_ms);

  /// Page unload: what is queued goes to the host's navigator.sendBeacon (see Driver::unload).
  void unload(bool offline);

  /// The host's answers, by the token it was given.
  void gzipped(std::uint32_t token, std::optional<std::string> bytes);
  void answered(std::uint32_t token, HttpResponse response);

  Stats stats() const { return driver_.stats(); }

  /// Browsers: the remembered user (see core::Driver).
  core::Driver& driver() { return driver_; }
  core::Rng& rng() { return rng_; }

  /// A segment file the host took over from a process that is gone, read into `bytes`
  /// (from HostStore::allocate) and numbered `id` by the host: its events are queued.
  std::size_t recover(char* bytes, std::size_t size, std::uint32_t id) {
    return driver_.recover({core::BlockStore::Block{bytes, size, id}});
  }

 private:
  // core::DriverHost
  std::int64_t monotonic_ms() override;
  std::int64_t unix_ms() override;
  void lock() override {}
  void unlock() override {}
  void wake() override { driver_.pump(); }
  void wake_at(std::int64_t when) override;
  void log(LogLevel level, std::string_view message) override;
  bool report(const core::Failure& failure) override;
  void settled(std::uint64_t ticket) override;
  void identity_changed(std::string_view json) override { host::identity(json); }
  // Transport and Compressor: handed to the host, answered later by token.
  void send(HttpRequest request, Transport::Done done) override;
  void compress(std::string_view plain, core::Compressor::Done done) override;
  // close()'s flush settled, or its timeout passed: the driver lets go of what is left, once
  // (see finish_close() in the .cpp).
  void give_up_once();
  void finish_close();

  core::Rng rng_;
  std::string beacon_url_;  // the data plane's beacon endpoint for this write key
  std::uint32_t next_token_ = 0;
  // Work handed to the host, by token: a request and a few compressions at a time (the current
  // body's and those of the batches cut ahead, kBatchesCutAhead), so a short vector (a map's
  // tree code costs the download more than it saves).
  template <typename Done>
  using Pending = std::vector<std::pair<std::uint32_t, Done>>;
  Pending<Transport::Done> sends_;
  Pending<core::Compressor::Done> compressions_;
  std::uint64_t close_ticket_ = 0;
  bool closing_ = false;  // inside close()'s begin_flush()
  std::vector<std::uint64_t> settled_while_closing_;  // their results wait for close_ticket_
  bool close_settled_ = false;
  bool gave_up_ = false;
  Timer wake_timer_;     // upload_interval and back-off deadlines
  Timer close_timer_;    // close()'s timeout
  std::optional<HostStore> store_;  // with storage; outlives the driver
  core::Driver driver_;  // last: it may call the members above from its constructor
};

}  // namespace rudder::wasm
