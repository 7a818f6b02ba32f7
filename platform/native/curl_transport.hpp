// rudder-analytics native platform: the default Transport, libcurl.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "rudder/transport.hpp"

struct curl_slist;  // libcurl's, kept out of this header

namespace rudder::native {

/// What libcurl needs beyond each request: settings of the connection itself.
struct CurlSettings {
  std::string proxy;  ///< empty: none (libcurl's *_proxy environment variables apply)
  std::string ca_file;  ///< CURLOPT_CAINFO; empty: libcurl's default (see tls_trust.hpp)
  std::string ca_path;  ///< CURLOPT_CAPATH; empty: libcurl's default
};

/// One libcurl easy handle driven through a multi handle, reused so its keep-alive connection
/// (and TLS session) serves every request. send() starts a request and returns at once, so
/// the driver can build the next body while the data plane answers; poll() then moves it on
/// and calls `done` when it ends. Not thread-safe: owned by the one thread that drives delivery.
class CurlTransport final : public Transport {
 public:
  /// `abort` is polled while a request runs; when it turns true the request ends at once
  /// with a network error (shutdown must not wait for a slow server past its timeout).
  CurlTransport(CurlSettings settings, const std::atomic<bool>& abort);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  void send(HttpRequest request, Done done) override;

  /// Waits up to `max_wait` for the request out to progress; calls its `done` (on this
  /// thread) if it ended. Returns true while a request is still out.
  bool poll(std::chrono::milliseconds max_wait);

  /// For a forked child: forgets the handle without closing it. The parent still uses the
  /// connection, and a TLS close from the child would end it under the parent's feet.
  void abandon_after_fork() noexcept;

  /// Where libcurl writes the answer's body, and where it stops.
  struct BodySink {
    std::string* body = nullptr;
    std::size_t cap = 0;
    bool* capped = nullptr;
  };

  /// Where libcurl reads the request's body from. Read through a callback rather than handed
  /// over whole (CURLOPT_POSTFIELDS) so that libcurl must ask to start it over: it sends a
  /// request again by itself when a reused connection closes without an answer, and the
  /// driver must hear of that resend (HttpResponse::resent).
  struct BodySource {
    std::string_view body;
    std::size_t at = 0;
    bool rewound = false;
  };

 private:
  void finish(int code);

  CurlSettings settings_;
  const std::atomic<bool>& abort_;
  void* curl_ = nullptr;   // CURL*
  void* multi_ = nullptr;  // CURLM*
  bool started_ = false;
  // The request out: curl reads its body and headers from here until it ends.
  HttpRequest request_;
  Done done_;
  HttpResponse response_;
  curl_slist* headers_ = nullptr;
  bool answer_capped_ = false;  // stopped reading at max_answer_bytes
  BodySink body_sink_;
  BodySource body_source_;
  char error_[256] = {};  // CURLOPT_ERRORBUFFER
};

}  // namespace rudder::native
