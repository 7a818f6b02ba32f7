// rudder-analytics CLI: --dry-run's transport, which prints what would be sent.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstdio>

#include "rudder/transport.hpp"

namespace rudder::cli {

/// Writes each event of each request body to `out` as one JSON line, exactly as it would have
/// been sent (the body must be plain JSON: the run turns gzip off), and answers 200 at once, so
/// the library's own validation, building and batching run and nothing leaves the machine.
class DryRunTransport final : public Transport {
 public:
  explicit DryRunTransport(std::FILE* out) : out_(out) {}
  void send(HttpRequest request, Done done) override;

 private:
  std::FILE* out_;
};

}  // namespace rudder::cli
