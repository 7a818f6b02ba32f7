// rudder-analytics wasm: the C functions the package's glue calls (js/src/module.mjs).
// Copyright the rudder-analytics authors. MIT licence.
//
// One module instance holds every client of a page or a process (js/src/module.mjs): a client
// is a WasmClient, created by rudder_create and named by its address, the first argument of
// every function after rudder_create and rudder_created (those that need none ignore it, so the
// glue passes it to all alike). Strings come in as (pointer, length) in the module's memory,
// written by the glue; strings go out as a NUL-terminated pointer into `g_out`, valid until the
// next call, which the glue decodes at once. Everything runs on one thread.
// `host.x` below is a method of the glue's host object, which the module imports
// (platform/wasm/host.cpp).
#include <emscripten/emscripten.h>

#include <cstdint>
#include <optional>
#include <string>

#include "core/stats_json.hpp"
#include "core/settings_json.hpp"
#include "wasm/wasm_client.hpp"

namespace {

using Client = rudder::wasm::WasmClient;

Client* g_created = nullptr;  // the client the last rudder_create made
std::string g_out;
std::string g_refused_field;  // the field of the last call refused as invalid

const char* out(std::string text) {
  g_out = std::move(text);
  return g_out.c_str();
}

// One letter tells the glue what happened; the text after it is the message or messageId.
char outcome_letter(const rudder::core::CallOutcome& outcome) {
  switch (outcome.status) {
    case rudder::Status::accepted: return 'A';
    case rudder::Status::queue_full: return 'Q';
    case rudder::Status::shut_down: return 'C';
    case rudder::Status::dropped: return 'D';
    case rudder::Status::invalid:
    case rudder::Status::not_initialized: break;
  }
  return outcome.kind == rudder::core::FieldError::Kind::out_of_range ? 'R' : 'T';
}

// What is wrong with a refused call's field: the `code` of the package's errors.
char kind_letter(rudder::core::FieldError::Kind kind) {
  switch (kind) {
    case rudder::core::FieldError::Kind::missing: return 'm';
    case rudder::core::FieldError::Kind::wrong_type: return 'w';
    case rudder::core::FieldError::Kind::invalid_value: return 'i';
    case rudder::core::FieldError::Kind::out_of_range: return 'o';
  }
  return 'i';
}

// rudder_call's answer for `outcome`.
const char* call_outcome(rudder::core::CallOutcome outcome) {
  const char letter = outcome_letter(outcome);
  if (letter != 'T' && letter != 'R') return out(letter + outcome.text);
  g_refused_field = std::move(outcome.field);
  return out(std::string{letter, kind_letter(outcome.kind)} + outcome.text);
}

}  // namespace

