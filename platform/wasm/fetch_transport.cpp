// rudder-analytics wasm platform: POSTs batch bodies with emscripten_fetch.
// Copyright the rudder-analytics authors. MIT licence.
#include "wasm/fetch_transport.hpp"

#include <emscripten/fetch.h>

#include <cctype>
#include <cstring>
#include <memory>
#include <utility>

namespace rudder::wasm {
namespace {

std::string base64(const std::string& in) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kDigits[v >> 18];
    out += kDigits[(v >> 12) & 63];
    out += kDigits[(v >> 6) & 63];
    out += kDigits[v & 63];
  }
  if (i < in.size()) {
    const bool two = i + 1 < in.size();
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (two ? static_cast<unsigned char>(in[i + 1]) << 8 : 0);
    out += kDigits[v >> 18];
    out += kDigits[(v >> 12) & 63];
    out += two ? kDigits[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool iequals_prefix(const std::string& s, std::size_t at, const std::string& name) {
  if (s.size() - at < name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[at + i])) !=
        std::tolower(static_cast<unsigned char>(name[i]))) {
      return false;
    }
  }
  return true;
}

// Lives from post() until its answer: emscripten_fetch reads the headers and body from here.
struct Request {
  std::string body;
  FetchTransport::Done done;
  const char* headers[9] = {};
  double timeout_ms = 0;
};

void finished(emscripten_fetch_t* fetch);

}  // namespace

std::string header_value(const std::string& headers, const std::string& name) {
  std::size_t line = 0;
  while (line < headers.size()) {
    std::size_t end = headers.find('\n', line);
    if (end == std::string::npos) end = headers.size();
    if (iequals_prefix(headers, line, name) && line + name.size() < end &&
        headers[line + name.size()] == ':') {
      std::size_t from = line + name.size() + 1;
      std::size_t to = end;
      while (from < to && (headers[from] == ' ' || headers[from] == '\t')) ++from;
      while (to > from && (headers[to - 1] == '\r' || headers[to - 1] == ' ')) --to;
      return headers.substr(from, to - from);
    }
    line = end + 1;
  }
  return {};
}


FetchTransport::FetchTransport(TransportSettings settings)
    : settings_(std::move(settings)), authorization_("Basic " + base64(settings_.write_key + ":")) {}

void FetchTransport::post(std::string body, bool gzipped, Done done) {
  auto request = std::make_unique<Request>();
  request->body = std::move(body);
  request->done = std::move(done);
  request->timeout_ms = settings_.timeout_ms;
  const char** h = request->headers;
  *h++ = "Content-Type";
  *h++ = "application/json";
  *h++ = "Authorization";
  *h++ = authorization_.c_str();
  if (gzipped) {
    *h++ = "Content-Encoding";
    *h++ = "gzip";
  }
  *h = nullptr;

  emscripten_fetch_attr_t attr;
  emscripten_fetch_attr_init(&attr);
  std::strcpy(attr.requestMethod, "POST");
  attr.attributes = EMSCRIPTEN_FETCH_LOAD_TO_MEMORY;
  attr.requestHeaders = request->headers;
  attr.requestData = request->body.data();
  attr.requestDataSize = request->body.size();
  attr.timeoutMSecs = static_cast<unsigned long>(settings_.timeout_ms);
  attr.onsuccess = &finished;
  attr.onerror = &finished;
  attr.userData = request.release();  // owned by the fetch until finished()
  emscripten_fetch(&attr, settings_.url.c_str());
}

namespace {

void finished(emscripten_fetch_t* fetch) {
  std::unique_ptr<Request> request(static_cast<Request*>(fetch->userData));
  core::Response response;
  response.status = fetch->status;
  if (response.status != 0) {
    if (fetch->data != nullptr && fetch->numBytes > 0) {
      // A data plane's answers are one short line; a long one is cut (it only feeds messages).
      response.body.assign(fetch->data, std::min<std::size_t>(fetch->numBytes, 4096));
    }
    if (const std::size_t length = emscripten_fetch_get_response_headers_length(fetch)) {
      std::string headers(length, '\0');
      emscripten_fetch_get_response_headers(fetch, headers.data(), length);
      headers.resize(std::strlen(headers.c_str()));
      response.retry_after = header_value(headers, "retry-after");
    }
  } else {
    // XMLHttpRequest tells a timeout, a refused connection and a CORS refusal apart only
    // through events emscripten_fetch does not pass on.
    response.network_error = "no answer (connection failed, refused by CORS, or no answer within " +
                             std::to_string(static_cast<long long>(request->timeout_ms)) + " ms)";
  }
  emscripten_fetch_close(fetch);  // done, so closing frees without aborting anything
  request->done(std::move(response));
}

}  // namespace

}  // namespace rudder::wasm
