// rudder-analytics core: a caller's JSON value given as text, checked and copied without
// building a tree.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/json_text.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <string>

#include "core/json_check.hpp"
#include "core/text.hpp"

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>

// JavaScript's Number() reads decimal text correctly rounded, and costs the module no code:
// Emscripten's libc++ has no floating-point from_chars, and libc's strtod added 7 KiB gzipped
// to the browser download for the rare number-typed timestamp. `text` is a checked JSON
// number, so ASCII.
EM_JS(double, rudder_js_number, (const char* text, unsigned length), {
  return Number(String.fromCharCode.apply(null, HEAPU8.subarray(text, text + length)));
});
#endif

namespace rudder::core {
namespace {

using Kind = FieldError::Kind;
constexpr std::size_t kNotYet = std::string::npos;
constexpr const char* kNotJson = "is not valid JSON";  // the Scanner's word for a syntax error

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits at `p` (which must hold four chars), or -1.
int hex4(const char* p) {
  int v = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = hex_value(p[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// For the \u escape at `p` (six characters up to `end`) whose unit is `unit`: the low half of
// the surrogate pair it begins, or -1 when `unit` is no high half or no low half follows it
// (a surrogate `unit` is then half a pair alone).
int low_surrogate_after(int unit, const char* p, const char* end) {
  if (unit < 0xD800 || unit > 0xDBFF || end - p < 12 || p[6] != '\\' || p[7] != 'u') return -1;
  const int low = hex4(p + 8);
  return low >= 0xDC00 && low <= 0xDFFF ? low : -1;
}

// The byte a two-character escape's letter stands for when reading, 0 for none: the
// writer's escapes, and "\/", which JSON allows but nothing writes.
char read_escape(char letter) { return letter == '/' ? '/' : escaped_byte(letter); }

// The digits of the midpoint between DBL_MAX and 2^1024 (2^1024 - 2^970, all 309 of them:
// any prefix would refuse the finite numbers between it and the midpoint): a decimal number
// with its leading digit at 10^308 is finite as a double exactly when its digits compare
// below these. The midpoint itself rounds to even, which is 2^1024: infinity.
constexpr std::string_view kOverflowDigits =
    "17976931348623158079372897140530341507993413271003782693617377898044496829276475"
    "09466490179775872070963302864166928879109465555478519404026306574886715058206819"
    "08902000708383676273854845817711531764475730270069855571366959622842914819860834"
    "936475292719074168444365510704342711559699508093042880177904174497792";

// The exponent part of a well-formed number token, `p` at its 'e' (or at `end`: none), clamped
// far beyond any double's range so a thousand-digit exponent cannot overflow.
long long exponent_of(const char* p, const char* end) {
  if (p == end) return 0;
  ++p;  // 'e' or 'E'
  const bool negative = *p == '-';
  if (*p == '+' || *p == '-') ++p;
  long long exponent = 0;
  for (; p < end; ++p) exponent = std::min(exponent * 10 + (*p - '0'), 1'000'000LL);
  return negative ? -exponent : exponent;
}

// Whether the well-formed number token [begin, end) rounds to a finite double. Only a number
// whose leading digit stands at 10^308 needs its digits compared; the rest is counting.
bool finite_number(const char* begin, const char* end) {
  const char* p = begin;
  if (*p == '-') ++p;
  const char* int_begin = p;
  while (p < end && is_digit(*p)) ++p;
  const char* int_end = p;
  const char* frac_begin = int_end;
  const char* frac_end = int_end;
  if (p < end && *p == '.') {
    frac_begin = ++p;
    while (p < end && is_digit(*p)) ++p;
    frac_end = p;
  }
  const long long exponent = exponent_of(p, end);
  const char* first = int_begin;
  while (first < int_end && *first == '0') ++first;
  long long decimal_exponent = 0;
  if (first < int_end) {
    decimal_exponent = (int_end - first) - 1 + exponent;
  } else {
    first = frac_begin;
    while (first < frac_end && *first == '0') ++first;
    if (first == frac_end) return true;  // zero
    decimal_exponent = -(first - frac_begin) - 1 + exponent;
  }
  if (decimal_exponent < 308) return true;
  if (decimal_exponent > 308) return false;
  std::string significant;
  for (const char* q = first; q < frac_end; ++q) {
    if (is_digit(*q)) significant.push_back(*q);
  }
  significant.erase(significant.find_last_not_of('0') + 1);
  return std::string_view(significant).compare(kOverflowDigits) < 0;
}

// Walks one JSON value, copying it without white space to `out` (when given) and, when
// `path` is given, keeping the path of where it is so a problem can be named. The fast pass
// runs without a path; only a value that fails is walked again with one.
class Scanner {
 public:
  Scanner(std::string_view text, JsonOut* out, std::string* path)
      : p_(text.data()), end_(text.data() + text.size()), copied_(p_), out_(out), path_(path) {}

  // The whole text: one value and nothing after it but white space.
  bool document(std::size_t depth) {
    const std::size_t outer = depth > 1 && path_ != nullptr ? path_->size() : kNotYet;
    if (!value(depth, outer)) return false;
    flush();
    skip_space();
    return p_ == end_ || fail(Kind::invalid_value, kNotJson);
  }

  FieldError error{Kind::invalid_value, "", ""};

 private:
  // The text is copied in runs: only white space between tokens is left out, so everything
  // from `copied_` up to the next white space goes out in one append.
  void skip_space() {
    if (p_ == end_ || !is_space(*p_)) return;
    if (out_ != nullptr) out_->put(std::string_view(copied_, static_cast<std::size_t>(p_ - copied_)));
    while (p_ < end_ && is_space(*p_)) ++p_;
    copied_ = p_;
  }
  void flush() {
    if (out_ != nullptr) out_->put(std::string_view(copied_, static_cast<std::size_t>(p_ - copied_)));
    copied_ = p_;
  }
  // Half a UTF-16 surrogate pair at `p_` (an escape such as \ud83d with no partner): what
  // JSON.stringify writes for text cut inside an emoji ('\u{1F600}'.slice(0, 1)). No character,
  // so UTF-8 cannot carry it; it goes as U+FFFD, the replacement character, which is what
  // TextEncoder and the data plane's own decoder make of it, rather than the event being
  // refused (the peers' SDKs send it as it is). The same length: the copy stays in step.
  void replace_lone_surrogate() {
    flush();
    if (out_ != nullptr) out_->put("\\ufffd");
    p_ += 6;
    copied_ = p_;
  }
  bool fail(Kind kind, const char* problem, std::size_t path_end = kNotYet) {
    if (path_ != nullptr) {
      error = {kind, path_end == kNotYet ? *path_ : path_->substr(0, path_end), problem};
    }
    return false;
  }

  bool value(std::size_t depth, std::size_t outer_end) {
    skip_space();
    if (p_ == end_) return fail(Kind::invalid_value, kNotJson);
    switch (*p_) {
      case '{':
      case '[':
        if (depth > kMaxJsonDepth) {
          if (path_ != nullptr) {
            error = {Kind::invalid_value, path_->substr(0, outer_end),
                     "is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
          }
          return false;
        }
        return *p_ == '{' ? object(depth, outer_end) : array(depth, outer_end);
      case '"':
        return string(false);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  bool object(std::size_t depth, std::size_t outer_end) {
    ++p_;
    skip_space();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    for (;;) {
      skip_space();
      if (p_ == end_ || *p_ != '"') return fail(Kind::invalid_value, kNotJson);
      const char* key = p_;
      if (!string(true)) return false;
      const std::string_view key_token(key, static_cast<std::size_t>(p_ - key));
      skip_space();
      if (p_ == end_ || *p_ != ':') return fail(Kind::invalid_value, kNotJson);
      ++p_;
      std::string segment;  // ".key", spelled out only when a path is kept
      if (path_ != nullptr) {
        decode_json_string(key_token, segment);
        segment.insert(0, ".");
      }
      switch (item(depth, outer_end, segment, '}')) {
        case Next::more: continue;
        case Next::done: return true;
        case Next::failed: return false;
      }
    }
  }

  bool array(std::size_t depth, std::size_t outer_end) {
    ++p_;
    skip_space();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    for (std::size_t index = 0;; ++index) {
      const std::string segment = path_ != nullptr ? "[" + std::to_string(index) + "]" : std::string();
      switch (item(depth, outer_end, segment, ']')) {
        case Next::more: continue;
        case Next::done: return true;
        case Next::failed: return false;
      }
    }
  }

  // One member's value or one element, its path extended by `segment` while it is walked;
  // then the ',' before the next one, or the `close` that ends the object or array.
  enum class Next { more, done, failed };
  Next item(std::size_t depth, std::size_t outer_end, const std::string& segment, char close) {
    const std::size_t mark = path_ != nullptr ? path_->size() : 0;
    std::size_t child_outer = outer_end;
    if (path_ != nullptr) {
      path_->append(segment);
      if (outer_end == kNotYet) child_outer = path_->size();
    }
    if (!value(depth + 1, child_outer)) return Next::failed;
    if (path_ != nullptr) path_->resize(mark);
    skip_space();
    if (p_ < end_ && (*p_ == ',' || *p_ == close)) return *p_++ == ',' ? Next::more : Next::done;
    fail(Kind::invalid_value, kNotJson);
    return Next::failed;
  }

  // A string token, copied as it stands once its bytes and escapes check out: plain runs a
  // word at a time, each UTF-8 sequence and escape where a run ends.
  bool string(bool is_key) {
    const char* problem = is_key ? "object key is not valid UTF-8" : "string is not valid UTF-8";
    ++p_;  // the opening quote
    for (;;) {
      p_ += plain_json_run(p_, end_);
      if (p_ == end_) break;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c >= 0x80) {
        const std::size_t length = utf8_sequence_length(std::string_view(p_, static_cast<std::size_t>(end_ - p_)), 0);
        if (length == 0) return fail(Kind::invalid_value, problem);
        p_ += length;
        continue;
      }
      if (c != '\\' || end_ - p_ < 2) break;  // control characters must be escaped
      const char e = p_[1];
      if (e == 'u') {
        if (end_ - p_ < 6) break;
        const int unit = hex4(p_ + 2);
        if (unit < 0) break;
        if (unit >= 0xD800 && unit <= 0xDFFF) {
          if (low_surrogate_after(unit, p_, end_) >= 0) {  // a pair: one character
            p_ += 12;
            continue;
          }
          replace_lone_surrogate();
          continue;
        }
        p_ += 6;
      } else if (read_escape(e) != 0) {
        p_ += 2;
      } else {
        break;
      }
    }
    return fail(Kind::invalid_value, kNotJson);
  }

  bool number() {
    const char* start = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ == end_ || !is_digit(*p_)) return fail(Kind::invalid_value, kNotJson);
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && is_digit(*p_)) ++p_;
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !is_digit(*p_)) return fail(Kind::invalid_value, kNotJson);
      while (p_ < end_ && is_digit(*p_)) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !is_digit(*p_)) return fail(Kind::invalid_value, kNotJson);
      while (p_ < end_ && is_digit(*p_)) ++p_;
    }
    if (!finite_number(start, p_)) return fail(Kind::out_of_range, "number is not finite");
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return fail(Kind::invalid_value, kNotJson);
    }
    p_ += word.size();
    return true;
  }

