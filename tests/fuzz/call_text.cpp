// rudder-analytics fuzzing: a call given as JSON text (what the npm package hands the core),
// read by parse_call_text() and built by build_message() as each of the six types.
// Copyright the rudder-analytics authors. MIT licence.
//
// Why: the text reader walks bytes a caller controls without building a tree, and copies them
// into the payload as they stand. Arbitrary input must never crash it, hang it or trip ASan or
// UBSan, and whatever it accepts must come out as one well-formed JSON event: a hole in its
// checks would otherwise put broken JSON into a batch, and the data plane refuses the whole
// batch for one bad event.
// Not checked: that only JSON is accepted. It is not yet: the reader skips what it never reads
// (a value spelled like null, "anonymousId":nope; a member of context.traits that identify's
// traits replace), and reads ids with leading zeros (007); none of it reaches the event.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"

namespace {

// Small enough that inputs under -max_len reach the size check and the largest-field blame.
constexpr std::size_t kMaxMessageBytes = 2'048;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rudder;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const core::MessageType type : fuzz::kTypes) {
    core::ParsedCall call;
    const auto parse_error = core::parse_call_text(type, text, call);
    const fuzz::Outcome outcome = fuzz::build(parse_error, call, kMaxMessageBytes);
    fuzz::check_event(outcome, kMaxMessageBytes);
  }
  return 0;
}
