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
  if (started_) curl_multi_remove_handle(static_cast<CURLM*>(multi_), static_cast<CURL*>(curl_));
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
  if (multi_ != nullptr) curl_multi_cleanup(static_cast<CURLM*>(multi_));
  curl_slist_free_all(json_headers_);
  curl_slist_free_all(gzip_headers_);
}

void CurlTransport::abandon_after_fork() noexcept {
  curl_ = nullptr;
  multi_ = nullptr;
  started_ = false;
}

void CurlTransport::start(std::string_view body, bool gzipped) {
  response_ = core::Response{};
  start_error_.clear();
  if (curl_ == nullptr) curl_ = curl_easy_init();
  if (multi_ == nullptr) multi_ = curl_multi_init();
  if (curl_ == nullptr || multi_ == nullptr) {
    start_error_ = "libcurl could not create a handle";
    return;
  }
  CURL* curl = static_cast<CURL*>(curl_);
  core::Response& response = response_;
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

  CURLM* multi = static_cast<CURLM*>(multi_);
  if (const CURLMcode added = curl_multi_add_handle(multi, curl); added != CURLM_OK) {
    start_error_ = curl_multi_strerror(added);
    return;
  }
  started_ = true;
  int running = 0;
  curl_multi_perform(multi, &running);  // connects and sends as far as it can without waiting
}

core::Response CurlTransport::finish() {
  if (!started_) {
    response_.network_error = start_error_.empty() ? "no request was started" : start_error_;
    return std::move(response_);
  }
  CURL* curl = static_cast<CURL*>(curl_);
  CURLM* multi = static_cast<CURLM*>(multi_);
  CURLcode code = CURLE_OK;
  for (bool done = false; !done;) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      code = CURLE_RECV_ERROR;
      break;
    }
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg == CURLMSG_DONE && message->easy_handle == curl) {
        code = message->data.result;
        done = true;
      }
    }
    // The 100 ms cap only bounds how late the progress callback sees an abort request.
    if (!done) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  curl_multi_remove_handle(multi, curl);
  started_ = false;
  core::Response response = std::move(response_);
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
