// rudder-analytics core: builds and validates the six spec messages.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/event.hpp"
#include "core/field_error.hpp"
#include "core/random.hpp"

namespace rudder::core {

enum class MessageType { identify, track, page, screen, group, alias };

/// "identify", "track", ...
const char* type_name(MessageType type) noexcept;
std::optional<MessageType> parse_type(std::string_view name) noexcept;

/// A caller's JSON value: a tree (the C++ API, the CLI), or JSON text (the JavaScript package,
/// which hands over what JSON.stringify wrote: reading it straight from the text is several
/// times faster than building a tree first). Neither set means "not given"; so does JSON null.
struct CallerJson {
#ifdef RUDDER_CORE_TEXT_ONLY
  // The WebAssembly module's core (src/CMakeLists.txt): its calls come only as text, so with
  // `tree` a constant null the compiler leaves nlohmann's writer and checks out of the .wasm
  // (4.9 KiB gzipped). Nothing there makes a tree: before_send, the only other way to one, is a
  // C++ setting the package cannot set; a tree made anyway stops the module loudly.
  static constexpr const nlohmann::json* tree = nullptr;
#else
  const nlohmann::json* tree = nullptr;
#endif
  std::string_view text;  ///< one JSON value; used when `tree` is null

  CallerJson() = default;
#ifdef RUDDER_CORE_TEXT_ONLY
  CallerJson(const nlohmann::json*) { std::abort(); }  // NOLINT: see above
#else
  CallerJson(const nlohmann::json* value) : tree(value) {}  // NOLINT: the C++ API's usual form
#endif
  static CallerJson of_text(std::string_view value) {
    CallerJson j;
    j.text = value;
    return j;
  }
};

/// What a browser client adds to a call that leaves it out, as analytics-js does (see
/// core/identity.hpp): empty members add nothing. The JSON members are object texts.
struct Ambient {
  std::string_view user_id;       ///< userId when the call gives none (not for alias)
  std::string_view anonymous_id;  ///< anonymousId when the call gives none
  std::string_view traits;        ///< context.traits when the call's context has none;
                                  ///< identify's traits are written over them
  std::string_view context;       ///< context keys the call's context lacks (page, userAgent...)
  std::string_view page;          ///< page(): properties the call's lack (path, url, title...)
  std::string_view session;       ///< context keys of the session (sessionId, sessionStart)
};

/// One call's input. Views and pointers borrow from the caller for the duration of
/// build_message(); nothing is kept. Empty strings and null pointers mean "not given".
struct MessageFields {
  MessageType type = MessageType::track;
  std::string_view user_id;
  std::string_view anonymous_id;
  std::string_view event;        // track
  std::string_view name;         // page, screen
  std::string_view category;     // page, screen
  std::string_view group_id;     // group
  std::string_view previous_id;  // alias
  std::string_view message_id;   // empty: a random UUID v4
  CallerJson properties;    // track, page, screen
  CallerJson traits;        // identify, group
  CallerJson context;
  CallerJson integrations;
  std::optional<std::int64_t> timestamp_unix_ms;  // when the event happened, if not now
  // When the call was made, if the platform held it before the core could take it (the
  // JavaScript API's calls made before the module was ready): its originalTimestamp.
  std::optional<std::int64_t> called_at_unix_ms;
  const Ambient* ambient = nullptr;  // browsers: what the client adds (see Ambient)
};

/// What every message carries besides the call's fields.
struct BuildSettings {
  BuildSettings(std::size_t max_message_bytes, std::string_view channel, std::string_view library_name,
                std::string_view library_version);

  std::size_t max_message_bytes;
  std::string channel_json;  ///< the channel as a JSON string, written once
  std::string library_json;  ///< context.library, serialized once: {"name":...,"version":...}
};

struct BuildResult {
  std::optional<FieldError> error;  ///< set when the input broke a rule; nothing else is
  EncodedEvent event;
  std::string message_id;
};

/// Validates `fields` and serializes the event. `now_unix_ms` becomes originalTimestamp;
/// `rng` makes the messageId when none is given. Pure: no clock, no I/O, no shared state, so
/// any number of threads may build at once, each with its own Rng. The event's text is
/// written into `buffer` (its contents are discarded, its capacity kept), so a caller that
/// hands back the same string each time builds without allocating.
BuildResult build_message(const MessageFields& fields, const BuildSettings& settings,
                          std::int64_t now_unix_ms, Rng& rng, std::string buffer = {});

/// A call given as one JSON object with the payload's field names
/// ({"type":"track","userId":"u","event":"E","properties":{...}}), as the CLI's NDJSON input
/// and the JavaScript package give it. Ids may be strings or numbers (integers become their
/// decimal text); "timestamp" is an RFC 3339 string or milliseconds since the epoch. Unknown
/// fields and fields that do not belong to the type are errors, so typos surface.
/// `fields` borrows from the parsed JSON and from this object: keep both alive while using it.
struct ParsedCall {
  MessageFields fields;
  std::string storage[8];  // text of ids given as numbers; decoded strings (parse_call_text)
  /// The first id given as an integer past 2^53 - 1 ("userId", ...), or empty. Accepted as
  /// its exact text natively; from JavaScript such a number was rounded before it got here,
  /// which the Driver refuses (see Driver::call_text).
  std::string_view imprecise_id;

  ParsedCall() = default;
  ParsedCall(const ParsedCall&) = delete;  // `fields` may point into number_ids
  ParsedCall& operator=(const ParsedCall&) = delete;
};

/// What is wrong with a required text field (empty, not UTF-8, only white space), in the
/// calls' wording; none when it is fine. For fields set outside a call (setAnonymousId).
std::optional<FieldError> check_required_field(std::string_view value, const char* field);

/// Fills `out` from `input`, which must hold "type". Returns the first problem, if any.
std::optional<FieldError> parse_call(const nlohmann::json& input, ParsedCall& out);

/// As parse_call, with the type given separately (the JS API's per-call methods); "type" may
/// then be absent from `input`, and must match when present.
std::optional<FieldError> parse_call_of_type(MessageType type, const nlohmann::json& input,
                                             ParsedCall& out);

/// As parse_call_of_type, from the call's JSON text (what JSON.stringify wrote) without
/// building a tree: the fields' values stay text and are checked while build_message() writes
/// them. Same rules and same error wording. `fields` borrows from `text` and from `out`.
std::optional<FieldError> parse_call_text(MessageType type, std::string_view text,
                                          ParsedCall& out);

/// As parse_call, from JSON text holding "type" (the C API's rudder_submit), without a tree.
std::optional<FieldError> parse_call_text(std::string_view text, ParsedCall& out);

/// A call's fields as the JSON object parse_call() reads (type, userId, ..., timestamp as
/// RFC 3339 text), for a before_send hook to see and edit. Values given as JSON text (the
/// package's path, which has no such hook) are left out.
nlohmann::json fields_to_json(const MessageFields& fields);

}  // namespace rudder::core
