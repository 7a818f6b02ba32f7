// rudder-analytics tests: ISO-8601 times as the payload carries them, and HTTP dates.
// Copyright the rudder-analytics authors. MIT licence.
#include <array>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/iso_time.hpp"

namespace {

using rudder::core::format_iso_time;
using rudder::core::is_iso_time_in_range;
using rudder::core::kIsoTimeLength;
using rudder::core::kMaxIsoTimeMs;
using rudder::core::kMinIsoTimeMs;
using rudder::core::parse_http_date;
using rudder::core::parse_iso_time;

std::string iso(std::int64_t unix_ms) {
  std::string out(kIsoTimeLength, '?');
  format_iso_time(unix_ms, out.data());
  return out;
}

// Seconds from `date -u -d <time> +%s`.
constexpr std::int64_t kLeapDay2024 = 1'709'164'800'000;      // 2024-02-29T00:00:00Z
constexpr std::int64_t kJan31Noon2024 = 1'706'702'400'000;    // 2024-01-31T12:00:00Z
constexpr std::int64_t kHttpDateExample = 784'111'777'000;    // 1994-11-06T08:49:37Z
// Outside the 1677-2262 that a nanosecond count in 64 bits (std::chrono::system_clock) holds;
// from Python's datetime.
constexpr std::int64_t k2300 = 10'413'792'000'000;              // 2300-01-01T00:00:00Z
constexpr std::int64_t k1600 = -11'676'096'000'000;             // 1600-01-01T00:00:00Z
constexpr std::int64_t kLeapDay1600Noon = -11'670'955'200'000;  // 1600-02-29T12:00:00Z
constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kDay = 86'400'000;

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

TEST(FormatIsoTime, EpochIsMidnightOfNewYear1970) {
  EXPECT_EQ(iso(0), "1970-01-01T00:00:00.000Z");
}

TEST(FormatIsoTime, KnownInstants) {
  EXPECT_EQ(iso(1), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(iso(kJan31Noon2024 + 123), "2024-01-31T12:00:00.123Z");
  EXPECT_EQ(iso(2'147'483'648'000), "2038-01-19T03:14:08.000Z");
  EXPECT_EQ(iso(951'827'696'789), "2000-02-29T12:34:56.789Z");
}

TEST(FormatIsoTime, LeapDayAndTheDaysAroundIt) {
  EXPECT_EQ(iso(kLeapDay2024 - 1), "2024-02-28T23:59:59.999Z");
  EXPECT_EQ(iso(kLeapDay2024), "2024-02-29T00:00:00.000Z");
  EXPECT_EQ(iso(kLeapDay2024 + 86'400'000), "2024-03-01T00:00:00.000Z");
}

TEST(FormatIsoTime, EndOfYearRollsOver) {
  EXPECT_EQ(iso(1'704'067'199'999), "2023-12-31T23:59:59.999Z");
  EXPECT_EQ(iso(1'704'067'200'000), "2024-01-01T00:00:00.000Z");
}

TEST(FormatIsoTime, TimesBefore1970) {
  EXPECT_EQ(iso(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(iso(-86'400'000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(iso(-14'182'940'000), "1969-07-20T20:17:40.000Z");
  EXPECT_EQ(iso(-2'208'988'800'000), "1900-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(-62'135'596'800'000), "0001-01-01T00:00:00.000Z");
}

TEST(IsoTimeRange, IsExactlyYear1ToTheLastMillisecondOf9999) {
  EXPECT_EQ(parse_iso_time("0001-01-01T00:00:00.000Z"), kMinIsoTimeMs);
  EXPECT_EQ(parse_iso_time("9999-12-31T23:59:59.999Z"), kMaxIsoTimeMs);
  EXPECT_TRUE(is_iso_time_in_range(kMinIsoTimeMs));
  EXPECT_TRUE(is_iso_time_in_range(kMaxIsoTimeMs));
  EXPECT_FALSE(is_iso_time_in_range(kMinIsoTimeMs - 1));
  EXPECT_FALSE(is_iso_time_in_range(kMaxIsoTimeMs + 1));
  EXPECT_FALSE(is_iso_time_in_range(std::numeric_limits<std::int64_t>::min()));
  EXPECT_FALSE(is_iso_time_in_range(std::numeric_limits<std::int64_t>::max()));
}

TEST(FormatIsoTime, TheEndsOfTheRangeAreExact) {
  EXPECT_EQ(iso(kMinIsoTimeMs), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(kMinIsoTimeMs + 1), "0001-01-01T00:00:00.001Z");
  EXPECT_EQ(iso(kMaxIsoTimeMs), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(iso(kMaxIsoTimeMs - 1), "9999-12-31T23:59:59.998Z");
}

TEST(FormatIsoTime, YearsANanosecondClockCannotHoldAreExact) {
  EXPECT_EQ(iso(k2300), "2300-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(k1600), "1600-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(kLeapDay1600Noon), "1600-02-29T12:00:00.000Z");
  EXPECT_EQ(iso(9'223'372'036'855), "2262-04-11T23:47:16.855Z");   // just past its end
  EXPECT_EQ(iso(-9'223'372'036'855), "1677-09-21T00:12:43.145Z");  // just before its start
}

TEST(FormatIsoTime, LeapDaysAcrossTheRange) {
  // Every fourth year, except centuries, except every fourth century.
  EXPECT_EQ(iso(-62'035'891'200'000), "0004-02-29T00:00:00.000Z");
  EXPECT_EQ(iso(kLeapDay1600Noon - 12 * 3'600'000 + kDay), "1600-03-01T00:00:00.000Z");
  EXPECT_EQ(iso(-8'515'238'400'000), "1700-03-01T00:00:00.000Z");
  EXPECT_EQ(iso(-8'515'238'400'000 - 1), "1700-02-28T23:59:59.999Z") << "1700 has no Feb 29";
  EXPECT_EQ(iso(13'574'563'200'000), "2400-02-29T00:00:00.000Z");
  EXPECT_EQ(iso(253'281'168'000'000), "9996-02-29T00:00:00.000Z");
}

// Counted a year at a time, independently of the formatter's day arithmetic.
TEST(FormatIsoTime, EveryYearFrom1To9999StartsAndEndsWhereTheCalendarSays) {
  std::int64_t new_year = kMinIsoTimeMs;
  for (int year = 1; year <= 9999; ++year) {
    char expected[32];
    std::snprintf(expected, sizeof expected, "%04d-01-01T00:00:00.000Z", year);
    ASSERT_EQ(iso(new_year), expected);
    if (year > 1) {
      std::snprintf(expected, sizeof expected, "%04d-12-31T23:59:59.999Z", year - 1);
      ASSERT_EQ(iso(new_year - 1), expected);
    }
    new_year += (is_leap(year) ? 366 : 365) * kDay;
  }
  EXPECT_EQ(new_year, kMaxIsoTimeMs + 1);
}

// Only a clock's reading can be out of range (a caller's timestamp is refused there), and it
// must still make a well-formed time rather than a five-digit or negative year.
TEST(FormatIsoTime, AClockReadingOutsideTheRangeIsWrittenAsTheNearerEnd) {
  EXPECT_EQ(iso(kMinIsoTimeMs - 1), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(std::numeric_limits<std::int64_t>::min()), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(kMaxIsoTimeMs + 1), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(iso(std::numeric_limits<std::int64_t>::max()), "9999-12-31T23:59:59.999Z");
}

TEST(FormatIsoTime, EachTimeIsWrittenWhateverTheCallBeforeIt) {
  // The text up to the second is reused while the second is the same: times one after the
  // other across a second, a minute, a day and a year, back again, and in the same second.
  const std::vector<std::pair<std::int64_t, std::string>> times{
      {1'704'067'199'998, "2023-12-31T23:59:59.998Z"}, {1'704'067'199'999, "2023-12-31T23:59:59.999Z"},
      {1'704'067'200'000, "2024-01-01T00:00:00.000Z"}, {1'704'067'200'001, "2024-01-01T00:00:00.001Z"},
      {1'704'067'199'999, "2023-12-31T23:59:59.999Z"}, {1'704'067'260'000, "2024-01-01T00:01:00.000Z"},
      {1'704'067'200'999, "2024-01-01T00:00:00.999Z"}, {-1, "1969-12-31T23:59:59.999Z"},
      {0, "1970-01-01T00:00:00.000Z"}, {-1'000, "1969-12-31T23:59:59.000Z"},
      {-999, "1969-12-31T23:59:59.001Z"}, {1'704'067'200'000 + 86'400'000, "2024-01-02T00:00:00.000Z"}};
  for (const auto& [ms, text] : times) EXPECT_EQ(iso(ms), text) << ms;
}

TEST(FormatIsoTime, WritesExactlyTwentyFourCharacters) {
  std::array<char, 28> buffer;
  buffer.fill('#');
  format_iso_time(kJan31Noon2024, buffer.data());
  for (std::size_t k = kIsoTimeLength; k < buffer.size(); ++k) EXPECT_EQ(buffer[k], '#');
}

TEST(ParseIsoTime, ReadsUtcWithMilliseconds) {
  EXPECT_EQ(parse_iso_time("2024-01-31T12:00:00.123Z"), kJan31Noon2024 + 123);
  EXPECT_EQ(parse_iso_time("1970-01-01T00:00:00.000Z"), 0);
  EXPECT_EQ(parse_iso_time("1969-12-31T23:59:59.999Z"), -1);
}

TEST(ParseIsoTime, FractionIsOptional) {
  EXPECT_EQ(parse_iso_time("2024-01-31T12:00:00Z"), kJan31Noon2024);
}

TEST(ParseIsoTime, FractionsOfOneToNineDigitsAreKeptToTheMillisecond) {
  EXPECT_EQ(parse_iso_time("2024-01-31T12:00:00.1Z"), kJan31Noon2024 + 100);
  EXPECT_EQ(parse_iso_time("2024-01-31T12:00:00.12Z"), kJan31Noon2024 + 120);
  EXPECT_EQ(parse_iso_time("2024-01-31T12:00:00.123Z"), kJan31Noon2024 + 123);
  EXPECT_EQ(parse_iso_time("2024-01-31T12:00:00.1234Z"), kJan31Noon2024 + 123);
  EXPECT_EQ(parse_iso_time("2024-01-31T12:00:00.123456Z"), kJan31Noon2024 + 123);
  EXPECT_EQ(parse_iso_time("2024-01-31T12:00:00.123456789Z"), kJan31Noon2024 + 123);
  EXPECT_EQ(parse_iso_time("2024-01-31T12:00:00.999999999Z"), kJan31Noon2024 + 999)
      << "truncated, never rounded into the next second";
  EXPECT_EQ(parse_iso_time("2024-01-31T12:00:00.05Z"), kJan31Noon2024 + 50);
}

TEST(ParseIsoTime, OffsetsAreConvertedToUtc) {
  EXPECT_EQ(parse_iso_time("2024-01-31T14:00:00+02:00"), kJan31Noon2024);
  EXPECT_EQ(parse_iso_time("2024-01-31T17:30:00.250+05:30"), kJan31Noon2024 + 250);
  EXPECT_EQ(parse_iso_time("2024-01-31T04:00:00-08:00"), kJan31Noon2024);
  EXPECT_EQ(parse_iso_time("2024-01-31T12:00:00+00:00"), kJan31Noon2024);
  EXPECT_EQ(parse_iso_time("2024-01-31T12:00:00-00:00"), kJan31Noon2024);
  EXPECT_EQ(parse_iso_time("2024-02-01T02:00:00+14:00"), kJan31Noon2024) << "across midnight";
}

TEST(ParseIsoTime, LowerCaseAndSpaceSeparatorAreAccepted) {
  EXPECT_EQ(parse_iso_time("2024-01-31t12:00:00z"), kJan31Noon2024);
  EXPECT_EQ(parse_iso_time("2024-01-31 12:00:00Z"), kJan31Noon2024);
}

TEST(ParseIsoTime, LeapDaysOnlyInLeapYears) {
  EXPECT_EQ(parse_iso_time("2024-02-29T00:00:00Z"), kLeapDay2024);
  EXPECT_TRUE(parse_iso_time("2000-02-29T00:00:00Z").has_value());
  EXPECT_FALSE(parse_iso_time("2023-02-29T00:00:00Z").has_value());
  EXPECT_FALSE(parse_iso_time("2100-02-29T00:00:00Z").has_value());
}

TEST(ParseIsoTime, LeapDaysAcrossTheRange) {
  EXPECT_EQ(parse_iso_time("1600-02-29T12:00:00Z"), kLeapDay1600Noon);
  EXPECT_EQ(parse_iso_time("0004-02-29T00:00:00Z"), -62'035'891'200'000);
  EXPECT_EQ(parse_iso_time("9996-02-29T00:00:00Z"), 253'281'168'000'000);
  EXPECT_EQ(parse_iso_time("2400-02-29T00:00:00Z"), 13'574'563'200'000);
  EXPECT_FALSE(parse_iso_time("1700-02-29T00:00:00Z").has_value());
  EXPECT_FALSE(parse_iso_time("1900-02-29T00:00:00Z").has_value());
  EXPECT_FALSE(parse_iso_time("9999-02-29T00:00:00Z").has_value());
  EXPECT_FALSE(parse_iso_time("0001-02-29T00:00:00Z").has_value());
}

TEST(ParseIsoTime, YearsANanosecondClockCannotHoldAreExact) {
  EXPECT_EQ(parse_iso_time("2300-01-01T00:00:00Z"), k2300);
  EXPECT_EQ(parse_iso_time("2300-01-01T00:00:00.000Z"), k2300);
  EXPECT_EQ(parse_iso_time("1600-01-01T00:00:00Z"), k1600);
  EXPECT_EQ(parse_iso_time("1600-01-01T05:30:00+05:30"), k1600);
}

// The instant is what counts: the caller checks it against the range, whatever the offset.
TEST(ParseIsoTime, OffsetsCanMoveATimeAcrossTheEndsOfTheRange) {
  EXPECT_EQ(parse_iso_time("9999-12-31T23:59:59.999-00:01"), kMaxIsoTimeMs + kMinute);
  EXPECT_FALSE(is_iso_time_in_range(*parse_iso_time("9999-12-31T23:59:59.999-00:01")));
  EXPECT_EQ(parse_iso_time("9999-12-31T23:59:59.999+00:01"), kMaxIsoTimeMs - kMinute);
  EXPECT_EQ(parse_iso_time("9999-12-31T20:00:00-23:59"),
            kMaxIsoTimeMs + 1 + (19 * 60 + 59) * kMinute);
  EXPECT_EQ(parse_iso_time("0001-01-01T00:00:00+00:01"), kMinIsoTimeMs - kMinute);
  EXPECT_FALSE(is_iso_time_in_range(*parse_iso_time("0001-01-01T00:00:00+00:01")));
  EXPECT_EQ(parse_iso_time("0001-01-01T00:00:00-00:01"), kMinIsoTimeMs + kMinute);
  EXPECT_EQ(parse_iso_time("0000-12-31T23:00:00-01:00"), kMinIsoTimeMs)
      << "year 0000 moved into 0001";
}

TEST(ParseIsoTime, YearZeroIsReadButLiesOutsideTheRange) {
  EXPECT_EQ(parse_iso_time("0000-12-31T23:59:59.999Z"), kMinIsoTimeMs - 1);
  EXPECT_EQ(parse_iso_time("0000-01-01T00:00:00Z"), kMinIsoTimeMs - 366 * kDay);
  EXPECT_FALSE(is_iso_time_in_range(*parse_iso_time("0000-12-31T23:59:59.999Z")));
}

TEST(ParseIsoTime, YearsOfOtherThanFourDigitsAreRefused) {
  for (const char* text :
       {"10000-01-01T00:00:00Z", "+010000-01-01T00:00:00.000Z", "-000001-01-01T00:00:00.000Z",
        "+002300-01-01T00:00:00.000Z", "999-12-31T00:00:00Z"}) {
    EXPECT_FALSE(parse_iso_time(text).has_value()) << text;
  }
}

// Every 997,000,001st millisecond of the range (about 316,000 instants), and its ends.
TEST(ParseIsoTime, ReadsBackWhatFormatWritesAcrossTheWholeRange) {
  for (std::int64_t ms = kMinIsoTimeMs; ms <= kMaxIsoTimeMs; ms += 997'000'001) {
    ASSERT_EQ(parse_iso_time(iso(ms)), ms) << iso(ms);
  }
  EXPECT_EQ(parse_iso_time(iso(kMaxIsoTimeMs)), kMaxIsoTimeMs);
}

TEST(ParseIsoTime, ALeapSecondIsReadAsTheSecondBefore) {
  EXPECT_EQ(parse_iso_time("2016-12-31T23:59:60Z"), parse_iso_time("2016-12-31T23:59:59Z"));
}

TEST(ParseIsoTime, ReadsBackWhatFormatWrites) {
  for (std::int64_t ms :
       {std::int64_t{0}, std::int64_t{-1}, kLeapDay2024 + 45'296'789, kMaxIsoTimeMs, kMinIsoTimeMs,
        k2300, k1600, std::int64_t{-14'182'940'001}, std::int64_t{1'234'567'890'123}}) {
    EXPECT_EQ(parse_iso_time(iso(ms)), ms) << iso(ms);
  }
}

TEST(ParseIsoTime, MalformedTimesAreRefused) {
  for (const char* text : {
           "",
           "2024-01-31",                       // no time
           "2024-01-31T12:00:00",              // no zone
           "2024-01-31T12:00Z",                // no seconds
           "2024-1-31T12:00:00Z",              // one-digit month
           "24-01-31T12:00:00Z",               // two-digit year
           "2024/01/31T12:00:00Z",
           "2024-01-31X12:00:00Z",
           "2024-13-01T12:00:00Z",             // month 13
           "2024-00-10T12:00:00Z",             // month 0
           "2024-01-00T12:00:00Z",             // day 0
           "2024-01-32T12:00:00Z",             // day 32
           "2024-04-31T12:00:00Z",             // April has 30
           "2024-01-31T24:00:00Z",
           "2024-01-31T12:60:00Z",
           "2024-01-31T12:00:61Z",
           "2024-01-31T12:00:00.Z",            // a dot without digits
           "2024-01-31T12:00:00,123Z",
           "2024-01-31T12:00:00+5:30",
           "2024-01-31T12:00:00+0530",
           "2024-01-31T12:00:00+05",
           "2024-01-31T12:00:00+24:00",
           "2024-01-31T12:00:00+05:60",
           "2024-01-31T12:00:00 Z",
           "2024-01-31T12:00:00Z ",            // trailing space
           " 2024-01-31T12:00:00Z",            // leading space
           "2024-01-31T12:00:00ZZ",
           "2024-01-31T12:00:00.123Zjunk",
           "-2024-01-31T12:00:00Z",
           "now",
       }) {
    EXPECT_FALSE(parse_iso_time(text).has_value()) << '"' << text << '"';
  }
}

TEST(ParseHttpDate, ReadsImfFixdate) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), kHttpDateExample);
  EXPECT_EQ(parse_http_date("Wed, 31 Jan 2024 12:00:00 GMT"), kJan31Noon2024);
  EXPECT_EQ(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT"), kLeapDay2024);
  EXPECT_EQ(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
}

TEST(ParseHttpDate, EveryMonthNameIsKnown) {
  const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int m = 0; m < 12; ++m) {
    char text[40];
    std::snprintf(text, sizeof text, "Mon, 01 %s 2024 00:00:00 GMT", months[m]);
    char expected[32];
    std::snprintf(expected, sizeof expected, "2024-%02d-01T00:00:00Z", m + 1);
    EXPECT_EQ(parse_http_date(text), parse_iso_time(expected)) << text;
  }
}

TEST(ParseHttpDate, OtherFormsAndMalformedDatesAreRefused) {
  for (const char* text : {
           "",
           "Sunday, 06-Nov-94 08:49:37 GMT",   // RFC 850 form
           "Sun Nov  6 08:49:37 1994",         // asctime form
           "Sun, 06 Nov 1994 08:49:37 UTC",
           "Sun, 06 Nov 1994 08:49:37",
           "Sun, 6 Nov 1994 08:49:37 GMT",
           "Sun, 06 nov 1994 08:49:37 GMT",
           "Sun, 06 Foo 1994 08:49:37 GMT",
           "Sun, 31 Feb 2024 08:49:37 GMT",
           "Sun, 06 Nov 1994 25:49:37 GMT",
           "Sun, 06 Nov 1994 08:49:37 GMT extra",
           "2024-01-31T12:00:00Z",
           "120",
       }) {
    EXPECT_FALSE(parse_http_date(text).has_value()) << '"' << text << '"';
  }
}

}  // namespace
