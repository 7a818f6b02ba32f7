// rudder-analytics core: the data plane's addresses derived from the URL a user configured.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <string>
#include <string_view>

namespace rudder::core {

/// "https://host", "https://host/" and "https://host/v1/batch" all mean
/// "https://host/v1/batch".
std::string batch_endpoint(std::string_view data_plane_url);

/// The page-unload endpoint, which takes the write key in the query because
/// navigator.sendBeacon cannot set an Authorization header:
/// "https://host/beacon/v1/batch?writeKey=<percent-encoded key>".
std::string beacon_endpoint(std::string_view data_plane_url, std::string_view write_key);

/// The Authorization header's value for a write key: "Basic " + base64("<writeKey>:"), the
/// key as user name and an empty password, as the data plane expects.
std::string basic_authorization(std::string_view write_key);

}  // namespace rudder::core
