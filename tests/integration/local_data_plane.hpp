// Test harness: runs the project's local data plane (tests/dataplane/server.mjs) as a child
// process on a free loopback port and talks to its control API.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rudder::testing {

class LocalDataPlane {
 public:
  /// Starts `node server.mjs --port 0` and waits until it listens. Extra CLI flags may be
  /// given (e.g. "--count-only", or "--tls-cert" and "--tls-key" for HTTPS, whose control API
  /// this harness then reaches trusting `control_ca_file`). Throws std::runtime_error when it
  /// cannot start.
  explicit LocalDataPlane(std::vector<std::string> extra_args = {}, std::string control_ca_file = {});
  /// Stops the server (SIGTERM, then closes its stdin so it exits even if the signal is lost).
  ~LocalDataPlane();
  LocalDataPlane(const LocalDataPlane&) = delete;
  LocalDataPlane& operator=(const LocalDataPlane&) = delete;

  const std::string& url() const { return url_; }
  int port() const { return port_; }

  /// Clears stored events, the request log, misbehaviour rules and runtime config.
  void reset();
  /// Queues a misbehaviour rule, e.g. {{"count",3},{"status",503}}.
  void misbehave(const nlohmann::json& rule);
  /// Changes runtime config, e.g. {{"maxBytes", 5000}}.
  void configure(const nlohmann::json& config);
  /// Stored events, in arrival order.
  nlohmann::json events();
  /// The request log: path, status, bytes, gzip, events, at (ms) per data request.
  nlohmann::json requests();
  /// {"events": n, "requests": n, "byStatus": {...}}
  nlohmann::json stats();

  /// Valid and disabled write keys the server knows by default.
  static constexpr const char* kWriteKey = "test-write-key";
  static constexpr const char* kDisabledKey = "disabled-write-key";

 private:
  nlohmann::json control(const std::string& method, const std::string& path,
                         const nlohmann::json& body = nullptr);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int port_ = 0;
  std::string url_;
  std::string control_ca_file_;
};

/// A loopback port with nothing listening on it (bound, then closed).
int unused_port();

}  // namespace rudder::testing
