// rudder-analytics core: ISO-8601 UTC times with milliseconds, as the payload carries them.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rudder::core {

/// Length of "YYYY-MM-DDTHH:MM:SS.mmmZ".
inline constexpr std::size_t kIsoTimeLength = 24;

/// The instants that format writes exactly, in milliseconds since 1970-01-01T00:00:00Z:
/// 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z. A caller's timestamp outside them is
/// refused (kIsoTimeRangeProblem), never clamped: RFC 3339 has four-digit years, and year 0000
/// (1 BC), which it allows, is one that many readers of the events cannot hold (Python's
/// datetime, for one, starts at year 1).
inline constexpr std::int64_t kMinIsoTimeMs = -62'135'596'800'000;
inline constexpr std::int64_t kMaxIsoTimeMs = 253'402'300'799'999;
inline constexpr const char* kIsoTimeRangeProblem = "is outside the years 1 to 9999";
/// A timestamp given as a number of milliseconds must be at least this far from 1970
/// (1973-03-03): below it, it is almost surely seconds since 1970 (see read_timestamp).
inline constexpr double kSecondsMistakenForMilliseconds = 1e11;

constexpr bool is_iso_time_in_range(std::int64_t unix_ms) noexcept {
  return unix_ms >= kMinIsoTimeMs && unix_ms <= kMaxIsoTimeMs;
}

/// Writes `unix_ms` (milliseconds since 1970-01-01T00:00:00Z) as "YYYY-MM-DDTHH:MM:SS.mmmZ"
/// into `out`, which must hold kIsoTimeLength chars (no terminator is written). Exact for every
/// instant is_iso_time_in_range() accepts; a caller's time is checked against it first. Only
/// a clock's reading (originalTimestamp, sentAt) can lie outside, and is then written as the
/// nearer end of the range rather than as a five-digit or negative year.
void format_iso_time(std::int64_t unix_ms, char* out) noexcept;

/// Parses an RFC 3339 time: "YYYY-MM-DDTHH:MM:SS", optional fraction (any digits, kept to the
/// millisecond), then "Z" or "+HH:MM" / "-HH:MM". Lower-case "t"/"z" and a space separator
/// are accepted. Returns milliseconds since the epoch, or nothing when malformed. The instant
/// may lie outside is_iso_time_in_range() (year 0000, or an offset that moves
/// 9999-12-31T23:59 into the year 10000): callers check.
std::optional<std::int64_t> parse_iso_time(std::string_view text) noexcept;

/// Parses an HTTP-date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"), as Retry-After may
/// carry. Returns milliseconds since the epoch, or nothing when malformed.
std::optional<std::int64_t> parse_http_date(std::string_view text) noexcept;

}  // namespace rudder::core