extern "C" {

/// Reads the settings and starts the client. Returns "", or "T" / "R", a letter for what is
/// wrong (as for rudder_call) and the message, which starts with the setting's name.
/// `seed_high` and `seed_low` are 32 random bits each, from the runtime's crypto. `storage`:
/// 1 when the glue keeps segments (storageDir, IndexedDB), see host.storage*.
/// `browser`: 1 to remember the user between calls (rudder_identity_* below); 2 as well, and
/// the browser's fetch has `keepalive` (a request can outlive the page).
EMSCRIPTEN_KEEPALIVE const char* rudder_create(const char* settings, unsigned length,
                                               std::uint32_t seed_high, std::uint32_t seed_low,
                                               int storage, int browser) {
  rudder::Config parsed;
  if (auto problem = rudder::core::read_settings({settings, length}, rudder::core::SettingsFor::wasm, parsed)) {
    const char type = problem->kind == rudder::core::FieldError::Kind::out_of_range ? 'R' : 'T';
    return out(std::string{type, kind_letter(problem->kind)} + problem->message);
  }
  const std::uint64_t seed = (static_cast<std::uint64_t>(seed_high) << 32) | seed_low;
  g_created = new Client(parsed, seed, storage != 0, browser != 0, browser == 2);
  return out("");
}

/// The client the last rudder_create that returned "" made: the glue's handle for it, until
/// rudder_destroy.
EMSCRIPTEN_KEEPALIVE Client* rudder_created() { return g_created; }

/// The glue let go of `client` (its Analytics object was garbage collected, so no timer, request
/// or compression of its own is still out): its memory goes back to the module's heap.
EMSCRIPTEN_KEEPALIVE void rudder_destroy(Client* client) { delete client; }

/// `type`: 0 identify, 1 track, 2 page, 3 screen, 4 group, 5 alias. Returns "A<messageId>",
/// "Q<message>" (queue full, dropped), "C<message>" (closed, dropped), or for invalid input
/// "T" (TypeError) or "R" (RangeError), a letter for what is wrong (m missing, w wrong type,
/// i invalid value, o out of range) and the message; rudder_refused_field() then gives the
/// field's path. `called_at_ms`: 0, or when a call the glue held while the module loaded
/// was made (Unix ms), its originalTimestamp.
EMSCRIPTEN_KEEPALIVE const char* rudder_call(Client* client, int type, const char* json, unsigned length,
                                             double called_at_ms) {
  if (type < 0 || type > 5) return out("Tmtype: unknown call");
  std::optional<std::int64_t> called_at;
  if (called_at_ms > 0) called_at = static_cast<std::int64_t>(called_at_ms);
  return call_outcome(client->call(static_cast<rudder::core::MessageType>(type), {json, length}, called_at));
}

/// The longest call text rudder_call reads (UTF-8 bytes). The glue refuses a longer text
/// through rudder_call_oversized instead of copying it into the module's memory.
EMSCRIPTEN_KEEPALIVE unsigned rudder_max_call_text() { return rudder::core::kMaxCallTextBytes; }

/// A call whose JSON text is at least `bytes` long, over rudder_max_call_text(): refused
/// unread and counted, with rudder_call's outcome.
EMSCRIPTEN_KEEPALIVE const char* rudder_call_oversized(Client* client, int type, double bytes) {
  if (type < 0 || type > 5) return out("Tmtype: unknown call");
  return call_outcome(client->driver().refuse_oversized_text(static_cast<rudder::core::MessageType>(type),
                                                             static_cast<std::size_t>(bytes)));
}

/// A plugin dropped a call: counted as dropped(by_plugin). Returns the outcome's message.
EMSCRIPTEN_KEEPALIVE const char* rudder_drop_by_plugin(Client* client) { return out(client->driver().drop_by_hook().text); }
/// A plugin threw (`what`, its message): logged; the call goes on as given.
EMSCRIPTEN_KEEPALIVE void rudder_plugin_threw(Client* client, const char* what, unsigned length) {
  client->driver().hook_threw({what, length});
}

/// The path of the field the last refused call named ("properties.price").
EMSCRIPTEN_KEEPALIVE const char* rudder_refused_field(Client*) { return out(g_refused_field); }

/// A call the glue refused before it reached the core, counted as the core counts its own
/// refusals. `reason`: 0 invalid (a value JSON cannot carry, a plugin's bad return), 1
/// queue_full (more calls made while the module loaded than the glue holds), 2 shut_down
/// (made after close() while the module loaded).
EMSCRIPTEN_KEEPALIVE void rudder_count_refused(Client* client, int reason) {
  using rudder::DropReason;
  client->count_refused(reason == 1 ? DropReason::queue_full : reason == 2 ? DropReason::shut_down : DropReason::invalid);
}

/// Start a flush / a close; each returns the ticket host.settled() later names.
EMSCRIPTEN_KEEPALIVE std::uint32_t rudder_flush(Client* client) {
  return static_cast<std::uint32_t>(client->flush());
}
/// Ends flush `ticket` before it settled (its timeout ran out). Returns its result as JSON,
/// what is left counted as pending; host.settled() will not follow for it.
EMSCRIPTEN_KEEPALIVE const char* rudder_flush_end(Client* client, std::uint32_t ticket) {
  return out(rudder::core::flush_result_json(client->end_flush(ticket)));
}
EMSCRIPTEN_KEEPALIVE std::uint32_t rudder_close(Client* client, double timeout_ms) {
  return static_cast<std::uint32_t>(client->close(timeout_ms));
}
EMSCRIPTEN_KEEPALIVE const char* rudder_stats(Client* client) {
  return out(rudder::core::stats_json(client->stats()));
}
/// Memory for a segment file the glue took over: it copies the file in, then rudder_adopt().
EMSCRIPTEN_KEEPALIVE char* rudder_segment_memory(Client*, unsigned size) {
  return rudder::wasm::HostStore::allocate(size);
}
/// Queues the events of the segment at `bytes` (from rudder_segment_memory, now the core's),
/// the glue's file number `id`. Returns how many events it held.
EMSCRIPTEN_KEEPALIVE unsigned rudder_adopt(Client* client, char* bytes, unsigned size, std::uint32_t id) {
  return static_cast<unsigned>(client->recover(bytes, size, id));
}
#ifdef RUDDER_WASM_NODE_BUILD
/// storageDir, once every segment taken over is adopted: makes the segment new events go to
/// now (core::Driver::open_storage). Returns "", or why the directory is refused
/// ("storageDir: cannot reserve ..."), which the glue fails the start with. (Node's build
/// only: browsers keep events in IndexedDB, where no directory is opened.)
EMSCRIPTEN_KEEPALIVE const char* rudder_open_storage(Client* client) {
  return out(client->driver().open_storage().value_or(std::string()));
}
#endif

/// Browsers: the user an earlier page or another tab kept (host.identity's JSON), in
/// place of this client's. Returns 1 when all of it could be read.
EMSCRIPTEN_KEEPALIVE int rudder_identity_restore(Client* client, const char* json, unsigned length) {
  return client->driver().restore_identity({json, length}) ? 1 : 0;
}
/// The remembered user as JSON ({anonymousId, userId, traits}), the anonymousId made if none.
EMSCRIPTEN_KEEPALIVE const char* rudder_identity(Client* client) {
  client->driver().anonymous_id(client->rng());
  return out(client->driver().identity_json());
}
/// Sets the anonymousId: "" or, refused, as rudder_call's refusals ("T" or "R", a letter, the
/// message).
EMSCRIPTEN_KEEPALIVE const char* rudder_identity_set_anonymous_id(Client* client, const char* id, unsigned length) {
  const auto problem = client->driver().set_anonymous_id({id, length});
  if (!problem) return out("");
  return out(std::string{'T', kind_letter(problem->kind)} + problem->to_string());
}
/// Forgets the user: userId, traits, anonymousId and session.
EMSCRIPTEN_KEEPALIVE void rudder_identity_reset(Client* client) { client->driver().reset_identity(); }
/// Calls more than `timeout_ms` apart are in different sessions; 0: no sessions. (The glue
/// checks the setting, sessionTimeoutMs.)
EMSCRIPTEN_KEEPALIVE void rudder_identity_session_timeout(Client* client, double timeout_ms) {
  // At most 2^53 (Number.MAX_SAFE_INTEGER, the glue's bound): a larger double would not fit
  // the integer, and it is 285,000 years anyway.
  constexpr double kMaxMs = 9'007'199'254'740'991.0;
  client->driver().set_session_timeout(static_cast<std::int64_t>(timeout_ms < kMaxMs ? timeout_ms : kMaxMs));
}
/// The page calls are made on: context members and page()'s default properties, each a JSON
/// object's text (or empty).
EMSCRIPTEN_KEEPALIVE void rudder_set_page(Client* client, const char* context, unsigned context_length,
                                          const char* page, unsigned page_length) {
  client->driver().set_page(std::string(context, context_length), std::string(page, page_length));
}

/// The page is being hidden or unloaded: what is queued goes to host.beacon(). `offline`: 1
/// when the browser says it is offline (navigator.onLine false).
EMSCRIPTEN_KEEPALIVE void rudder_unload(Client* client, int offline) { client->unload(offline != 0); }

/// The browser's `online` event: a batch waiting out its back-off after no answer goes now.
EMSCRIPTEN_KEEPALIVE void rudder_online(Client* client) { client->driver().network_back(); }

/// host.armTimer()'s timer `timer` came due.
EMSCRIPTEN_KEEPALIVE void rudder_timer_fired(Client*, void* timer) { static_cast<rudder::wasm::Timer*>(timer)->fired(); }

/// The answer to host.gzip(): `data` (malloc'd by the glue, freed by it afterwards)
/// holds the compressed body; `ok` 0 means compression failed.
EMSCRIPTEN_KEEPALIVE void rudder_gzip_done(Client* client, std::uint32_t token, int ok, const char* data,
                                           unsigned length) {
  std::optional<std::string> bytes;
  if (ok != 0) bytes.emplace(data, length);
  client->gzipped(token, std::move(bytes));
}

/// The answer to host.send(). `text` holds, one after the other, the answer's body,
/// the Retry-After and Location headers' raw values and the network error (when status is 0),
/// with the given lengths. `flags`: 1 the request certainly never left, 2 a redirect whose
/// status could not be read.
EMSCRIPTEN_KEEPALIVE void rudder_answered(Client* client, std::uint32_t token, int status, int flags,
                                          const char* text, unsigned body_length,
                                          unsigned retry_after_length, unsigned location_length,
                                          unsigned error_length) {
  rudder::HttpResponse response;
  response.status = status;
  const char* at = text;
  response.body.assign(at, body_length);
  response.retry_after.assign(at += body_length, retry_after_length);
  response.location.assign(at += retry_after_length, location_length);
  response.network_error.assign(at += location_length, error_length);
  response.not_sent = (flags & 1) != 0;
  response.redirected = (flags & 2) != 0;
  // 4: the request went with keepalive and the browser failed it without an answer.
  if ((flags & 4) != 0) client->driver().keepalive_failed();
  client->answered(token, std::move(response));
}

}  // extern "C"
