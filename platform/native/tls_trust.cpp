// rudder-analytics native platform: which CA certificates libcurl trusts.
// Copyright the rudder-analytics authors. MIT licence.
#include "native/tls_trust.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace rudder::native {
namespace {

// The setting if given, else the first of `variables` that is set and not empty; `origin`
// says which, for the error.
std::string chosen(const std::string& setting, const char* setting_name,
                   std::initializer_list<const char*> variables, std::string& origin) {
  origin = setting_name;
  if (!setting.empty()) return setting;
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

}  // namespace

TlsTrust tls_trust(const Config& config) {
  TlsTrust trust;
  std::string origin;
  trust.ca_file = chosen(config.ca_file, "ca_file", {"SSL_CERT_FILE", "CURL_CA_BUNDLE"}, origin);
  check_readable(trust.ca_file, origin);
  trust.ca_path = chosen(config.ca_path, "ca_path", {"SSL_CERT_DIR"}, origin);
  check_readable(trust.ca_path, origin);
  return trust;
}

}  // namespace rudder::native
