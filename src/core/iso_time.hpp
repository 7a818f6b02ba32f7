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

/// Writes `unix_ms` (milliseconds since 1970-01-01T00:00:00Z) as "YYYY-MM-DDTHH:MM:SS.mmmZ"
/// into `out`, which must hold kIsoTimeLength chars (no terminator is written).
/// Years outside 0..9999 are clamped to that range's ends.
void format_iso_time(std::int64_t unix_ms, char* out) noexcept;

/// Parses an RFC 3339 time: "YYYY-MM-DDTHH:MM:SS", optional fraction (any digits, kept to the
/// millisecond), then "Z" or "+HH:MM" / "-HH:MM". Lower-case "t"/"z" and a space separator
/// are accepted. Returns milliseconds since the epoch, or nothing when malformed.
std::optional<std::int64_t> parse_iso_time(std::string_view text) noexcept;

/// Parses an HTTP-date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"), as Retry-After may
/// carry. Returns milliseconds since the epoch, or nothing when malformed.
std::optional<std::int64_t> parse_http_date(std::string_view text) noexcept;

}  // namespace rudder::core
