// rudder-analytics wasm platform: POSTs batch bodies with emscripten_fetch.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/retry.hpp"

namespace rudder::wasm {

struct TransportSettings {
  std::string url;        ///< the batch endpoint, e.g. https://host/v1/batch
  std::string write_key;  ///< sent as HTTP Basic user name, empty password
  double timeout_ms = 15'000;
};

/// One request at a time is what the client sends; the transport itself does not care.
/// emscripten_fetch runs on XMLHttpRequest: the browser's own, or in Node the package's
/// fetch()-based one. Single-threaded. Requests cannot be cancelled (emscripten_fetch_close
/// on a request still out would free memory its XMLHttpRequest later writes to), so a client
/// that no longer wants an answer ignores it instead.
class FetchTransport {
 public:
  using Done = std::function<void(core::Response)>;

  explicit FetchTransport(TransportSettings settings);

  /// Sends `body` (gzip-compressed when `gzipped`); `done` is called once, on a later task,
  /// with the status, the Retry-After header and the answer's body, or status 0 and a
  /// description when no answer came (network error, CORS refusal, timeout).
  void post(std::string body, bool gzipped, Done done);

 private:
  TransportSettings settings_;
  std::string authorization_;  // "Basic base64(key:)"
};

/// The value of header `name` (any case) in a raw "name: value\r\n" header block; empty when
/// absent.
std::string header_value(const std::string& headers, const std::string& name);

}  // namespace rudder::wasm
