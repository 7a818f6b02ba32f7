// rudder-analytics native platform: sends request bodies to the data plane with libcurl.
// Copyright the rudder-analytics authors. MIT licence.
#include "native/curl_transport.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>

#include <curl/curl.h>

namespace rudder::native {
namespace {

// Enough for every answer the data plane gives; a proxy's HTML error page is cut here.
constexpr std::size_t kMaxBodyKept = 64 * 1024;

void global_init_once() {
  static std::once_flag once;
  // Thread-safe since libcurl 7.84, but once is still the documented contract.
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& body = *static_cast<std::string*>(user);
  const std::size_t n = size * count;
  body.append(data, std::min(n, kMaxBodyKept - std::min(kMaxBodyKept, body.size())));
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  const std::size_t n = size * count;
  constexpr std::string_view kName = "retry-after:";
  if (n > kName.size() && strncasecmp(data, kName.data(), kName.size()) == 0) {
    std::string_view value(data + kName.size(), n - kName.size());
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.remove_suffix(1);
    static_cast<core::Response*>(user)->retry_after.assign(value);
  }
  return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load(std::memory_order_relaxed) ? 1 : 0;
}

curl_slist* make_headers(bool gzipped) {
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  // No "Expect: 100-continue": it costs a round trip per request for bodies over 1 KiB.
  list = curl_slist_append(list, "Expect:");
  if (gzipped) list = curl_slist_append(list, "Content-Encoding: gzip");
  return list;
}

}  // namespace

CurlTransport::CurlTransport(TransportSettings settings, const std::atomic<bool>& abort)
    : settings_(std::move(settings)), abort_(abort) {
  global_init_once();
  json_headers_ = make_headers(false);
  gzip_headers_ = make_headers(true);
}

CurlTransport::~CurlTransport() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_slist_free_all(json_headers_);
  curl_slist_free_all(gzip_headers_);
}

void CurlTransport::abandon_after_fork() noexcept { curl_ = nullptr; }

core::Response CurlTransport::post(std::string_view body, bool gzipped) {
  core::Response response;
  if (curl_ == nullptr) {
    curl_ = curl_easy_init();
    if (curl_ == nullptr) {
      response.network_error = "libcurl could not create a handle";
      return response;
    }
  }
  CURL* curl = static_cast<CURL*>(curl_);
  // Options persist on the handle between requests; set per request only what changes, and
  // the rest again each time so a reset handle (none today) could not send without them.
  const long timeout_ms = static_cast<long>(settings_.timeout.count());
  curl_easy_setopt(curl, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, gzipped ? gzip_headers_ : json_headers_);
  curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(curl, CURLOPT_USERNAME, settings_.write_key.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, "");
  curl_easy_setopt(curl, CURLOPT_USERAGENT, settings_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10'000L));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM from a worker thread
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect would drop the POST body
  if (!settings_.proxy.empty()) curl_easy_setopt(curl, CURLOPT_PROXY, settings_.proxy.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&abort_));
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);

  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    response.status = 0;
    response.body.clear();
    response.network_error = curl_easy_strerror(code);
    return response;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace rudder::native
