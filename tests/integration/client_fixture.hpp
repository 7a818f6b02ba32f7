// Integration tests: what every test of the native client against the local data plane
// shares: one data plane per test binary, reset before each test, and an on_error recorder.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "local_data_plane.hpp"
#include "rudder/analytics.hpp"

namespace rudder {

using namespace std::chrono_literals;
using testing::LocalDataPlane;

// Collects on_error reports; safe to read after flush()/shutdown() returned.
struct ErrorLog {
  std::mutex mu;
  std::vector<DeliveryError> errors;
  std::vector<json> events;

  ErrorHandler handler() {
    return [this](const DeliveryError& e, const std::vector<json>& evs) {
      std::lock_guard<std::mutex> lock(mu);
      errors.push_back(e);
      events.insert(events.end(), evs.begin(), evs.end());
    };
  }
};

// Collects log lines as text, one a line (only those of `only`'s level, if given); text() is
// safe to read at any time.
struct LogText {
  std::mutex mu;
  std::string lines;

  Logger handler(std::optional<LogLevel> only = std::nullopt) {
    return [this, only](LogLevel level, std::string_view line) {
      if (only && level != *only) return;
      std::lock_guard<std::mutex> lock(mu);
      lines.append(line).push_back('\n');
    };
  }
  std::string text() {
    std::lock_guard<std::mutex> lock(mu);
    return lines;
  }
};

class ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { plane_ = new LocalDataPlane(); }
  static void TearDownTestSuite() {
    delete plane_;
    plane_ = nullptr;
  }
  void SetUp() override { plane_->reset(); }

  Config config() {
    Config c;
    c.write_key = LocalDataPlane::kWriteKey;
    c.data_plane_url = plane_->url();
    c.on_error = errors_.handler();
    c.upload_interval = 50ms;
    return c;
  }

  static std::set<std::string> message_ids(const json& events) {
    std::set<std::string> ids;
    for (const auto& e : events) ids.insert(e.at("messageId").get<std::string>());
    return ids;
  }

  inline static LocalDataPlane* plane_ = nullptr;
  ErrorLog errors_;
};

}  // namespace rudder
