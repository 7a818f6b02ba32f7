// rudder-analytics wasm platform: the few things only the JavaScript side can do.
// Copyright the rudder-analytics authors. MIT licence.
//
// Each function calls a method of the host object the package's glue (js/src/index.mjs,
// #host()) gives the module as its imports (see host.cpp). They copy what they are given and
// return at once;
// answers come back later through the module's exports, by token. The glue defers anything
// that runs user code (onError, promise resolution) to a later task, so the client is never
// re-entered from inside one of these calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rudder/transport.hpp"

namespace rudder::wasm::host {

/// True when the runtime can gzip (node:zlib in Node, CompressionStream in browsers).
bool can_gzip();

/// Starts compressing `bytes`; the answer comes later through rudder_gzip_done(token, ...),
/// with no bytes when compression failed (the body is then sent plain).
void gzip(std::uint32_t token, std::string_view bytes);

/// Starts POSTing `request` with fetch (no redirects followed, at most max_answer_bytes of the
/// answer read, `keepalive` for outlive_page); the answer comes later through
/// rudder_answered(token, ...). The host's `flags`: 1 gzipped, 2 outlive_page.
void send(std::uint32_t token, const HttpRequest& request);

/// navigator.sendBeacon(url, body) now: true when the browser took the body.
bool beacon(std::string_view url, std::string_view body);

/// True when the user gave an onError (report() then reaches it; without one the core logs).
bool has_error_handler();

/// Hands events given up on to the user's onError: `error_json` is {kind, status, body,
/// message, attempts}, `events_json` a JSON array of the events as sent.
void report(std::string_view error_json, std::string_view events_json);

/// Flush or close `ticket` settled with `result_json` ({delivered, failed, unknown, unsent,
/// beaconed, pending}).
void settled(std::uint32_t ticket, std::string_view result_json);

/// Storage (storageDir, Node): creates segment file `id` holding `header`, with room for
/// `capacity` bytes reserved on the disk (so a full disk refuses the segment here, before its
/// events are accepted, never a write of an accepted event later); false when it cannot, with
/// the host's reason in `why` (the core says it). The others act on a file create() made, or
/// one the host took over and handed to rudder_adopt(): write `bytes` at `offset` now
/// (synchronously; false with `why` when that fails), delete it (every event in it has left),
/// close it (its events stay for a later run), or set it aside where no client reads it again
/// (the core found it no segment).
bool storage_create(std::uint32_t id, std::string_view header, std::size_t capacity, std::string& why);
bool storage_write(std::uint32_t id, double offset, std::string_view bytes, std::string& why);
void storage_remove(std::uint32_t id);
void storage_close(std::uint32_t id);
void storage_set_aside(std::uint32_t id);

/// Timers on the event loop: the host calls rudder_timer_fired(timer) once `delay_ms` has
/// passed (never synchronously), unless cancelled or armed again first. `keep_alive` false:
/// the timer does not keep Node's process alive (an unref'd timer); browsers ignore it.
void arm_timer(void* timer, double delay_ms, bool keep_alive);
void cancel_timer(void* timer);

/// Browsers: the remembered user changed (core::Identity::json()); the host keeps it where
/// the next page load finds it (localStorage, or a cookie).
void identity(std::string_view json);

enum class Level { debug = 0, info = 1, warning = 2, error = 3 };
void log(Level level, std::string_view message);

}  // namespace rudder::wasm::host
