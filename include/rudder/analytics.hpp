// rudder-analytics: the native C++ client for RudderStack (and Segment-spec) data planes.
// Copyright the rudder-analytics authors. MIT licence.
//
// Threading: every Client member is safe to call from any number of threads at once.
// Calls (identify, track, ...) validate and serialize the message on the caller's thread,
// append it to an in-memory queue under a short lock, and return; a background worker
// batches, compresses, sends and retries. No call blocks on the network unless
// Config::sync_mode is set. Errors in the input never throw: they come back in the Result.
#pragma once

#if defined(__cplusplus) && __cplusplus < 201703L && (!defined(_MSVC_LANG) || _MSVC_LANG < 201703L)
#error "rudder-analytics's C++ API needs C++17 (-std=c++17); C programs and older C++ use rudder/analytics.h"
#endif

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rudder/export.h"
#include "rudder/transport.hpp"
#include "rudder/types.hpp"
#include "rudder/version.h"

namespace rudder {

using json = nlohmann::json;
using Clock = std::chrono::system_clock;

inline constexpr const char* kLibraryName = "rudder-analytics-cpp";
inline constexpr const char* kLibraryVersion = RUDDER_ANALYTICS_VERSION;
/// The data plane refuses a decompressed body larger than this (HTTP 413).
inline constexpr std::size_t kGatewayMaxBodyBytes = 4'096'000;

/// Receives the client's log lines. Called from the caller's thread or the worker thread;
/// must be thread-safe and must not call back into the client. Never sees the write key.
/// An exception it throws is caught: that line goes to stderr instead, saying so.
using Logger = std::function<void(LogLevel, std::string_view message)>;

/// Called from the worker thread (the caller's thread in sync_mode; the thread calling
/// shutdown() for what shutdown gives up on) with the events it gave up on, as the JSON objects
/// that were (or would have been) sent. Must not block for long: delivery waits while it runs.
/// Must not call flush() or shutdown() of the same client. An exception it throws is caught and
/// logged; delivery goes on.
using ErrorHandler = std::function<void(const DeliveryError&, const std::vector<json>& events)>;

/// Sees each call before it is checked: `message` is the call as the JSON object submit()
/// takes ("type", "userId", "event", "properties", ... "timestamp" as RFC 3339 text). It may
/// change it in place (what it leaves is then checked like the caller's input, so a bad edit
/// is refused naming the field); returning false drops the event (Status::dropped, counted as
/// dropped(by_plugin)). Runs on the calling thread, so it must be thread-safe if calls come
/// from several threads, and must not call the client. An exception it throws is caught and
/// logged; the event then goes on as the call gave it. The JS package's `plugins` are the same.
using BeforeSend = std::function<bool(json& message)>;

/// Settings. Names and defaults follow RudderStack's Python SDK; the extra ones are marked.
struct Config {
  std::string write_key;       ///< required: the source's write key (HTTP Basic user name)
  std::string data_plane_url;  ///< required: e.g. "https://example.dataplane.rudderstack.com"
  ErrorHandler on_error;       ///< optional, see ErrorHandler
  BeforeSend before_send;      ///< optional, see BeforeSend (beyond the reference)
  bool debug = false;          ///< log debug lines (payload sizes, statuses, retries)
  bool send = true;            ///< false: validate and build, send nothing (dry run)
  bool sync_mode = false;      ///< true: each call sends (and retries) on the caller's thread
  /// Events waiting at most, by count; a call beyond it is refused (Status::queue_full).
  /// 0 (the default): no count bound, only max_queue_bytes / max_storage_bytes.
  std::size_t max_queue_size = 0;
  /// Bytes (serialized JSON) of events waiting in memory at most; a call beyond it is
  /// refused (Status::queue_full), never blocked. Without storage_dir, every pending event.
  std::size_t max_queue_bytes = 64u << 20;
  /// With storage_dir: bytes of pending events in storage at most (they then wait on disk,
  /// not in the heap); a call beyond it is refused (Status::queue_full).
  std::size_t max_storage_bytes = 256u << 20;
  bool gzip = true;                     ///< compress request bodies
  std::chrono::milliseconds timeout{15'000};  ///< per request, connect included
  /// Retries after the first attempt. With storage_dir, events in storage are retried
  /// (at most every 30 s) until delivered or refused with a final status: an outage never
  /// deletes them; shutdown keeps what is left for the next run. From 0 to 1000.
  int max_retries = 10;
  std::size_t upload_size = 100;              ///< events per batch at most
  std::chrono::milliseconds upload_interval{500};  ///< longest an event waits to be batched

  // Beyond the reference:
  std::size_t max_message_bytes = 32 * 1024;  ///< one serialized event at most
  std::size_t max_batch_bytes = 500'000;      ///< one request body (before gzip) at most;
                                              ///< clamped to kGatewayMaxBodyBytes
  std::string proxy;  ///< libcurl proxy URL, e.g. "http://proxy:3128"; empty: none
                      ///< (libcurl then honours the usual *_proxy environment variables)
  /// TLS: a PEM file of the CA certificates to trust instead of the system's (a private CA, a
  /// TLS-inspecting proxy). Empty: $SSL_CERT_FILE, else $CURL_CA_BUNDLE, else the system's.
  /// The constructor throws std::invalid_argument ("ca_file: ...") when it cannot be read.
  /// Certificates and host names are always verified; no setting turns that off.
  std::string ca_file;
  /// TLS: a directory of CA certificates (OpenSSL's hashed names, c_rehash) to trust.
  /// Empty: $SSL_CERT_DIR, else the system's.
  std::string ca_path;
  Logger logger;      ///< empty: warnings and errors to stderr, debug lines too if debug
  std::chrono::milliseconds shutdown_timeout{10'000};  ///< used by the destructor
  std::string channel = "server";  ///< the payload's "channel" field
  /// Sends request bodies instead of the built-in libcurl transport (a proxy of your own, a
  /// different HTTP stack, a test double). See rudder/transport.hpp for its contract; `proxy`
  /// is then unused. Shared: the client keeps it alive as long as it needs it.
  std::shared_ptr<Transport> transport;

  /// Storage: a directory where every accepted event is written before the call returns
  /// (memory-mapped segment files), so a process killed with SIGKILL, ended by std::exit or
  /// crashed loses nothing it accepted; the next client on the same directory delivers what
  /// is left (Stats::recovered). Several processes may share one directory. Empty: events are
  /// kept in memory only. The client's constructor throws std::runtime_error
  /// ("storage_dir: ...") when the directory cannot be created or written.
  std::string storage_dir;
  /// With storage_dir: how often the worker asks the OS to write the segments to the disk
  /// (msync). 0: the OS writes them back on its own schedule, which survives any end of the
  /// process but not power loss or a kernel crash in between.
  std::chrono::milliseconds storage_sync_interval{0};

  /// The first broken setting as "field: problem", or empty when the config is usable.
  RUDDER_API std::string validate() const;
};

/// Optional fields of every call.
struct CallOptions {
  std::string anonymous_id;  ///< required when the call's user id is empty
  json context;              ///< merged into the payload's context (null: none)
  json integrations;         ///< null: {"All": true}
  std::optional<Clock::time_point> timestamp;  ///< when the event happened, if not now
  std::string message_id;    ///< empty: a random UUID v4
};

class RUDDER_API Client {
 public:
  /// Starts the worker thread (unless sync_mode). Throws std::invalid_argument naming the
  /// field when `config.validate()` reports a problem or a CA file or directory (ca_file,
  /// ca_path, $SSL_CERT_FILE...) cannot be read, std::runtime_error ("storage_dir: ...") when
  /// the storage directory cannot be used; nothing else throws.
  explicit Client(Config config);
  /// shutdown(config.shutdown_timeout): what is still undelivered then is reported through
  /// on_error and counted, as unknown when it may have reached the data plane, otherwise as
  /// dropped (unsent_at_shutdown); with storage_dir it is kept on disk for a later run
  /// instead (Stats::kept), not reported. Not run by std::exit() for a local client: see the
  /// README's table of how a process ends.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// The six calls. `user_id` may be empty when options.anonymous_id is set.
  /// Null `traits` / `properties` mean an empty object; anything else must be an object.
  /// Refused as Status::invalid, naming the field: a missing required id / event / name /
  /// groupId, a string that is not valid UTF-8, a number that is not finite, a value nested
  /// deeper than 256 levels, a message over max_message_bytes. Thread-safe; the caller keeps
  /// ownership of every argument (nothing is referenced after the call returns).
  Result identify(std::string_view user_id, const json& traits = nullptr,
                  const CallOptions& options = {});
  Result track(std::string_view user_id, std::string_view event,
               const json& properties = nullptr, const CallOptions& options = {});
  Result page(std::string_view user_id, std::string_view category, std::string_view name,
              const json& properties = nullptr, const CallOptions& options = {});
  Result screen(std::string_view user_id, std::string_view category, std::string_view name,
                const json& properties = nullptr, const CallOptions& options = {});
  Result group(std::string_view user_id, std::string_view group_id,
               const json& traits = nullptr, const CallOptions& options = {});
  /// `previous_id` and `user_id` are both required.
  Result alias(std::string_view previous_id, std::string_view user_id,
               const CallOptions& options = {});

  /// Any of the six calls given as one JSON object with the payload's field names, e.g.
  /// {"type":"track","userId":"u1","event":"Signed Up","properties":{"plan":"pro"}}.
  /// Ids may be strings or integers; "timestamp" an RFC 3339 string or epoch milliseconds.
  /// Unknown fields, and fields that do not belong to the type, are refused by name.
  Result submit(const json& message);

  /// submit() with the call as JSON text, as read from a file or a socket. Its numbers go out
  /// digit for digit (a json tree holds an integer past 64 bits, or a decimal longer than a
  /// double's, only as a rounded double), its keys in their order, and no tree is made of it
  /// unless before_send is set. Text that is not one JSON object is refused as "message: ...".
  Result submit_json(std::string_view json_text);

  /// Sends everything queued now (not waiting for upload_interval) and waits until every
  /// event queued before the call is delivered or given up on, or `timeout` passes. Returns
  /// what happened meanwhile (delivered, failed, unknown, still pending); it converts to true
  /// when everything it waited for was delivered. Safe from any thread except inside on_error.
  /// In sync_mode it waits for another thread's delivery at most until its timeout.
  FlushResult flush(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Refuses later calls (Status::shut_down), flushes for at most `timeout`, then stops the
  /// worker, interrupting a request still out. What is still undelivered is reported through
  /// on_error and counted: as unknown when it may have reached the data plane (a request was
  /// out, or an attempt timed out), otherwise as dropped(unsent_at_shutdown). Returns the
  /// flush's result with those counts; true only when nothing was left or lost. Idempotent:
  /// later calls return the first one's result.
  FlushResult shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  Stats stats() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The reference's module-level style, over one default client.

/// Creates (or replaces, after shutting the old one down) the default client.
/// Returns the config's problem as "field: problem", or why the client could not start
/// (`storage_dir: cannot use ...`, `ca_file: cannot read ...`: what Client's constructor
/// throws), empty on success. Never throws; on a problem the previous client stays.
RUDDER_API std::string init(Config config);
RUDDER_API Result identify(std::string_view user_id, const json& traits = nullptr,
                const CallOptions& options = {});
RUDDER_API Result track(std::string_view user_id, std::string_view event, const json& properties = nullptr,
             const CallOptions& options = {});
RUDDER_API Result page(std::string_view user_id, std::string_view category, std::string_view name,
            const json& properties = nullptr, const CallOptions& options = {});
RUDDER_API Result screen(std::string_view user_id, std::string_view category, std::string_view name,
              const json& properties = nullptr, const CallOptions& options = {});
RUDDER_API Result group(std::string_view user_id, std::string_view group_id, const json& traits = nullptr,
             const CallOptions& options = {});
RUDDER_API Result alias(std::string_view previous_id, std::string_view user_id,
             const CallOptions& options = {});
RUDDER_API Result submit(const json& message);
RUDDER_API Result submit_json(std::string_view json_text);
/// False when there is no default client or the flush did not deliver everything it waited for.
RUDDER_API bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(10));
/// Shuts the default client down and destroys it. Also happens at normal exit.
RUDDER_API bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(10));
/// Stats of the default client (zeros when there is none).
RUDDER_API Stats stats();

}  // namespace rudder
