// rudder-analytics native platform: the default Transport, libcurl.
// Copyright the rudder-analytics authors. MIT licence.
#include "native/curl_transport.hpp"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <cstdio>  // SEEK_SET
#include <mutex>
#include <string_view>

namespace rudder::native {
namespace {

void global_init_once() {
  static std::once_flag once;
  // Thread-safe since libcurl 7.84, but once is still the documented contract.
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& sink = *static_cast<CurlTransport::BodySink*>(user);
  const std::size_t n = size * count;
  const std::size_t room = sink.cap - std::min(sink.cap, sink.body->size());
  sink.body->append(data, std::min(n, room));
  if (n <= room) return n;
  // Past the cap: stop the transfer instead of reading (maybe gigabytes) only to drop them.
  *sink.capped = true;
  return 0;
}

// A header's raw value, if `line` is that header.
bool header_value(std::string_view line, std::string_view name, std::string& out) {
  if (line.size() <= name.size() || line[name.size()] != ':' ||
      strncasecmp(line.data(), name.data(), name.size()) != 0) {
    return false;
  }
  std::string_view value = line.substr(name.size() + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  out.assign(value);
  return true;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  const std::size_t n = size * count;
  auto& response = *static_cast<HttpResponse*>(user);
  const std::string_view line(data, n);
  header_value(line, "retry-after", response.retry_after) ||
      header_value(line, "location", response.location);
  return n;
}

std::size_t on_read(char* into, std::size_t size, std::size_t count, void* user) {
  auto& source = *static_cast<CurlTransport::BodySource*>(user);
  const std::size_t n = std::min(size * count, source.body.size() - source.at);
  std::copy_n(source.body.data() + source.at, n, into);
  source.at += n;
  return n;
}

// libcurl starts the body over only to send the request again: after a reused connection
// closed with no answer to it (the data plane may have stored that copy), or on a redirect
// or an authentication round, which this transport never follows.
int on_seek(void* user, curl_off_t offset, int origin) {
  auto& source = *static_cast<CurlTransport::BodySource*>(user);
  if (origin != SEEK_SET || offset != 0) return CURL_SEEKFUNC_CANTSEEK;
  source.at = 0;
  source.rewound = true;
  return CURL_SEEKFUNC_OK;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load(std::memory_order_relaxed) ? 1 : 0;
}

}  // namespace

CurlTransport::CurlTransport(CurlSettings settings, const std::atomic<bool>& abort)
    : settings_(std::move(settings)), abort_(abort) {
  global_init_once();
}

CurlTransport::~CurlTransport() {
  if (started_) curl_multi_remove_handle(static_cast<CURLM*>(multi_), static_cast<CURL*>(curl_));
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
  if (multi_ != nullptr) curl_multi_cleanup(static_cast<CURLM*>(multi_));
  curl_slist_free_all(headers_);
}

void CurlTransport::abandon_after_fork() noexcept {
  curl_ = nullptr;
  multi_ = nullptr;
  started_ = false;
  headers_ = nullptr;
  new (&done_) Done();
  new (&request_) HttpRequest();
  new (&response_) HttpResponse();
}

void CurlTransport::send(HttpRequest request, Done done) {
  request_ = std::move(request);
  done_ = std::move(done);
  response_ = HttpResponse{};
  answer_capped_ = false;
  error_[0] = '\0';
  if (curl_ == nullptr) curl_ = curl_easy_init();
  if (multi_ == nullptr) multi_ = curl_multi_init();
  if (curl_ == nullptr || multi_ == nullptr) {
    response_.network_error = "libcurl could not create a handle";
    response_.not_sent = true;
    Done finished = std::move(done_);
    finished(std::move(response_));
    return;
  }
  curl_slist_free_all(headers_);
  headers_ = curl_slist_append(nullptr, "Content-Type: application/json");
  // No "Expect: 100-continue": it costs a round trip per request for bodies over 1 KiB.
  headers_ = curl_slist_append(headers_, "Expect:");
  headers_ = curl_slist_append(headers_,
                               ("Authorization: " + std::string(request_.authorization)).c_str());
  if (request_.gzipped) headers_ = curl_slist_append(headers_, "Content-Encoding: gzip");

  CURL* curl = static_cast<CURL*>(curl_);
  // Options persist on the handle between requests; all are set again each time anyway, so
  // nothing depends on what an earlier request left.
  const long timeout_ms = static_cast<long>(request_.timeout.count());
  curl_easy_setopt(curl, CURLOPT_URL, std::string(request_.url).c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  body_source_ = {request_.body, 0, false};
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(curl, CURLOPT_READDATA, &body_source_);
  curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
  curl_easy_setopt(curl, CURLOPT_SEEKDATA, &body_source_);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(request_.body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, std::string(request_.user_agent).c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10'000L));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM from a worker thread
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  // A redirect is answered to the driver as it is: following it would turn the POST into a
  // GET without its body (301-303), and the driver must see that nothing was delivered.
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  if (!settings_.proxy.empty()) curl_easy_setopt(curl, CURLOPT_PROXY, settings_.proxy.c_str());
  if (!settings_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, settings_.ca_file.c_str());
  if (!settings_.ca_path.empty()) curl_easy_setopt(curl, CURLOPT_CAPATH, settings_.ca_path.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response_);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&abort_));
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  body_sink_ = {&response_.body, request_.max_answer_bytes, &answer_capped_};
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body_sink_);

  CURLM* multi = static_cast<CURLM*>(multi_);
  if (const CURLMcode added = curl_multi_add_handle(multi, curl); added != CURLM_OK) {
    response_.network_error = curl_multi_strerror(added);
    response_.not_sent = true;
    Done finished = std::move(done_);
    finished(std::move(response_));
    return;
  }
  started_ = true;
  int running = 0;
  curl_multi_perform(multi, &running);  // connects and sends as far as it can without waiting
}

bool CurlTransport::poll(std::chrono::milliseconds max_wait) {
  if (!started_) return false;
  CURLM* multi = static_cast<CURLM*>(multi_);
  int running = 0;
  if (curl_multi_perform(multi, &running) != CURLM_OK) {
    finish(CURLE_RECV_ERROR);
    return false;
  }
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
    if (message->msg == CURLMSG_DONE && message->easy_handle == curl_) {
      finish(message->data.result);
      return false;
    }
  }
  curl_multi_poll(multi, nullptr, 0, static_cast<int>(max_wait.count()), nullptr);
  return true;
}

void CurlTransport::finish(int result) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_multi_remove_handle(static_cast<CURLM*>(multi_), curl);
  started_ = false;
  const auto code = static_cast<CURLcode>(result);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  HttpResponse response = std::move(response_);
  response.resent = body_source_.rewound;
  if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && answer_capped_ && status != 0)) {
    response.status = static_cast<int>(status);
  } else {
    response.status = 0;
    response.body.clear();
    response.network_error = error_[0] != '\0' ? error_ : curl_easy_strerror(code);
    // Nothing of the request left this machine (no name, no connection, no TLS): the data
    // plane cannot have stored it. Anything later (a timeout waiting for the answer, a
    // connection lost mid-way) may have been stored.
    long request_bytes = 0;
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_bytes);
    response.not_sent = request_bytes == 0;
  }
  Done finished = std::move(done_);
  request_.body.clear();
  finished(std::move(response));
}

}  // namespace rudder::native
