// rudder-analytics tests: counters, flush results and delivery errors as the JSON text the npm
// package parses (stats(), flush() and close() results, onError's error): every field under the
// name the package's types promise.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/stats_json.hpp"

#include <cstdint>
#include <iterator>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using json = nlohmann::json;
using rudder::DeliveryError;
using rudder::DropReason;
using rudder::FlushResult;
using rudder::Stats;

TEST(StatsJson, EveryCounterUnderItsJavaScriptName) {
  // Each counter gets its own value, so a counter written under another's name shows.
  const std::pair<const char*, std::uint64_t Stats::*> counters[] = {
      {"queued", &Stats::queued},       {"delivered", &Stats::delivered}, {"failed", &Stats::failed},
      {"unknown", &Stats::unknown},     {"retried", &Stats::retried},     {"pending", &Stats::pending},
      {"beaconed", &Stats::beaconed},   {"stored", &Stats::stored},       {"recovered", &Stats::recovered},
      {"corruptSkipped", &Stats::corrupt_skipped}, {"kept", &Stats::kept},
      {"foreignSegments", &Stats::foreign_segments}};
  Stats s;
  std::uint64_t next = 1;
  for (const auto& [name, counter] : counters) s.*counter = next++;
  s.dropped[static_cast<std::size_t>(DropReason::invalid)] = next++;
  s.dropped[static_cast<std::size_t>(DropReason::queue_full)] = next++;
  const json j = json::parse(rudder::core::stats_json(s));
  for (const auto& [name, counter] : counters) EXPECT_EQ(j.value(name, json()), s.*counter) << name;
  EXPECT_EQ(j.at("dropped").value("invalid", json()), 13);
  EXPECT_EQ(j.at("dropped").value("queue_full", json()), 14);
  EXPECT_EQ(j.size(), std::size(counters) + 1) << j.dump();
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
