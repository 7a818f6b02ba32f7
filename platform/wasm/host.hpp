// rudder-analytics wasm platform: the few things only the JavaScript side can do.
// Copyright the rudder-analytics authors. MIT licence.
//
// Each function calls the `rudderHost` object the package's glue (js/src/module.mjs) puts on
// the Emscripten module before it starts. They run synchronously and copy what they are given;
// the glue defers anything that runs user code (onError, promise resolution) to a later task,
// so the client is never re-entered from inside one of these calls.
#pragma once

#include <cstdint>
#include <string_view>

namespace rudder::wasm::host {

/// True when the runtime has CompressionStream("gzip") (Node 18+, current browsers).
bool can_gzip();

/// Starts compressing `bytes`; the answer comes later through rudder_gzip_done(token, ...),
/// with no bytes when compression failed (the body is then sent plain).
void gzip(std::uint32_t token, std::string_view bytes);

/// Hands events given up on to the user's onError: `error_json` is {kind, status, body,
/// message, attempts}, `events_json` a JSON array of the events as sent.
void report(std::string_view error_json, std::string_view events_json);

/// Everything queued before the pending flush() calls has been delivered or given up on.
void settled();

/// close() has finished: delivered, or its timeout passed and the rest was reported.
void closed();

enum class Level { debug = 0, info = 1, warning = 2, error = 3 };
void log(Level level, std::string_view message);

}  // namespace rudder::wasm::host
