// rudder-analytics fuzzing: what the call targets share (a check that survives NDEBUG, the
// six types, one way to build a parsed call into an outcome that can be compared).
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/field_error.hpp"
#include "core/message.hpp"
#include "core/random.hpp"

namespace rudder::fuzz {

// Stops the run; libFuzzer saves the input as a crash file. Not assert(): the fuzzers are built
// with optimizations (and may be with NDEBUG), and a check that vanishes finds nothing.
[[noreturn]] inline void fail(const char* check, const std::string& detail) {
  std::fprintf(stderr, "fuzz check failed: %s\n%s\n", check, detail.c_str());
  std::abort();
}
#define FUZZ_CHECK(condition, detail)                             \
  do {                                                            \
    if (!(condition)) ::rudder::fuzz::fail(#condition, (detail)); \
  } while (0)

inline constexpr core::MessageType kTypes[] = {
    core::MessageType::identify, core::MessageType::track, core::MessageType::page,
    core::MessageType::screen,   core::MessageType::group, core::MessageType::alias};

// Fixed inputs, so that two builds of the same call are comparable byte for byte: the
// messageId comes from an Rng seeded alike, originalTimestamp from the same "now".
inline constexpr std::int64_t kNow = 1'706'702'400'000;
inline constexpr std::uint64_t kSeed = 7;

// What one call came to: an error ("field: problem"), or the event and its messageId.
struct Outcome {
  std::string error;
  std::string event;  // json_open, as queued (no sentAt, no closing brace)
  std::string message_id;

  bool accepted() const { return error.empty(); }
  std::string describe() const {
    return accepted() ? "accepted: " + event + "}" : "refused: " + error;
  }
};

// Builds `call` (already parsed; `parse_error` is what parsing said) with a fresh Rng.
inline Outcome build(const std::optional<core::FieldError>& parse_error,
                     const core::ParsedCall& call, std::size_t max_message_bytes) {
  if (parse_error) return {parse_error->to_string(), "", ""};
  const core::BuildSettings settings(max_message_bytes, "server", "rudder-fuzz", "0.0.0");
  core::Rng rng(kSeed);
  core::BuildResult built = core::build_message(call.fields, settings, kNow, rng);
  if (built.error) {
    FUZZ_CHECK(!built.error->to_string().empty() && built.event.json_open.empty(),
               built.error->to_string());
    return {built.error->to_string(), "", ""};
  }
  return {"", std::move(built.event.json_open), std::move(built.message_id)};
}

// An accepted event is one strict JSON object within the size limit, whatever the input was:
// the text form copies the caller's bytes, so this is where a hole in its checks would show.
inline void check_event(const Outcome& outcome, std::size_t max_message_bytes) {
  if (!outcome.accepted()) return;
  const std::string complete = outcome.event + "}";
  const auto event = nlohmann::json::parse(complete, nullptr, false);
  FUZZ_CHECK(event.is_object(), "not a JSON object: " + complete);
  FUZZ_CHECK(event.contains("type") && event.contains("messageId") && event.contains("context"),
             complete);
  FUZZ_CHECK(event["messageId"] == outcome.message_id, complete);
  FUZZ_CHECK(complete.size() <= max_message_bytes, complete);
}

}  // namespace rudder::fuzz
