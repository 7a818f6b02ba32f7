// rudder-analytics tests: a caller's JSON tree is written as nlohmann would write it, numbers
// included, whichever way the writer finds a double's text.
// Copyright the rudder-analytics authors. MIT licence.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/json_writer.hpp"

namespace {

using json = nlohmann::json;

std::string written(const json& value) {
  std::string out;
  EXPECT_TRUE(rudder::core::write_checked_json(value, out));
  return out;
}

// nlohmann's own text (its grisu2), or where grisu2 misses the shortest text that reads back
// as the same double, that shortest text, in the same plain format.
void expect_as_nlohmann(double d) {
  const json value = d;
  const std::string text = written(value);
  if (text == value.dump()) return;
  ASSERT_LT(text.size(), value.dump().size()) << "bits " << std::hexfloat << d << ": " << text;
  const double read_back = json::parse(text).get<double>();
  ASSERT_EQ(std::memcmp(&read_back, &d, sizeof d), 0) << "bits " << std::hexfloat << d << ": " << text;
  ASSERT_EQ(text.find_first_of("eE"), std::string::npos) << text;
}

TEST(JsonWriter, DecimalsOfAFewPlacesAreWrittenAsNlohmannWritesThem) {
  EXPECT_EQ(written(4.5), "4.5");
  EXPECT_EQ(written(9.99), "9.99");
  EXPECT_EQ(written(-0.05), "-0.05");
  EXPECT_EQ(written(0.0001), "0.0001");
  EXPECT_EQ(written(1843.0), "1843.0");
  EXPECT_EQ(written(-120.5), "-120.5");
  EXPECT_EQ(written(999999999.9999), "999999999.9999");
  // Shorter than nlohmann's 66811908.813600004 and -517964.22120000003, as JavaScript writes
  // them: grisu2 does not always find the shortest text.
  EXPECT_EQ(written(66811908.8136), "66811908.8136");
  EXPECT_EQ(written(-517964.2212), "-517964.2212");
  for (const double d : {4.5, 9.99, -9.99, 0.05, 0.1, 0.3, 2.675, 1.005, 0.0001, -0.0001, 100.0,
                         1843.0, -1843.0, 123456.789, 52.5200, 13.4050, 99.95, 1e8 + 0.5,
                         999999999.9999, 0.1 + 0.2, 1.0 / 3, 2.0 / 3}) {
    expect_as_nlohmann(d);
  }
}

TEST(JsonWriter, OtherDoublesAreWrittenAsNlohmannWritesThem) {
  EXPECT_EQ(written(0.0), "0.0");
  EXPECT_EQ(written(-0.0), "-0.0");
  for (const double d : {0.0, -0.0, 0.00001, 0.00005, 1e-7, 1e9, -1e9, 1e9 + 0.5, 1e15, 1e16,
                         1e21, 5e-324, DBL_MIN, DBL_MAX, -DBL_MAX, 4503599627370497.0,
                         9007199254740993.0, 0.1 + 0.7, 3.14159265358979}) {
    expect_as_nlohmann(d);
  }
}

TEST(JsonWriter, EveryDecimalOfUpToSixPlacesIsWrittenAsNlohmannWritesIt) {
  // Random decimals around each size a field holds, and random bit patterns: the short
  // decimals take the quick way, the rest grisu2's, and both must agree with nlohmann's text.
  std::mt19937_64 random(20261130);
  static constexpr double kPowers[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
  for (int i = 0; i < 200'000; ++i) {
    const int places = static_cast<int>(random() % 7);
    const std::uint64_t digits = random() % (std::uint64_t{1} << (1 + random() % 47));
    const double d = static_cast<double>(digits) / kPowers[places];
    expect_as_nlohmann(i % 2 == 0 ? d : -d);
  }
  for (int i = 0; i < 200'000; ++i) {
    const std::uint64_t bits = random();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) expect_as_nlohmann(d);
  }
}

}  // namespace
