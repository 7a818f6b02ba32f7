// rudder-analytics core: checks a Config before a client (native or wasm) uses it.
// Copyright the rudder-analytics authors. MIT licence.
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/config_limits.hpp"
#include "core/event.hpp"
#include "core/text.hpp"
#include "rudder/analytics.hpp"

namespace rudder {
namespace {

std::string at_least(const char* name, std::size_t min) {
  return std::string(name) + ": must be at least " + std::to_string(min);
}

#ifndef __EMSCRIPTEN__
// What libcurl takes as a proxy: [scheme://][user:password@]host[:port][/], the scheme one it
// speaks. Checked here so that a typo is refused by name at once rather than failing every
// batch ("Unsupported proxy syntax") until its retries run out. Empty: no proxy setting.
std::string proxy_problem(std::string_view proxy) {
  if (proxy.empty()) return {};
  for (const char c : proxy) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
      return "must be a URL such as http://proxy.example:3128, with no white space or non-ASCII";
    }
  }
  std::string_view rest = proxy;
  if (const std::size_t scheme_end = proxy.find("://"); scheme_end != std::string_view::npos) {
    const std::string_view scheme = proxy.substr(0, scheme_end);
    bool known = false;
    for (const std::string_view name : {"http", "https", "socks4", "socks4a", "socks5", "socks5h"}) {
      known = known || core::equal_ignoring_ascii_case(scheme, name);
    }
    if (!known) return "the scheme must be http, https, socks4, socks4a, socks5 or socks5h";
    rest = proxy.substr(scheme_end + 3);
  }
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::string_view host = rest;
  if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos && rest.find(']', colon) == std::string_view::npos) {
    host = rest.substr(0, colon);
    const std::string_view port = rest.substr(colon + 1);
    unsigned number = 0;
    for (const char c : port) number = c >= '0' && c <= '9' && number <= 65535 ? number * 10 + unsigned(c - '0') : 65536;
    if (port.empty() || number == 0 || number > 65535) return "the port must be a number from 1 to 65535";
  }
  if (host.empty() || host.find('/') != std::string_view::npos) return "needs a host, such as http://proxy.example:3128";
  return {};
}
#endif

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// What libcurl's URL parser and a browser's both take as a host: a name of letters, digits and
// "-._~" (curl refuses the other characters RFC 3986 allows), or an IPv6 address in brackets.
bool is_host(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    for (const char c : host.substr(1, host.size() - 2)) {
      if (!is_hex(c) && c != ':' && c != '.') return false;
    }
    return true;
  }
  for (const char c : host) {
    if (!is_alnum(c) && c != '-' && c != '.' && c != '_' && c != '~') return false;
  }
  return true;
}

bool is_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

// RFC 3986's path characters, with every '%' starting an escape: what a browser and libcurl
// send alike (each would otherwise encode the rest in its own way, or not at all).
bool is_encoded_path(std::string_view path) {
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '%') {
      if (i + 2 >= path.size() || !is_hex(path[i + 1]) || !is_hex(path[i + 2])) return false;
      i += 2;
    } else if (!is_alnum(c) &&
               std::string_view("/-._~!$&'()*+,;=:@").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return core::equal_ignoring_ascii_case(text.substr(0, prefix.size()), prefix);
}

