// rudder-analytics core: ISO-8601 UTC times with milliseconds, as the payload carries them.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/iso_time.hpp"

#include <array>
#include <cstring>

#include "core/per_thread.hpp"

namespace rudder::core {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm), so no
// libc time functions (timezone state, locks) are involved.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m, d;
};

constexpr Civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

static_assert(kMinIsoTimeMs == days_from_civil(1, 1, 1) * kMsPerDay);
static_assert(kMaxIsoTimeMs == days_from_civil(10000, 1, 1) * kMsPerDay - 1);

void put_digits(char* out, unsigned value, int width) noexcept {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// A cursor over the text that reads fixed-width numbers and literal characters.
struct Reader {
  std::string_view s;
  std::size_t i = 0;

  bool digits(int width, unsigned& value) noexcept {
    value = 0;
    for (int k = 0; k < width; ++k, ++i) {
      if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
  }
  bool literal(char c) noexcept {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  bool literal(std::string_view word) noexcept {
    if (s.substr(i, word.size()) != word) return false;
    i += word.size();
    return true;
  }
  bool at_end() const noexcept { return i == s.size(); }
};

std::optional<std::int64_t> to_unix_ms(unsigned y, unsigned mo, unsigned d, unsigned h,
                                       unsigned mi, unsigned se, unsigned ms) noexcept {
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60) {
    return std::nullopt;
  }
  if (se == 60) se = 59;  // a leap second: the epoch count has no room for it
  return days_from_civil(y, mo, d) * kMsPerDay + (h * 3600 + mi * 60 + se) * 1000LL + ms;
}

void format_to_the_second(std::int64_t unix_ms, char* out) noexcept {
  std::int64_t days = unix_ms / kMsPerDay;
  std::int64_t ms_of_day = unix_ms % kMsPerDay;
  if (ms_of_day < 0) {
    ms_of_day += kMsPerDay;
    --days;
  }
  const Civil c = civil_from_days(days);
  const auto ms = static_cast<unsigned>(ms_of_day);
  put_digits(out, static_cast<unsigned>(c.y), 4);
  out[4] = '-';
  put_digits(out + 5, c.m, 2);
  out[7] = '-';
  put_digits(out + 8, c.d, 2);
  out[10] = 'T';
  put_digits(out + 11, ms / 3'600'000, 2);
  out[13] = ':';
  put_digits(out + 14, ms / 60'000 % 60, 2);
  out[16] = ':';
  put_digits(out + 17, ms / 1000 % 60, 2);
  out[19] = '.';
  out[23] = 'Z';
}

}  // namespace

void format_iso_time(std::int64_t unix_ms, char* out) noexcept {
  if (unix_ms < kMinIsoTimeMs) unix_ms = kMinIsoTimeMs;
  if (unix_ms > kMaxIsoTimeMs) unix_ms = kMaxIsoTimeMs;
  // Every call formats its time, many calls a second: up to the milliseconds, the text is the
  // last one's while the second is the same (a twelfth of a native call's work, otherwise).
  struct Last {
    std::int64_t second = kMinIsoTimeMs / 1000 - 1;  // no time's second
    char text[kIsoTimeLength] = {};
  };
  RUDDER_PER_THREAD Last last;
  std::int64_t ms = unix_ms % 1000;
  if (ms < 0) ms += 1000;
  const std::int64_t second = (unix_ms - ms) / 1000;
  if (second != last.second) {
    format_to_the_second(unix_ms, last.text);
    last.second = second;
  }
  std::memcpy(out, last.text, kIsoTimeLength);
  put_digits(out + 20, static_cast<unsigned>(ms), 3);
}

std::optional<std::int64_t> parse_iso_time(std::string_view text) noexcept {
  Reader r{text};
  unsigned y, mo, d, h, mi, se, ms = 0;
  if (!r.digits(4, y) || !r.literal('-') || !r.digits(2, mo) || !r.literal('-') ||
      !r.digits(2, d)) {
    return std::nullopt;
  }
  if (!(r.literal('T') || r.literal('t') || r.literal(' '))) return std::nullopt;
  if (!r.digits(2, h) || !r.literal(':') || !r.digits(2, mi) || !r.literal(':') ||
      !r.digits(2, se)) {
    return std::nullopt;
  }
  if (r.literal('.')) {
    int count = 0;
    unsigned digit;
    while (r.i < text.size() && text[r.i] >= '0' && text[r.i] <= '9') {
      r.digits(1, digit);
      if (count < 3) ms = ms * 10 + digit;
      ++count;
    }
    if (count == 0) return std::nullopt;
    for (; count < 3; ++count) ms *= 10;
  }
  std::int64_t offset_ms = 0;
  if (!(r.literal('Z') || r.literal('z'))) {
    const bool plus = r.literal('+');
    if (!plus && !r.literal('-')) return std::nullopt;
    unsigned oh, om;
    if (!r.digits(2, oh) || !r.literal(':') || !r.digits(2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_ms = (oh * 60 + om) * 60'000LL * (plus ? 1 : -1);
  }
  if (!r.at_end()) return std::nullopt;
  const auto local = to_unix_ms(y, mo, d, h, mi, se, ms);
  if (!local) return std::nullopt;
  return *local - offset_ms;
}

std::optional<std::int64_t> parse_http_date(std::string_view text) noexcept {
  static constexpr std::array<std::string_view, 12> kMonths{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  Reader r{text};
  // The weekday is redundant; skip it but insist on the shape "Xxx, ".
  if (text.size() < 5 || text[3] != ',' || text[4] != ' ') return std::nullopt;
  r.i = 5;
  unsigned d, y, h, mi, se;
  if (!r.digits(2, d) || !r.literal(' ')) return std::nullopt;
  unsigned mo = 0;
  for (unsigned k = 0; k < kMonths.size() && mo == 0; ++k) {
    if (r.literal(kMonths[k])) mo = k + 1;
  }
  if (mo == 0 || !r.literal(' ') || !r.digits(4, y) || !r.literal(' ') || !r.digits(2, h) ||
      !r.literal(':') || !r.digits(2, mi) || !r.literal(':') || !r.digits(2, se) ||
      !r.literal(" GMT") || !r.at_end()) {
    return std::nullopt;
  }
  return to_unix_ms(y, mo, d, h, mi, se, 0);
}

}  // namespace rudder::core
