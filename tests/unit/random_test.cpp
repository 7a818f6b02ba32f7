// rudder-analytics tests: the pseudo-random generator and UUID v4 messageIds.
// Copyright the rudder-analytics authors. MIT licence.
#include <array>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/random.hpp"

namespace {

using rudder::core::kUuidLength;
using rudder::core::Rng;
using rudder::core::write_uuid_v4;

std::string uuid(Rng& rng) {
  std::string out(kUuidLength, '?');
  write_uuid_v4(rng, out.data());
  return out;
}

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

TEST(Uuid, HasTheVersion4LayoutWithTheRfc4122Variant) {
  Rng rng(12345);
  for (int i = 0; i < 1000; ++i) {
    const std::string id = uuid(rng);
    ASSERT_EQ(id.size(), 36u);
    for (std::size_t k = 0; k < id.size(); ++k) {
      if (k == 8 || k == 13 || k == 18 || k == 23) {
        ASSERT_EQ(id[k], '-') << id;
      } else {
        ASSERT_TRUE(is_lower_hex(id[k])) << id;
      }
    }
    ASSERT_EQ(id[14], '4') << id;                                   // version
    ASSERT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;  // variant 10xx
  }
}

TEST(Uuid, IsTheGeneratorsTwoNextValuesInHexWithVersionAndVariantSet) {
  Rng rng(2024), copy(2024);
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t hi = (copy.next() & 0xFFFFFFFFFFFF0FFFULL) | 0x4000ULL;
    const std::uint64_t lo = (copy.next() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
    char digits[33];
    std::snprintf(digits, sizeof digits, "%016llx%016llx", static_cast<unsigned long long>(hi),
                  static_cast<unsigned long long>(lo));
    const std::string d(digits);
    const std::string expected = d.substr(0, 8) + "-" + d.substr(8, 4) + "-" + d.substr(12, 4) +
                                 "-" + d.substr(16, 4) + "-" + d.substr(20, 12);
    ASSERT_EQ(uuid(rng), expected);
  }
}

TEST(Uuid, WritesExactlyThirtySixCharacters) {
  Rng rng(1);
  std::array<char, 40> buffer;
  buffer.fill('#');
  write_uuid_v4(rng, buffer.data());
  for (std::size_t k = kUuidLength; k < buffer.size(); ++k) EXPECT_EQ(buffer[k], '#');
}

TEST(Uuid, TenThousandInARowAreAllDifferent) {
  Rng rng(7);
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) seen.insert(uuid(rng));
  EXPECT_EQ(seen.size(), 10'000u);
}

TEST(Uuid, EveryRandomDigitVaries) {
  Rng rng(99);
  std::array<std::set<char>, 36> values;
  for (int i = 0; i < 500; ++i) {
    const std::string id = uuid(rng);
    for (std::size_t k = 0; k < id.size(); ++k) values[k].insert(id[k]);
  }
  for (std::size_t k = 0; k < 36; ++k) {
    if (k == 8 || k == 13 || k == 18 || k == 23 || k == 14) {
      EXPECT_EQ(values[k].size(), 1u) << "position " << k;
    } else if (k == 19) {
      EXPECT_EQ(values[k].size(), 4u) << "the variant digit takes 8, 9, a and b";
    } else {
      EXPECT_EQ(values[k].size(), 16u) << "position " << k;
    }
  }
}

TEST(Uuid, DifferentSeedsGiveDifferentIds) {
  // The platform reseeds a forked child: parent and child must not repeat each other's ids.
  Rng parent(1), child(2);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    seen.insert(uuid(parent));
    seen.insert(uuid(child));
  }
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(Rng, SameSeedGivesTheSameSequence) {
  Rng a(42), b(42);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next(), b.next());
}

TEST(Rng, ReseedingStartsTheSequenceAgain) {
  Rng rng(42);
  std::vector<std::uint64_t> first;
  for (int i = 0; i < 10; ++i) first.push_back(rng.next());
  rng.reseed(42);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(rng.next(), first[i]);
}

TEST(Rng, DifferentSeedsGiveDifferentSequences) {
  Rng a(1), b(2);
  int same = 0;
  for (int i = 0; i < 100; ++i) same += a.next() == b.next();
  EXPECT_EQ(same, 0);
}

TEST(Rng, SeedZeroStillProducesVariedNumbers) {
  Rng rng(0);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(rng.next());
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(seen.count(0), 0u);
}

TEST(Rng, UpToZeroIsAlwaysZero) {
  Rng rng(3);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rng.up_to(0), 0u);
}

TEST(Rng, UpToStaysWithinBoundsAndReachesBothEnds) {
  Rng rng(5);
  for (std::uint64_t bound : {1, 2, 9, 30}) {
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 10'000; ++i) {
      const std::uint64_t v = rng.up_to(bound);
      ASSERT_LE(v, bound);
      seen.insert(v);
    }
    EXPECT_EQ(seen.size(), bound + 1) << "every value of [0, " << bound << "] comes up";
  }
}

TEST(Rng, UpToLargeBoundsStaysWithinBounds) {
  Rng rng(6);
  const std::uint64_t bounds[] = {1'000'000'007ULL, 1ULL << 40, (1ULL << 63) + 12345, UINT64_MAX - 1};
  for (std::uint64_t bound : bounds) {
    std::uint64_t largest = 0;
    for (int i = 0; i < 1000; ++i) {
      const std::uint64_t v = rng.up_to(bound);
      ASSERT_LE(v, bound);
      largest = std::max(largest, v);
    }
    EXPECT_GT(largest, bound / 2) << "draws spread over the range";
  }
  std::set<std::uint64_t> full;
  for (int i = 0; i < 100; ++i) full.insert(rng.up_to(UINT64_MAX));
  EXPECT_EQ(full.size(), 100u);
}

TEST(Rng, UpToIsCloseToUniform) {
  Rng rng(8);
  std::array<int, 10> counts{};
  for (int i = 0; i < 100'000; ++i) ++counts[rng.up_to(9)];
  for (int c : counts) {
    EXPECT_GT(c, 9'000);
    EXPECT_LT(c, 11'000);
  }
}

}  // namespace