// The data plane URL's problem, or empty. The batch endpoint is derived from it
// (core/endpoint.hpp), so only a base is taken: http or https, a host, an optional port, and a
// path that may end in /v1/batch; the query and the credentials are the SDK's to add.
std::string url_problem(std::string_view url) {
  if (url.empty()) return "is required";
  for (const char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) return "must not contain white space or control characters";
    if (c >= 0x80) {
      return "must be ASCII: percent-encode other characters in the path, and give an "
             "international host name in its xn-- form";
    }
  }
  std::size_t scheme = 0;
  if (starts_with_ignoring_case(url, "http://")) scheme = 7;
  if (starts_with_ignoring_case(url, "https://")) scheme = 8;
  if (scheme == 0) return "must start with http:// or https://";
  if (url.find('?') != std::string_view::npos) {
    return "must not have a query ('?'): the SDK adds what the data plane needs";
  }
  if (url.find('#') != std::string_view::npos) return "must not have a fragment ('#')";
  const std::string_view rest = url.substr(scheme);
  const std::string_view authority = rest.substr(0, rest.find('/'));
  const std::string_view path = rest.substr(authority.size());
  if (authority.find('@') != std::string_view::npos) {
    // A browser's fetch() refuses such a URL and libcurl would drop the credentials for the
    // write key's Authorization header: it could work on neither target.
    return "must not contain a user name or password: the write key is the data plane's "
           "credential";
  }
  // The host ends at the first ':', or after the ']' of an IPv6 address; a port may follow.
  std::size_t host_end = authority.find(':');
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    host_end = close == std::string_view::npos ? close : close + 1;
  }
  const std::string_view host = authority.substr(0, host_end);
  if (host.empty()) return "must name a host";
  if (!is_host(host) || (host_end < authority.size() && authority[host_end] != ':')) {
    return "must name a host by letters, digits, '-', '.', '_' and '~', or an IPv6 address "
           "in brackets";
  }
  if (host_end < authority.size() && !is_port(authority.substr(host_end + 1))) {
    return "must have a port from 1 to 65535 after the host's ':'";
  }
  if (!is_encoded_path(path)) {
    return "must have a percent-encoded path (letters, digits, -._~!$&'()*+,;=:@/ and %XX)";
  }
  return {};
}

}  // namespace

std::string Config::validate() const {
  if (write_key.empty() || core::is_blank(write_key)) return "write_key: is required";
  if (!core::is_valid_utf8(write_key)) return "write_key: is not valid UTF-8";
  if (write_key.find_first_of(":\r\n") != std::string::npos) {
    return "write_key: must not contain ':' or line breaks";
  }
  if (const std::string problem = url_problem(data_plane_url); !problem.empty()) {
    // The URL as given helps find the mistake; its password and the write key stay out.
    return "data_plane_url: " + problem +
           (data_plane_url.empty()
                ? std::string()
                : " (got " + core::quoted_url_for_message(data_plane_url, write_key) + ")");
  }
  if (max_queue_bytes < core::kMinQueueBytes) return at_least("max_queue_bytes", core::kMinQueueBytes);
  if (max_storage_bytes < core::kMinStorageBytes) return at_least("max_storage_bytes", core::kMinStorageBytes);
  if (upload_size < core::kMinUploadSize) return at_least("upload_size", core::kMinUploadSize);
  if (timeout.count() < core::kMinTimeoutMs) return "timeout: must be positive";
  if (upload_interval.count() < 0) return "upload_interval: must not be negative";
  if (max_retries < 0 || max_retries > core::kMaxRetries) {
    return "max_retries: must be a whole number from 0 to " + std::to_string(core::kMaxRetries);
  }
  if (shutdown_timeout.count() < 0) return "shutdown_timeout: must not be negative";
  if (max_batch_bytes < core::kMinBatchBytes) return at_least("max_batch_bytes", core::kMinBatchBytes);
  const std::size_t batch = std::min(max_batch_bytes, kGatewayMaxBodyBytes);
  if (max_message_bytes < core::kMinMessageBytes) return at_least("max_message_bytes", core::kMinMessageBytes);
  if (max_message_bytes + core::kBatchEnvelopeSize > batch) {
    return "max_message_bytes: must leave room for the batch envelope: at most " +
           std::to_string(batch - core::kBatchEnvelopeSize) + " with max_batch_bytes " +
           std::to_string(batch);
  }
  if (channel.empty() || !core::is_valid_utf8(channel)) return "channel: must be non-empty UTF-8";
  if (storage_sync_interval.count() < 0) return "storage_sync_interval: must not be negative";
  if (storage_dir.find('\0') != std::string::npos) return "storage_dir: must not contain NUL";
#ifndef __EMSCRIPTEN__  // the package has no proxy (its settings reader refuses the name): not in its .wasm
  if (const std::string problem = proxy_problem(proxy); !problem.empty()) {
    return "proxy: " + problem + " (got " + core::quoted_url_for_message(proxy, write_key) + ")";
  }
#endif
  return {};
}

}  // namespace rudder
