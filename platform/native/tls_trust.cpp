// rudder-analytics native platform: which CA certificates libcurl trusts.
// Copyright the rudder-analytics authors. MIT licence.
#include "native/tls_trust.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "core/text.hpp"

namespace rudder::native {
namespace {

// The setting if given, else (with `environment`) the first of `variables` that is set and not
// empty; `origin` says which, for the error.
std::string chosen(const std::string& setting, const char* setting_name, bool environment,
                   std::initializer_list<const char*> variables, std::string& origin) {
  origin = setting_name;
  if (!setting.empty() || !environment) return setting;
  for (const char* variable : variables) {
    const char* value = std::getenv(variable);
    if (value != nullptr && *value != '\0') {
      origin = std::string("$") + variable + " (for " + setting_name + ")";
      return value;
    }
  }
  return {};
}

void check_readable(const std::string& path, const std::string& origin) {
  if (path.empty() || access(path.c_str(), R_OK) == 0) return;
  throw std::invalid_argument(origin + ": cannot read " + path + ": " + std::strerror(errno));
}

// A CA directory may be a list, "dir1:dir2", as OpenSSL (which libcurl hands it to) reads
// SSL_CERT_DIR and CAPATH: usable when any of its directories can be read.
void check_directories(const std::string& list, const std::string& origin) {
  if (list.empty() || list.find(':') == std::string::npos) return check_readable(list, origin);
  for (std::size_t start = 0; start <= list.size();) {
    const std::size_t end = std::min(list.find(':', start), list.size());
    const std::string dir = list.substr(start, end - start);
    if (!dir.empty() && access(dir.c_str(), R_OK) == 0) return;
    start = end + 1;
  }
  throw std::invalid_argument(origin + ": cannot read any of the directories " + list);
}

// True when the data plane is reached without TLS (http://), where the environment's CA
// settings play no part and so must not stop the client.
bool plain_http(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  return core::equal_ignoring_ascii_case(url.substr(0, kHttp.size()), kHttp);
}

}  // namespace

TlsTrust tls_trust(const Config& config) {
  TlsTrust trust;
  std::string origin;
  const bool environment = !plain_http(config.data_plane_url);
  trust.ca_file = chosen(config.ca_file, "ca_file", environment, {"SSL_CERT_FILE", "CURL_CA_BUNDLE"}, origin);
  check_readable(trust.ca_file, origin);
  trust.ca_path = chosen(config.ca_path, "ca_path", environment, {"SSL_CERT_DIR"}, origin);
  check_directories(trust.ca_path, origin);
  return trust;
}

}  // namespace rudder::native
