// rudder-analytics core: UTF-8 checks, JSON string escaping, a URL made safe to show, and
// counts written for messages.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_out.hpp"

namespace rudder::core {

/// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

/// The number of bytes at the start of [p, end) before the first that ends a run of plain
/// JSON string text: a quote, a backslash, a control byte (below 0x20) or a byte at or above
/// 0x80 (end - p when there is none). Eight bytes at a time: every string of every event
/// goes through here, in the readers of JSON text and in the writer of JSON strings.
std::size_t plain_json_run(const char* p, const char* end) noexcept;

/// The length of the well-formed UTF-8 sequence that starts at s[i] (1 to 4), or 0 when
/// the bytes there are not one (RFC 3629: no overlongs, surrogates or code points above
/// U+10FFFF, and no sequence cut short by the end of `s`).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept;

/// True when `s` holds only white space and invisible characters: what the data plane
/// removes from an id (controls, format characters, private use, the fillers and blanks
/// rudder-go-kit's sanitize.Unicode lists) and trims (White_Space) before it checks that the
/// id is there, refusing the whole batch otherwise. `s` must be valid UTF-8.
bool is_blank(std::string_view s) noexcept;

/// JSON's two-character escapes, one table both ways: the letter after the backslash for
/// `byte` ('n' for a newline, '"' for a quote), and the byte `letter` stands for; 0 when there
/// is none ("\/" is read as '/' but never written, so it is the reader's own).
char escape_letter(char byte) noexcept;
char escaped_byte(char letter) noexcept;

/// True when `a` and `b` are the same text but for the case of ASCII letters.
bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) noexcept;

/// Appends `s` to `out` as a JSON string literal (quotes included). Bytes at or above 0x80
/// are copied as they are, so `s` must already be valid UTF-8.
void append_json_string(JsonOut& out, std::string_view s);
void append_json_string(std::string& out, std::string_view s);

/// As append_json_string, checking the UTF-8 on the way (one pass instead of two). Returns
/// false, leaving `out` partly written, when `s` is not valid UTF-8.
bool append_json_string_checked(JsonOut& out, std::string_view s);
bool append_json_string_checked(std::string& out, std::string_view s);

/// `url` as a message may show it, in double quotes: the password of any user info replaced
/// by "***" ("https://user:***@host"), each occurrence of `secret` (the write key; empty:
/// none) too, '"' and '\\' escaped with a backslash, bytes other than printable ASCII as \xHH,
/// and cut after 200 characters. Whatever the URL's shape, it over-redacts rather than leaks:
/// the user info is taken to run from the scheme's "://" (or the start) to the last '@'.
std::string quoted_url_for_message(std::string_view url, std::string_view secret);

/// "1 event", "2 events": a count and its noun, for messages.
std::string count_of(std::uint64_t n, std::string_view singular, std::string_view plural);

/// " (the last attempt got HTTP 503: ...)" for a message about what was left undelivered;
/// empty when no attempt failed (`answer`, Pipeline::last_failed_answer(), is empty).
std::string last_attempt_note(std::string_view answer);

}  // namespace rudder::core
