// rudder-analytics core: UTF-8 checks, JSON string escaping, and a URL made safe to show.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace rudder::core {
namespace {

// Decodes one code point starting at s[i]; returns its length in bytes, or 0 when the bytes
// there are not well-formed UTF-8 (RFC 3629 table, which rules out overlongs and surrogates).
std::size_t decode(std::string_view s, std::size_t i, char32_t& cp) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char b = byte(k);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  return len;
}

// What the data plane removes from an id before it checks that one is there (rudder-go-kit's
// sanitize.Unicode: every character Go's unicode.IsPrint rejects, and a list of invisible ones
// from invisible-characters.com), before it trims White_Space (which these include): an id made only of these is
// blank to it, and one such id makes it refuse the whole batch. Not printable to Go: the
// categories C (controls, format, surrogates, private use, unassigned) and Z but U+0020.
// Unassigned code points are left out, but for the noncharacters: their tables would cost the
// browser's download more than ids made only of them are worth. Sorted, for the early exit.
constexpr struct { char32_t first, last; } kInvisible[] = {
    {0x0000, 0x0020}, {0x007F, 0x00A0}, {0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x0600, 0x0605},
    {0x061C, 0x061C}, {0x06DD, 0x06DD}, {0x070F, 0x070F}, {0x0890, 0x0891}, {0x08E2, 0x08E2},
    {0x115F, 0x1160}, {0x1680, 0x1680}, {0x17B4, 0x17B5}, {0x180E, 0x180E}, {0x2000, 0x200F},
    {0x2028, 0x202F}, {0x205F, 0x206F}, {0x2800, 0x2800}, {0x3000, 0x3000}, {0x3164, 0x3164},
    {0xD800, 0xF8FF}, {0xFDD0, 0xFDEF}, {0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0}, {0xFFF9, 0xFFFB},
    {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3},
    {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F}, {0xF0000, 0x10FFFF}};

bool is_invisible(char32_t c) noexcept {
  if ((c & 0xFFFE) == 0xFFFE) return true;  // the noncharacters at the end of every plane
  for (const auto& range : kInvisible) {
    if (c < range.first) return false;
    if (c <= range.last) return true;
  }
  return false;
}

}  // namespace

namespace {

// Little-endian loads put a string's first byte in a word's lowest bits, which is what lets
// a count of trailing zero bits find the first byte a test marks (wasm and x86 both are).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "plain_json_run assumes little-endian");

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

// The high bit of each byte of `w` that ends a plain run (quote, backslash, below 0x20, 0x80
// and above), by the "has a zero byte" bit trick. A borrow can also mark a byte above a true
// match, never one below it, so the lowest mark is exact.
std::uint64_t json_run_stops(std::uint64_t w) noexcept {
  const std::uint64_t quote = w ^ (kOnes * '"');
  const std::uint64_t backslash = w ^ (kOnes * '\\');
  const std::uint64_t below_space = (w - kOnes * 0x20) & ~w;
  const std::uint64_t is_quote = (quote - kOnes) & ~quote;
  const std::uint64_t is_backslash = (backslash - kOnes) & ~backslash;
  return (below_space | is_quote | is_backslash | w) & kHighs;
}

}  // namespace

std::size_t plain_json_run(const char* p, const char* end) noexcept {
  const char* const start = p;
  const auto at_mark = [start](const char* word, std::uint64_t stops) {
    return static_cast<std::size_t>(word - start) + (static_cast<std::size_t>(__builtin_ctzll(stops)) >> 3);
  };
  while (end - p >= 8) {
    std::uint64_t w;
    __builtin_memcpy(&w, p, 8);
    if (const std::uint64_t stops = json_run_stops(w)) return at_mark(p, stops);
    p += 8;
  }
  if (p == end) return static_cast<std::size_t>(end - start);
  if (p != start) {
    // The last eight bytes, overlapping words already found plain (which mark nothing).
    std::uint64_t w;
    __builtin_memcpy(&w, end - 8, 8);
    if (const std::uint64_t stops = json_run_stops(w)) return at_mark(end - 8, stops);
    return static_cast<std::size_t>(end - start);
  }
  // Fewer than eight bytes in all: one at a time.
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
  }
  return static_cast<std::size_t>(p - start);
}

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  char32_t cp;
  return decode(s, i, cp);
}

bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    // ASCII runs are the common case: skip them eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t word;
      __builtin_memcpy(&word, s.data() + i, 8);
      if (word & kHighs) break;
      i += 8;
    }
    if (i >= n) break;
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    const std::size_t len = decode(s, i, cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

bool is_blank(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    char32_t cp;
    const std::size_t len = decode(s, i, cp);
    if (len == 0 || !is_invisible(cp)) return false;
    i += len;
  }
  return true;
}

namespace {

struct ShortEscape {
  char byte;
  char letter;
};
constexpr ShortEscape kShortEscapes[] = {{'"', '"'},  {'\\', '\\'}, {'\b', 'b'}, {'\f', 'f'},
                                         {'\n', 'n'}, {'\r', 'r'},   {'\t', 't'}};

// Appends the escape sequence of an ASCII byte that JSON does not allow bare.
void append_escape(JsonOut& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.put('\\');
  if (const char letter = escape_letter(static_cast<char>(c))) {
    out.put(letter);
    return;
  }
  out.put("u00");
  out.put(kHex[c >> 4]);
  out.put(kHex[c & 0xF]);
}

}  // namespace

namespace {

// Both writers: plain runs are copied whole, found a word at a time (plain_json_run); a byte
// that ends a run is escaped when below 0x80, and otherwise starts a UTF-8 sequence, copied as
// it stands (checked first when `check`). False only for a sequence that fails the check.
bool write_json_string(JsonOut& out, std::string_view s, bool check) {
  out.put('"');
  const char* p = s.data();
  const char* const end = p + s.size();
  const char* copied = p;  // start of what is still to be copied as it stands
  for (;;) {
    p += plain_json_run(p, end);
    if (p == end) break;
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x80) {
      const std::size_t length = check ? utf8_sequence_length(s, static_cast<std::size_t>(p - s.data())) : 1;
      if (length == 0) return false;
      p += length;
      continue;
    }
    out.put(std::string_view(copied, static_cast<std::size_t>(p - copied)));
    append_escape(out, c);
    copied = ++p;
  }
  out.put(std::string_view(copied, static_cast<std::size_t>(end - copied)));
  out.put('"');
  return true;
}

}  // namespace

void append_json_string(JsonOut& out, std::string_view s) { write_json_string(out, s, false); }

bool append_json_string_checked(JsonOut& out, std::string_view s) { return write_json_string(out, s, true); }

void append_json_string(std::string& out, std::string_view s) {
  JsonOut writer(out, s.size() + 2);
  append_json_string(writer, s);
}

bool append_json_string_checked(std::string& out, std::string_view s) {
  JsonOut writer(out, s.size() + 2);
  return append_json_string_checked(writer, s);
}

char escape_letter(char byte) noexcept {
  for (const ShortEscape& e : kShortEscapes) {
    if (e.byte == byte) return e.letter;
  }
  return 0;
}

char escaped_byte(char letter) noexcept {
  for (const ShortEscape& e : kShortEscapes) {
    if (e.letter == letter) return e.byte;
  }
  return 0;
}

bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) noexcept {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

std::string last_attempt_note(std::string_view answer) {
  if (answer.empty()) return {};
  return " (the last attempt got " + std::string(answer) + ")";
}

std::string count_of(std::uint64_t n, std::string_view singular, std::string_view plural) {
  std::string out = std::to_string(n);
  out.push_back(' ');
  out.append(n == 1 ? singular : plural);
  return out;
}

std::string quoted_url_for_message(std::string_view url, std::string_view secret) {
  constexpr std::size_t kMaxShown = 200;
  std::string redacted(url);
  const std::size_t scheme_end = redacted.find("://");
  const std::size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  // The user info, a user name alone too (a token is often given so), and whatever follows a
  // '?' or '#' (tokens again): shown as ***, the rest as it is, so the mistake can be found.
  const std::size_t at = redacted.rfind('@');
  if (at != std::string::npos && at >= start) redacted.replace(start, at - start, "***");
  for (const char mark : {'?', '#'}) {
    const std::size_t from = redacted.find(mark, start);
    if (from == std::string::npos) continue;
    std::size_t to = mark == '?' ? redacted.find('#', from) : std::string::npos;
    if (to == std::string::npos) to = redacted.size();
    if (to > from + 1) redacted.replace(from + 1, to - from - 1, "***");
  }
  if (!secret.empty()) {
    for (std::size_t k = redacted.find(secret); k != std::string::npos;
         k = redacted.find(secret, k + 3)) {
      redacted.replace(k, secret.size(), "***");
    }
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (std::size_t k = 0; k < redacted.size(); ++k) {
    if (k == kMaxShown) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(redacted[k]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + '"';
}

}  // namespace rudder::core
