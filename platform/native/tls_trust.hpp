// rudder-analytics native platform: which CA certificates libcurl trusts.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <string>

#include "rudder/analytics.hpp"

namespace rudder::native {

/// The CA file and directory to give libcurl; empty: its built-in default (the system's).
struct TlsTrust {
  std::string ca_file;
  std::string ca_path;
};

/// Config::ca_file / ca_path, else what the environment names, as OpenSSL's and curl's tools
/// read it: SSL_CERT_FILE (then CURL_CA_BUNDLE) and SSL_CERT_DIR. libcurl itself reads none of
/// these, so a program behind a private CA would otherwise fail with no setting to fix it.
/// The environment is not consulted for an http:// data plane, where no TLS is spoken. A CA
/// directory may be a ':'-separated list, as OpenSSL takes it.
/// Throws std::invalid_argument naming the setting or the variable ("ca_file: cannot read
/// /x.pem: No such file or directory") when what is named cannot be read (for a list: when
/// none of its directories can).
TlsTrust tls_trust(const Config& config);

}  // namespace rudder::native
