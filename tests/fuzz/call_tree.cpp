// rudder-analytics fuzzing: a call given as a tree (what the C++ API's submit() and the CLI's
// NDJSON input give the core), read by parse_call() / parse_call_of_type() and built by
// build_message().
// Copyright the rudder-analytics authors. MIT licence.
//
// Why: any JSON a caller can build reaches these functions, deeply nested or not; they must
// refuse it with an error or build one well-formed event, never crash, overflow the stack or
// trip ASan or UBSan. Inputs nlohmann/json does not parse are skipped (no exceptions: the
// parser's own failures are not this target's business).
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"

namespace {

constexpr std::size_t kMaxMessageBytes = 2'048;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rudder;
  const auto input = nlohmann::json::parse(data, data + size, nullptr, false);
  if (input.is_discarded()) return 0;
  {
    core::ParsedCall call;  // the type from the call's own "type" member
    const auto parse_error = core::parse_call(input, call);
    fuzz::check_event(fuzz::build(parse_error, call, kMaxMessageBytes), kMaxMessageBytes);
  }
  for (const core::MessageType type : fuzz::kTypes) {
    core::ParsedCall call;
    const auto parse_error = core::parse_call_of_type(type, input, call);
    fuzz::check_event(fuzz::build(parse_error, call, kMaxMessageBytes), kMaxMessageBytes);
  }
  return 0;
}
