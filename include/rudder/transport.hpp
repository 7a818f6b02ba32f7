// rudder-analytics: the transport seam. The client's delivery driver (src/core/driver.hpp)
// decides what to send, when, and what each answer means; a Transport only moves one request
// body to the data plane and brings back what answered. The native client uses libcurl unless
// Config::transport supplies another (a proxy of your own, an in-process test double, a
// different HTTP stack).
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#if defined(__cplusplus) && __cplusplus < 201703L && (!defined(_MSVC_LANG) || _MSVC_LANG < 201703L)
#error "rudder-analytics's C++ API needs C++17 (-std=c++17); C programs and older C++ use rudder/analytics.h"
#endif

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "rudder/export.h"

namespace rudder {

/// One POST of a batch body. The views point into the client's settings and stay valid until
/// the transport calls `done`; `body` is the transport's to keep or move.
struct HttpRequest {
  std::string_view url;                       ///< the batch endpoint, e.g. "https://host/v1/batch"
  std::string_view authorization;             ///< the Authorization header's value ("Basic ...")
  std::string_view user_agent;                ///< the User-Agent header's value
  std::string body;                           ///< JSON, gzip-compressed when `gzipped`
  bool gzipped = false;                       ///< send "Content-Encoding: gzip"
  std::chrono::milliseconds timeout{15'000};  ///< give up on an answer after this long
  /// Keep at most this many bytes of the answer's body, and stop reading past them: a data
  /// plane's answers are one short line, and a proxy's error page must not fill memory.
  std::size_t max_answer_bytes = 64 * 1024;
  /// Browsers (the npm package): send it so that it completes even if the page is closed
  /// meanwhile (fetch's keepalive). Native transports ignore it.
  bool outlive_page = false;
};

/// What one request brought back.
struct HttpResponse {
  /// The HTTP status; 0 when no answer came (network error, timeout, interrupted).
  int status = 0;
  std::string body;         ///< the answer's body, at most max_answer_bytes of it
  std::string retry_after;  ///< the Retry-After header's raw value; empty when absent
  std::string location;     ///< the Location header's raw value (redirects); empty when absent
  /// With status 0: what went wrong, in words ("Connection refused", "no answer within 15000 ms").
  std::string network_error;
  /// With status 0: true only when the request certainly never reached the server (the name
  /// did not resolve, the connection was refused). Left false, a failed request may have
  /// arrived and been stored, so its events are counted as `unknown`, never as lost.
  bool not_sent = false;
  /// The answer was a redirect whose status the transport could not read (a browser's fetch
  /// with redirect: 'manual'). Redirects are never followed: a POST would come back as a GET.
  bool redirected = false;
  /// The transport sent the request again by itself after an earlier send of it got no answer
  /// (libcurl does so when a reused keep-alive connection closes without one), and this is the
  /// answer to the later send. The earlier copy may have been stored, so these events are
  /// never counted as certainly not stored (`failed`), and the resend counts as an attempt
  /// against max_retries. A transport that never resends leaves it false.
  bool resent = false;
};

/// Sends request bodies for one client. Not called concurrently: the client has at most one
/// request out at a time, and calls send() from its delivery thread (the caller's thread in
/// sync_mode).
class RUDDER_API Transport {
 public:
  using Done = std::function<void(HttpResponse)>;

  virtual ~Transport() = default;

  /// Starts sending `request` and calls `done` exactly once with what answered: either before
  /// returning (a blocking transport) or later, from any thread. Should not throw: report
  /// failures as status 0 with network_error set (an exception thrown before `done` is called
  /// is taken as such a failure, "the transport threw: ...", and retried). Should call `done` within about
  /// `request.timeout`: the client sends nothing else until it does. Shutdown does not wait
  /// for it past its own timeout, and a `done` that comes after the client is gone is ignored
  /// safely. Must not follow redirects.
  virtual void send(HttpRequest request, Done done) = 0;
};

}  // namespace rudder
