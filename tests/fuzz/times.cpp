// rudder-analytics fuzzing: the time readers, parse_iso_time() (a caller's "timestamp"),
// parse_http_date() and retry_after_ms() (a data plane's Retry-After header).
// Copyright the rudder-analytics authors. MIT licence.
//
// Why: both inputs come from outside (a caller, a server), are read with hand-written date
// arithmetic, and end up as a payload field or as how long the worker sleeps. Besides never
// crashing or overflowing (UBSan), a time read back from its own formatting must be the same
// instant, and a Retry-After wait must lie between 0 and the cap whatever the header says.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/iso_time.hpp"
#include "core/retry.hpp"
#include "fuzz_support.hpp"

namespace {

// 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the instants the payload's format
// writes exactly (four-digit years; formatting clamps beyond them).
constexpr std::int64_t kFirstMs = -62'135'596'800'000;
constexpr std::int64_t kLastMs = 253'402'300'799'999;
constexpr std::int64_t kNow = 1'706'702'400'000;
constexpr std::int64_t kCapMs = 300'000;

std::string formatted(std::int64_t unix_ms) {
  char iso[rudder::core::kIsoTimeLength];
  rudder::core::format_iso_time(unix_ms, iso);
  return std::string(iso, sizeof iso);
}

// Formatting `unix_ms` and reading it back gives the same instant, when it is one the format
// can hold; either way the text read back formats to itself.
void check_round_trip(std::int64_t unix_ms, const std::string& from) {
  const std::string iso = formatted(unix_ms);
  const auto back = rudder::core::parse_iso_time(iso);
  FUZZ_CHECK(back.has_value(), from + " formatted as " + iso);
  FUZZ_CHECK(formatted(*back) == iso, from + " formatted as " + iso);
  if (unix_ms >= kFirstMs && unix_ms <= kLastMs) {
    FUZZ_CHECK(*back == unix_ms,
               from + " formatted as " + iso + ", read back as " + std::to_string(*back));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rudder;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string shown(text);

  if (const auto iso = core::parse_iso_time(text)) check_round_trip(*iso, shown);

  if (const auto http = core::parse_http_date(text)) {
    FUZZ_CHECK(*http % 1000 == 0, shown);  // whole seconds
    check_round_trip(*http, shown);
  }

  const auto wait = core::retry_after_ms(text, kNow, kCapMs);
  if (wait) FUZZ_CHECK(*wait >= 0 && *wait <= kCapMs, shown + " -> " + std::to_string(*wait));
  // delay-seconds: exactly the seconds asked for, up to the cap.
  if (!text.empty() && text.size() <= 15 &&
      text.find_first_not_of("0123456789") == std::string::npos) {
    const std::int64_t seconds = std::stoll(shown);
    FUZZ_CHECK(wait && *wait == std::min(seconds * 1000, kCapMs), shown);
  }
  return 0;
}
