// rudder-analytics wasm: the C functions the package's glue calls (js/src/module.mjs).
// Copyright the rudder-analytics authors. MIT licence.
//
// One module instance holds one client. Strings come in as (pointer, length) in the module's
// memory, written by the glue; strings go out as a NUL-terminated pointer into `g_out`, valid
// until the next call, which the glue decodes at once. Everything runs on one thread.
#include <emscripten/emscripten.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/endpoint.hpp"
#include "wasm/settings.hpp"
#include "wasm/wasm_client.hpp"

namespace {

std::unique_ptr<rudder::wasm::WasmClient> g_client;
std::string g_beacon_url;
std::string g_out;

const char* out(std::string text) {
  g_out = std::move(text);
  return g_out.c_str();
}

// One letter tells the glue what happened; the text after it is the message or messageId.
char outcome_letter(rudder::wasm::CallOutcome::Kind kind) {
  using Kind = rudder::wasm::CallOutcome::Kind;
  switch (kind) {
    case Kind::accepted: return 'A';
    case Kind::type_error: return 'T';
    case Kind::range_error: return 'R';
    case Kind::queue_full: return 'Q';
    case Kind::closed: return 'C';
  }
  return 'T';
}

}  // namespace

extern "C" {

/// Reads the settings and starts the client. Returns "" or "T<message>" / "R<message>".
/// `seed_high` and `seed_low` are 32 random bits each, from the runtime's crypto.
EMSCRIPTEN_KEEPALIVE const char* rudder_create(const char* settings, unsigned length,
                                               std::uint32_t seed_high, std::uint32_t seed_low) {
  rudder::wasm::WasmSettings parsed;
  if (auto problem = rudder::wasm::read_settings({settings, length}, parsed)) {
    return out((problem->range ? "R" : "T") + problem->message);
  }
  const std::uint64_t seed = (static_cast<std::uint64_t>(seed_high) << 32) | seed_low;
  g_beacon_url = rudder::core::beacon_endpoint(parsed.config.data_plane_url, parsed.config.write_key);
  g_client = std::make_unique<rudder::wasm::WasmClient>(parsed, seed);
  return out("");
}

/// `type`: 0 identify, 1 track, 2 page, 3 screen, 4 group, 5 alias. Returns "A<messageId>",
/// "T<message>" (TypeError), "R<message>" (RangeError), "Q<message>" (queue full, dropped)
/// or "C<message>" (closed, dropped).
EMSCRIPTEN_KEEPALIVE const char* rudder_call(int type, const char* json, unsigned length) {
  if (type < 0 || type > 5) return out("Ttype: unknown call");
  const auto outcome = g_client->call(static_cast<rudder::core::MessageType>(type), {json, length});
  return out(outcome_letter(outcome.kind) + outcome.text);
}

/// A call the glue refused before it reached the core (a value JSON cannot carry): counted as
/// dropped(invalid), as the core counts its own refusals.
EMSCRIPTEN_KEEPALIVE void rudder_count_invalid() { g_client->count_invalid(); }

EMSCRIPTEN_KEEPALIVE void rudder_flush() { g_client->flush(); }
EMSCRIPTEN_KEEPALIVE void rudder_close(double timeout_ms) { g_client->close(timeout_ms); }
EMSCRIPTEN_KEEPALIVE const char* rudder_stats() { return out(g_client->stats_json()); }
EMSCRIPTEN_KEEPALIVE const char* rudder_beacon_url() { return g_beacon_url.c_str(); }
EMSCRIPTEN_KEEPALIVE const char* rudder_beacon_body(unsigned max_bytes) {
  return out(g_client->beacon_body(max_bytes));
}
EMSCRIPTEN_KEEPALIVE void rudder_beacon_commit() { g_client->commit_beacon(); }

/// The answer to host::gzip(): `data` (malloc'd by the glue, freed by it afterwards) holds the
/// compressed body; length 0 means compression failed.
EMSCRIPTEN_KEEPALIVE void rudder_gzip_done(std::uint32_t token, const char* data, unsigned length) {
  g_client->gzipped(token, std::string(data == nullptr ? "" : data, data == nullptr ? 0 : length));
}

}  // extern "C"
