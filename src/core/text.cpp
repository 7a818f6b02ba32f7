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

// Unicode White_Space, the set Go's unicode.IsSpace (and so the data plane) trims.
bool is_space(char32_t c) noexcept {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

}  // namespace

namespace {

// Inlined where speed is asked for; kept as one copy where size is (the browser's build,
// -Oz), since each copy costs download bytes.
#if defined(__OPTIMIZE_SIZE__)
#define RUDDER_HOT_INLINE __attribute__((noinline))
#else
#define RUDDER_HOT_INLINE inline __attribute__((always_inline))
#endif

// The last `n` (1 to 7) bytes at `p` as one word for the "is any byte ..." tests below, the
// bytes repeated or padded with 'a' (plain ASCII, never a match) to fill it: most ids, keys
// and names are shorter than eight bytes or end in a partial word, and testing that tail a
// byte at a time cost more than the rest of the string.
std::uint64_t tail_word(const char* p, std::size_t n) noexcept {
  if (n >= 4) {  // two loads of four that overlap in the middle
    std::uint32_t head;
    std::uint32_t tail;
    __builtin_memcpy(&head, p, 4);
    __builtin_memcpy(&tail, p + n - 4, 4);
    return head | (std::uint64_t{tail} << 32);
  }
  const auto byte = [p](std::size_t i) { return std::uint64_t{static_cast<unsigned char>(p[i])}; };
  return (0x6161616161000000ULL) | byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16;
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    // ASCII runs are the common case: skip them eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t word;
      __builtin_memcpy(&word, s.data() + i, 8);
      if (word & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    if (n - i < 8 && (tail_word(s.data() + i, n - i) & 0x8080808080808080ULL) == 0) break;
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
    if (len == 0 || !is_space(cp)) return false;
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

// A table rather than three comparisons: this runs for every byte of every string of every
// event on the caller's thread.
constexpr auto kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = true;
  table['\\'] = true;
  return table;
}();

bool needs_escape(unsigned char c) { return kNeedsEscape[c]; }

// The length of the prefix of s[from..] made of whole 8-byte words that are plain ASCII with
// nothing to escape (no control byte, quote, backslash or byte >= 0x80). Most text in events
// is such, and checking a word at a time (the "has a zero byte" bit trick, exact for "any")
// is several times faster than looking up each byte.
RUDDER_HOT_INLINE std::size_t plain_words(std::string_view s, std::size_t from) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const auto plain = [](std::uint64_t w) {
    const std::uint64_t quote = w ^ (kOnes * '"');
    const std::uint64_t backslash = w ^ (kOnes * '\\');
    const std::uint64_t below_space = (w - kOnes * 0x20) & ~w;
    const std::uint64_t is_quote = (quote - kOnes) & ~quote;
    const std::uint64_t is_backslash = (backslash - kOnes) & ~backslash;
    return ((below_space | is_quote | is_backslash | w) & kHighs) == 0;
  };
  std::size_t i = from;
  while (i + 8 <= s.size()) {
    std::uint64_t w;
    __builtin_memcpy(&w, s.data() + i, 8);
    if (!plain(w)) return i - from;
    i += 8;
  }
  if (i < s.size() && plain(tail_word(s.data() + i, s.size() - i))) i = s.size();
  return i - from;
}

}  // namespace

void append_json_string(JsonOut& out, std::string_view s) {
  out.put('"');
  std::size_t run_start = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    i += plain_words(s, i);
    if (i >= s.size()) break;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (needs_escape(c)) {
      out.put(s.substr(run_start, i - run_start));
      run_start = i + 1;
      append_escape(out, c);
    }
    ++i;
  }
  out.put(s.substr(run_start));
  out.put('"');
}

bool append_json_string_checked(JsonOut& out, std::string_view s) {
  out.put('"');
  std::size_t run_start = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    i += plain_words(s, i);
    if (i >= s.size()) break;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      char32_t cp;
      const std::size_t len = decode(s, i, cp);
      if (len == 0) return false;
      i += len;
      continue;
    }
    if (needs_escape(c)) {
      out.put(s.substr(run_start, i - run_start));
      run_start = i + 1;
      append_escape(out, c);
    }
    ++i;
  }
  out.put(s.substr(run_start));
  out.put('"');
  return true;
}

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
  const std::size_t at = redacted.rfind('@');
  if (at != std::string::npos && at >= start) {
    const std::size_t colon = redacted.find(':', start);
    if (colon < at) redacted.replace(colon + 1, at - colon - 1, "***");
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
