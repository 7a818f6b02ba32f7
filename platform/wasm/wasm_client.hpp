// rudder-analytics wasm platform: the core driven by the JavaScript event loop.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/message.hpp"
#include "core/pipeline.hpp"
#include "wasm/fetch_transport.hpp"
#include "wasm/settings.hpp"
#include "wasm/timer.hpp"

namespace rudder::wasm {

/// What a call did, for the glue to turn into a return value or an exception.
struct CallOutcome {
  enum class Kind { accepted, type_error, range_error, queue_full, closed };
  Kind kind = Kind::accepted;
  std::string text;  ///< accepted: the messageId; otherwise "field: problem" or a sentence
};

/// The client behind one instance of the package's Analytics class (one module instance
/// each). Everything runs on the one JavaScript thread: calls from the glue, timer callbacks
/// and request answers take turns, so no locking is needed. No call blocks or waits: delivery
/// moves on in timer and fetch callbacks, and the glue learns of progress through host::.
class WasmClient {
 public:
  WasmClient(const WasmSettings& settings, std::uint64_t seed);
  WasmClient(const WasmClient&) = delete;
  WasmClient& operator=(const WasmClient&) = delete;

  /// One of the six calls, given as the JSON text of the caller's object (the payload's
  /// field names). Validation is the core's; nothing refused reaches the queue.
  CallOutcome call(core::MessageType type, std::string_view json_text);

  /// Counts a call refused before it reached call() as dropped(invalid).
  void count_invalid() { pipeline_.count_refused(DropReason::invalid); }

  /// Sends everything queued without waiting for uploadIntervalMs; host::settled() follows
  /// once nothing is queued, in flight or waiting to be retried.
  void flush();

  /// Refuses further calls, then flushes for at most `timeout_ms`; what is still undelivered
  /// then goes to onError as unsent_at_shutdown. host::closed() follows either way.
  void close(double timeout_ms);

  /// Page unload: the next body of at most `max_bytes` for navigator.sendBeacon, empty when
  /// nothing is pending; commit_beacon() once the browser accepted it.
  std::string beacon_body(std::size_t max_bytes);
  void commit_beacon();

  /// The answer to host::gzip(token, ...): compressed bytes, or empty when it failed.
  void gzipped(std::uint32_t token, std::string bytes);

  /// Stats as JSON: {queued, delivered, failed, retried, pending, beaconed, dropped:{...}}.
  std::string stats_json() const;

 private:
  void pump();
  void step();
  void send_body(std::string body, bool gzipped);
  void answered(std::uint64_t send_id, core::Response response);
  void report(const core::Failure& failure);
  void check_settled();
  void give_up_at_close();
  bool flushing() const { return flush_pending_ || closing_; }

  const Config config_;
  const core::BuildSettings build_;
  core::Rng rng_;
  core::Pipeline pipeline_;
  FetchTransport transport_;
  const bool gzip_;
  Timer wake_timer_;   // upload_interval and back-off deadlines
  Timer close_timer_;  // close()'s timeout

  // A send is under way from the moment next_step() says send until its answer: first an
  // optional compression in JS, then the request. `send_id_` tells its callbacks apart from
  // those of a send given up on (by a beacon or by close).
  bool sending_ = false;
  std::uint64_t send_id_ = 0;
  std::string plain_body_;  // kept while compressing, sent as is if compression fails
  std::size_t plain_size_ = 0;

  bool pumping_ = false;
  bool pump_again_ = false;
  bool flush_pending_ = false;
  bool closed_ = false;   // calls are refused
  bool closing_ = false;  // close() is waiting for delivery
  bool queue_full_logged_ = false;
};

}  // namespace rudder::wasm
