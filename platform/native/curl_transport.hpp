// rudder-analytics native platform: sends request bodies to the data plane with libcurl.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "core/retry.hpp"

struct curl_slist;  // libcurl's, kept out of this header

namespace rudder::native {

struct TransportSettings {
  std::string url;        ///< full endpoint, e.g. "https://host/v1/batch"
  std::string write_key;  ///< HTTP Basic user name; the password is empty
  std::string proxy;      ///< empty: none (libcurl's *_proxy environment variables apply)
  std::chrono::milliseconds timeout{15'000};
  std::string user_agent;
};

/// One libcurl easy handle driven through a multi handle, reused so its keep-alive connection
/// (and TLS session) serves every request. A request is started, then finished: between the
/// two the owning thread may do other work (the worker compresses the next batch) while the
/// data plane answers. Not thread-safe: owned by the one thread that sends.
class CurlTransport {
 public:
  /// `abort` is polled while a request runs; when it turns true the request ends at once
  /// with a network error (shutdown must not wait for a slow server past its timeout).
  CurlTransport(TransportSettings settings, const std::atomic<bool>& abort);
  ~CurlTransport();
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  /// Starts POSTing `body` as JSON (with Content-Encoding: gzip when `gzipped`). `body` must
  /// stay alive and unchanged until finish() returns. One request at a time.
  void start(std::string_view body, bool gzipped);
  /// Waits for the request start() began. Never throws; failures come back as status 0 with
  /// network_error set.
  core::Response finish();
  /// start() then finish().
  core::Response post(std::string_view body, bool gzipped) {
    start(body, gzipped);
    return finish();
  }

  /// For a forked child: forgets the handle without closing it. The parent still uses the
  /// connection, and a TLS close from the child would end it under the parent's feet.
  void abandon_after_fork() noexcept;

 private:
  void* curl_ = nullptr;   // CURL*
  void* multi_ = nullptr;  // CURLM*
  bool started_ = false;
  std::string start_error_;  // set when start() could not begin the request
  core::Response response_;
  TransportSettings settings_;
  const std::atomic<bool>& abort_;
  curl_slist* json_headers_ = nullptr;
  curl_slist* gzip_headers_ = nullptr;
};

}  // namespace rudder::native
