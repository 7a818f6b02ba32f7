// rudder-analytics tests: ISO-8601 times as the payload carries them, and HTTP dates.
// Copyright the rudder-analytics authors. MIT licence.
#include <array>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "core/iso_time.hpp"

namespace {

using rudder::core::format_iso_time;
using rudder::core::kIsoTimeLength;
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

TEST(FormatIsoTime, YearsOutsideZeroTo9999AreClamped) {
  EXPECT_EQ(iso(-62'167'219'200'000), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(-62'167'219'200'001), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(std::numeric_limits<std::int64_t>::min()), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(253'402'300'799'999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(iso(253'402'300'800'000), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(iso(std::numeric_limits<std::int64_t>::max()), "9999-12-31T23:59:59.999Z");
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

TEST(ParseIsoTime, ALeapSecondIsReadAsTheSecondBefore) {
  EXPECT_EQ(parse_iso_time("2016-12-31T23:59:60Z"), parse_iso_time("2016-12-31T23:59:59Z"));
}

TEST(ParseIsoTime, ReadsBackWhatFormatWrites) {
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{-1}, kLeapDay2024 + 45'296'789,
                          std::int64_t{253'402'300'799'999}, std::int64_t{-62'167'219'200'000},
                          std::int64_t{-14'182'940'001}, std::int64_t{1'234'567'890'123}}) {
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