  const char* p_;
  const char* end_;
  const char* copied_;  // start of what is still to be appended to out_
  JsonOut* out_;
  std::string* path_;
};

// The end of the string token at `p` (just past its closing quote), or nullptr.
const char* skip_string(const char* p, const char* end) {
  ++p;  // the opening quote
  for (;;) {
    p += plain_json_run(p, end);
    if (p == end) return nullptr;
    if (*p == '"') return p + 1;
    if (*p == '\\') {
      if (end - p < 2) return nullptr;
      ++p;  // the escaped character, whatever it is, is not the end
    }
    ++p;
  }
}

// The bytes that shape a value's outline: strings and brackets.
constexpr auto kOutline = [] {
  std::array<bool, 256> table{};
  for (const char c : {'"', '{', '}', '[', ']'}) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

// The end of the value starting at `p` by its outline only (brackets and strings), or nullptr.
// Iterative, so no nesting can exhaust the stack; the value's contents are checked later.
const char* skip_value(const char* p, const char* end) {
  if (p == end) return nullptr;
  if (*p == '"') return skip_string(p, end);
  if (*p == '{' || *p == '[') {
    std::size_t depth = 0;
    for (;;) {
      while (p < end && !kOutline[static_cast<unsigned char>(*p)]) ++p;
      if (p == end) return nullptr;
      const char c = *p;
      if (c == '"') {
        p = skip_string(p, end);
        if (p == nullptr) return nullptr;
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (--depth == 0) {
        return p + 1;
      }
      ++p;
    }
  }
  const char* start = p;
  while (p < end && !is_space(*p) && *p != ',' && *p != '}' && *p != ']') ++p;
  return p == start ? nullptr : p;
}

}  // namespace

JsonKind json_text_kind(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  if (i == text.size()) return JsonKind::invalid;
  switch (text[i]) {
    case '{': return JsonKind::object;
    case '[': return JsonKind::array;
    case '"': return JsonKind::string;
    case 't':
    case 'f': return JsonKind::boolean;
    case 'n': return JsonKind::null;
    default: return text[i] == '-' || is_digit(text[i]) ? JsonKind::number : JsonKind::invalid;
  }
}

JsonKind json_value_kind(std::string_view text) {
  const JsonKind kind = json_text_kind(text);
  if (kind == JsonKind::invalid) return kind;
  // Only a failure to read the text counts; a value that breaks another rule (a string that
  // is not UTF-8, a number beyond a double) is still a value of its kind.
  const std::optional<FieldError> problem = check_json_text(text, std::string());
  return problem && problem->problem == kNotJson ? JsonKind::invalid : kind;
}

const char* json_kind_name(JsonKind kind) noexcept {
  switch (kind) {
    case JsonKind::object: return "object";
    case JsonKind::array: return "array";
    case JsonKind::string: return "string";
    case JsonKind::number: return "number";
    case JsonKind::boolean: return "boolean";
    case JsonKind::null: return "null";
    case JsonKind::invalid: break;
  }
  return "invalid JSON";
}

bool write_checked_json_text(std::string_view text, JsonOut& out, std::size_t depth) {
  return Scanner(text, &out, nullptr).document(depth);
}

bool write_checked_json_text(std::string_view text, std::string& out, std::size_t depth) {
  JsonOut writer(out, text.size());
  return write_checked_json_text(text, writer, depth);
}

std::optional<FieldError> check_json_text(std::string_view text, const std::string& field,
                                          std::size_t depth) {
  std::string path = field;
  Scanner scanner(text, nullptr, &path);
  if (scanner.document(depth)) return std::nullopt;
  return scanner.error;
}

bool json_text_members(std::string_view text, std::vector<JsonTextMember>& out) {
  out.clear();
  const char* p = text.data();
  const char* end = p + text.size();
  auto skip_space = [&] {
    while (p < end && is_space(*p)) ++p;
  };
  skip_space();
  if (p == end || *p != '{') return false;
  ++p;
  skip_space();
  if (p < end && *p == '}') {
    ++p;
  } else {
    for (;;) {
      skip_space();
      if (p == end || *p != '"') return false;
      const char* key_end = skip_string(p, end);
      if (key_end == nullptr) return false;
      JsonTextMember member;
      if (!decode_json_string(std::string_view(p, static_cast<std::size_t>(key_end - p)), member.key)) {
        return false;
      }
      p = key_end;
      skip_space();
      if (p == end || *p != ':') return false;
      ++p;
      skip_space();
      const char* value_end = skip_value(p, end);
      if (value_end == nullptr) return false;
      member.value = std::string_view(p, static_cast<std::size_t>(value_end - p));
      out.push_back(std::move(member));
      p = value_end;
      skip_space();
      if (p < end && *p == ',') {
        ++p;
        continue;
      }
      if (p < end && *p == '}') {
        ++p;
        break;
      }
      return false;
    }
  }
  skip_space();
  return p == end;
}

bool decode_json_string(std::string_view token, std::string& out) {
  out.clear();
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') return false;
  const char* p = token.data() + 1;
  const char* end = token.data() + token.size() - 1;
  auto put = [&](std::uint32_t cp) {  // code point to UTF-8
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  };
  while (p < end) {
    const char* run = p;  // plain characters, and UTF-8 as it stands, go in one append
    for (p += plain_json_run(p, end); p < end && static_cast<unsigned char>(*p) >= 0x80;) {
      p += 1 + plain_json_run(p + 1, end);
    }
    out.append(run, static_cast<std::size_t>(p - run));
    if (p == end) break;
    if (*p != '\\') return false;  // a bare quote or control character
    if (end - p < 2) return false;
    if (p[1] == 'u') {
      if (end - p < 6) return false;
      const int unit = hex4(p + 2);
      if (unit < 0) return false;
      if (unit >= 0xD800 && unit <= 0xDFFF) {
        if (const int low = low_surrogate_after(unit, p, end); low >= 0) {
          put(0x10000 + ((static_cast<std::uint32_t>(unit) - 0xD800) << 10) +
              (static_cast<std::uint32_t>(low) - 0xDC00));
          p += 12;
        } else {
          put(0xFFFD);  // half a pair: the replacement character, as the Scanner writes it
          p += 6;
        }
      } else {
        put(static_cast<std::uint32_t>(unit));
        p += 6;
      }
      continue;
    }
    const char byte = read_escape(p[1]);
    if (byte == 0) return false;
    out.push_back(byte);
    p += 2;
  }
  return true;
}

std::optional<long long> json_text_integer(std::string_view token) noexcept {
  if (token.empty() || token.find_first_of(".eE") != std::string_view::npos) return std::nullopt;
  long long value = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return value;
}

std::optional<double> json_text_number(std::string_view token) noexcept {
  std::string checked;
  if (json_text_kind(token) != JsonKind::number || !write_checked_json_text(token, checked)) {
    return std::nullopt;
  }
  // Correctly rounded where the library can: the digits below would round twice when more
  // than 2^53 (17067024000009.999 came out a millisecond late; found by call_differential).
  // from_chars is locale-independent; in wasm the host's Number() (see rudder_js_number),
  // whose overflow is Infinity and whose underflow is a zero from digits that are not all 0.
#ifdef __EMSCRIPTEN__
  // Number() rounds correctly across the whole range, underflow to zero included (what is
  // too large never gets here: the check above refuses it as not finite), so there is
  // nothing to fall back to; which keeps libm's pow out of the .wasm (1.3 KB).
  return rudder_js_number(token.data(), static_cast<unsigned>(token.size()));
#else
  double exact = 0;
  const auto [parsed_end, ec] = std::from_chars(token.data(), token.data() + token.size(), exact);
  if (ec == std::errc() && parsed_end == token.data() + token.size()) return exact;
  // Out of a double's range (overflow or underflow): up to 17 significant digits as an
  // integer, scaled by the power of ten they stand for.
  const char* p = token.data();
  const char* end = p + token.size();
  const bool negative = *p == '-';
  if (negative) ++p;
  unsigned long long mantissa = 0;
  int used = 0;
  long long scale = 0;  // power of ten the mantissa's last digit stands for
  bool fraction = false;
  int first_dropped = -1;  // the first digit past the 17 kept, which rounds them
  for (; p < end && (is_digit(*p) || *p == '.'); ++p) {
    if (*p == '.') {
      fraction = true;
      continue;
    }
    if (used < 17) {
      mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
      if (mantissa != 0) ++used;
      if (fraction) --scale;
    } else {
      if (first_dropped < 0) first_dropped = *p - '0';
      if (!fraction) ++scale;
    }
  }
  // Rounded, not cut: 120257.99999999999999999 is 120258, as a tree's parser reads it.
  if (first_dropped >= 5) ++mantissa;
  // Zero stays zero whatever its exponent: 0 * pow(10, 1000) would be 0 * inf, not a number.
  if (mantissa == 0) return negative ? -0.0 : 0.0;
  const long long power = scale + exponent_of(p, end);
  // Powers of ten up to 10^22 are exact doubles: dividing by one rounds once, where
  // multiplying by an inexact 10^-n would round twice.
  const double value = power < 0 && power >= -22
                           ? static_cast<double>(mantissa) / std::pow(10.0, static_cast<double>(-power))
                           : static_cast<double>(mantissa) * std::pow(10.0, static_cast<double>(power));
  return negative ? -value : value;
#endif
}

}  // namespace rudder::core
