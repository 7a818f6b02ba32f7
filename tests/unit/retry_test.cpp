// rudder-analytics tests: what each answer means for a batch, Retry-After and back-off.
// Copyright the rudder-analytics authors. MIT licence.
#include <algorithm>
#include <cstdint>
#include <set>

#include <gtest/gtest.h>

#include "core/iso_time.hpp"
#include "core/retry.hpp"

namespace {

using rudder::core::backoff_ms;
using rudder::core::classify;
using rudder::core::parse_http_date;
using rudder::core::Response;
using rudder::core::retry_after_ms;
using rudder::core::Rng;
using rudder::core::Verdict;

constexpr std::int64_t kCap = 300'000;
constexpr std::int64_t kNow = 1'706'702'400'000;  // 2024-01-31T12:00:00Z

Verdict verdict_of(int status) {
  Response r;
  r.status = status;
  return classify(r);
}

TEST(Classify, TwoHundredsMeanDelivered) {
  for (int s : {200, 201, 202, 204, 299}) EXPECT_EQ(verdict_of(s), Verdict::delivered) << s;
}

TEST(Classify, PayloadTooLargeMeansSplit) { EXPECT_EQ(verdict_of(413), Verdict::split); }

TEST(Classify, NoAnswerTimeoutsThrottlingAndServerErrorsAreRetried) {
  for (int s : {0, 408, 429, 500, 502, 503, 504, 599}) EXPECT_EQ(verdict_of(s), Verdict::retry) << s;
}

TEST(Classify, OtherClientErrorsFailAtOnce) {
  for (int s : {400, 401, 403, 404, 405, 411, 415, 422, 431}) {
    EXPECT_EQ(verdict_of(s), Verdict::fail) << s;
  }
}

TEST(Classify, NetworkErrorWithAnEmptyStatusIsRetried) {
  Response r;
  r.network_error = "Connection refused";
  EXPECT_EQ(classify(r), Verdict::retry);
}

TEST(RetryAfter, DelaySecondsBecomeMilliseconds) {
  EXPECT_EQ(retry_after_ms("2", kNow, kCap), 2000);
  EXPECT_EQ(retry_after_ms("0", kNow, kCap), 0);
  EXPECT_EQ(retry_after_ms("120", kNow, kCap), 120'000);
  EXPECT_EQ(retry_after_ms("007", kNow, kCap), 7000);
}

TEST(RetryAfter, SurroundingWhiteSpaceIsIgnored) {
  EXPECT_EQ(retry_after_ms(" 5 ", kNow, kCap), 5000);
  EXPECT_EQ(retry_after_ms("\t3\r", kNow, kCap), 3000);
}

TEST(RetryAfter, HttpDateIsRelativeToNow) {
  const std::int64_t date = *parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", date - 30'000, kCap), 30'000);
  EXPECT_EQ(retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", date - 1, kCap), 1);
  EXPECT_EQ(retry_after_ms("Wed, 31 Jan 2024 12:00:10 GMT", kNow, kCap), 10'000);
}

TEST(RetryAfter, HttpDateInThePastMeansNow) {
  EXPECT_EQ(retry_after_ms("Wed, 31 Jan 2024 11:59:00 GMT", kNow, kCap), 0);
  EXPECT_EQ(retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", kNow, kCap), 0);
}

TEST(RetryAfter, LongWaitsAreCapped) {
  EXPECT_EQ(retry_after_ms("301", kNow, kCap), kCap);
  EXPECT_EQ(retry_after_ms("300", kNow, kCap), 300'000);
  EXPECT_EQ(retry_after_ms("86400", kNow, 60'000), 60'000);
  EXPECT_EQ(retry_after_ms("99999999999999999999999999999999", kNow, kCap), kCap);
  EXPECT_EQ(retry_after_ms("Fri, 31 Dec 9999 23:59:59 GMT", kNow, kCap), kCap);
}

TEST(RetryAfter, AbsentOrUnreadableValuesGiveNothing) {
  for (const char* v : {"", "   ", "soon", "1.5", "-1", "+2", "2s", "0x10", "1e3",
                        "Sun, 06 Nov 1994", "Sunday, 06-Nov-94 08:49:37 GMT",
                        "Sun Nov  6 08:49:37 1994", "Wed, 31 Jan 2024 12:00:10 UTC"}) {
    EXPECT_FALSE(retry_after_ms(v, kNow, kCap).has_value()) << '"' << v << '"';
  }
}

// Draws `n` back-offs for one retry number.
std::pair<std::int64_t, std::int64_t> min_max_of(int retry, std::int64_t base, std::int64_t cap,
                                                 Rng& rng, int n = 2000) {
  std::int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int i = 0; i < n; ++i) {
    const std::int64_t d = backoff_ms(retry, base, cap, rng);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  return {lo, hi};
}

TEST(Backoff, FirstRetryWaitsBetweenZeroAndTheBase) {
  Rng rng(1);
  const auto [lo, hi] = min_max_of(1, 500, 30'000, rng);
  EXPECT_GE(lo, 0);
  EXPECT_LE(hi, 500);
  EXPECT_LT(lo, 25) << "full jitter reaches down to zero";
  EXPECT_GT(hi, 475) << "and up to the ceiling";
}

TEST(Backoff, CeilingDoublesWithEachRetry) {
  Rng rng(2);
  std::int64_t ceiling = 100;
  for (int retry = 1; retry <= 8; ++retry, ceiling *= 2) {
    const auto [lo, hi] = min_max_of(retry, 100, 1'000'000, rng);
    EXPECT_GE(lo, 0) << "retry " << retry;
    EXPECT_LE(hi, ceiling) << "retry " << retry;
    EXPECT_GT(hi, ceiling * 9 / 10) << "retry " << retry << " uses its whole range";
  }
}

TEST(Backoff, NeverExceedsTheCap) {
  Rng rng(3);
  for (int retry : {7, 8, 10, 30, 63, 64, 1000, 1'000'000}) {  // 500 * 2^6 > cap from 7 on
    const auto [lo, hi] = min_max_of(retry, 500, 30'000, rng, 500);
    EXPECT_GE(lo, 0) << "retry " << retry;
    EXPECT_LE(hi, 30'000) << "retry " << retry;
    EXPECT_GT(hi, 27'000) << "retry " << retry;
  }
}

TEST(Backoff, DrawsAreSpreadNotRepeated) {
  Rng rng(4);
  std::set<std::int64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(backoff_ms(5, 500, 30'000, rng));
  EXPECT_GT(seen.size(), 90u);
}

TEST(Backoff, SameSeedGivesTheSameDelays) {
  Rng a(9), b(9);
  for (int retry = 1; retry <= 10; ++retry) {
    EXPECT_EQ(backoff_ms(retry, 500, 30'000, a), backoff_ms(retry, 500, 30'000, b));
  }
}

TEST(Backoff, ZeroBaseMeansNoWait) {
  Rng rng(5);
  for (int retry = 1; retry <= 5; ++retry) EXPECT_EQ(backoff_ms(retry, 0, 30'000, rng), 0);
}

}  // namespace
