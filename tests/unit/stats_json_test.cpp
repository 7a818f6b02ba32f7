// rudder-analytics tests: counters, flush results and delivery errors as the JSON text the npm
// package parses (stats(), flush() and close() results, onError's error): every field under the
// name the package's types promise.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/stats_json.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using json = nlohmann::json;
using rudder::DeliveryError;
using rudder::DropReason;
using rudder::FlushResult;
using rudder::Stats;

TEST(StatsJson, EveryCounterUnderItsJavaScriptName) {
  Stats s;
  s.queued = 1;
  s.delivered = 2;
  s.failed = 3;
  s.unknown = 4;
  s.retried = 5;
  s.pending = 6;
  s.beaconed = 7;
  s.stored = 8;
  s.recovered = 9;
  s.corrupt_skipped = 10;
  s.kept = 11;
  s.dropped[static_cast<std::size_t>(DropReason::invalid)] = 12;
  s.dropped[static_cast<std::size_t>(DropReason::queue_full)] = 13;
  const json j = json::parse(rudder::core::stats_json(s));
  const json expected = {{"queued", 1},   {"delivered", 2}, {"failed", 3},    {"unknown", 4},
                         {"retried", 5},  {"pending", 6},   {"beaconed", 7},  {"stored", 8},
                         {"recovered", 9}, {"corruptSkipped", 10}, {"kept", 11}};
  for (const auto& [key, value] : expected.items()) EXPECT_EQ(j.value(key, json()), value) << key;
  EXPECT_EQ(j.at("dropped").value("invalid", json()), 12);
  EXPECT_EQ(j.at("dropped").value("queue_full", json()), 13);
  EXPECT_EQ(j.size(), expected.size() + 1) << j.dump();
}

TEST(StatsJson, AFlushResultCarriesEveryCountAndWhatTheLastAttemptGot) {
  FlushResult r;
  r.delivered = 1;
  r.failed = 2;
  r.unknown = 3;
  r.unsent = 4;
  r.beaconed = 5;
  r.pending = 6;
  r.kept = 7;
  r.last_attempt = "HTTP 503: \"busy\"";
  const json j = json::parse(rudder::core::flush_result_json(r));
  EXPECT_EQ(j, (json{{"delivered", 1}, {"failed", 2}, {"unknown", 3}, {"unsent", 4}, {"beaconed", 5},
                     {"pending", 6}, {"kept", 7}, {"lastAttempt", "HTTP 503: \"busy\""}}));
}

TEST(StatsJson, ADeliveryErrorCarriesWhatTheLastAttemptGot) {
  DeliveryError e;
  e.kind = DeliveryError::Kind::unsent_at_shutdown;
  e.status = 0;
  e.body = "";
  e.message = "3 events were not sent";
  e.attempts = 2;
  e.last_attempt = "HTTP 503: busy";
  const json j = json::parse(rudder::core::delivery_error_json(e));
  EXPECT_EQ(j.at("kind"), "unsent_at_shutdown");
  EXPECT_EQ(j.at("attempts"), 2);
  EXPECT_EQ(j.at("message"), "3 events were not sent");
  EXPECT_EQ(j.at("lastAttempt"), "HTTP 503: busy");
}

}  // namespace
