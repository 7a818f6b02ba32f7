// rudder-analytics tests: the data plane's addresses derived from the configured URL.
// Copyright the rudder-analytics authors. MIT licence.
#include <gtest/gtest.h>

#include "core/endpoint.hpp"

namespace {

using rudder::core::basic_authorization;
using rudder::core::batch_endpoint;
using rudder::core::beacon_endpoint;

TEST(Endpoint, BatchPathIsAddedOnceWhateverTheUrlEndsWith) {
  EXPECT_EQ(batch_endpoint("https://dp.example.com"), "https://dp.example.com/v1/batch");
  EXPECT_EQ(batch_endpoint("https://dp.example.com//"), "https://dp.example.com/v1/batch");
  EXPECT_EQ(batch_endpoint("https://dp.example.com/v1/batch"), "https://dp.example.com/v1/batch");
  // The SDK adds /v1/batch: /v1 given too used to make /v1/v1/batch, a 404 for every event.
  EXPECT_EQ(batch_endpoint("https://dp.example.com/v1"), "https://dp.example.com/v1/batch");
  EXPECT_EQ(batch_endpoint("https://dp.example.com/v1/"), "https://dp.example.com/v1/batch");
  EXPECT_EQ(batch_endpoint("https://dp.example.com/rudder/v1"), "https://dp.example.com/rudder/v1/batch");
  EXPECT_EQ(batch_endpoint("https://dp.example.com/v12"), "https://dp.example.com/v12/v1/batch");
  EXPECT_EQ(batch_endpoint("http://127.0.0.1:8080/prefix/"), "http://127.0.0.1:8080/prefix/v1/batch");
}

TEST(Endpoint, BeaconTakesTheWriteKeyInTheQueryPercentEncoded) {
  EXPECT_EQ(beacon_endpoint("https://dp.example.com/", "abc_DEF-1.2~"),
            "https://dp.example.com/beacon/v1/batch?writeKey=abc_DEF-1.2~");
  EXPECT_EQ(beacon_endpoint("https://dp.example.com/v1", "k"), "https://dp.example.com/beacon/v1/batch?writeKey=k");
  EXPECT_EQ(beacon_endpoint("https://dp.example.com/v1/batch", "a b&c=d/é"),
            "https://dp.example.com/beacon/v1/batch?writeKey=a%20b%26c%3Dd%2F%C3%A9");
}

TEST(Endpoint, TheAuthorizationIsBasicWithTheWriteKeyAsUserAndNoPassword) {
  // Base64 of "key:", padded to a whole number of four-character groups.
  EXPECT_EQ(basic_authorization("abc"), "Basic YWJjOg==");
  EXPECT_EQ(basic_authorization("ab"), "Basic YWI6");
  EXPECT_EQ(basic_authorization("abcd"), "Basic YWJjZDo=");
  EXPECT_EQ(basic_authorization("2ag7WriteKey"), "Basic MmFnN1dyaXRlS2V5Og==");
}

}  // namespace
