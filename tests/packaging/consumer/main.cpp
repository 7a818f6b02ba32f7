// A user's program: links the library and builds one event without sending it.
#if __has_include("core/driver.hpp")
#error "the library's internal headers (src/) are on its users' include path"
#endif

#include <iostream>

#include "rudder/analytics.hpp"

static_assert(RUDDER_ANALYTICS_VERSION_MAJOR >= 0 && RUDDER_ANALYTICS_VERSION_MINOR >= 0 &&
                  RUDDER_ANALYTICS_VERSION_PATCH >= 0,
              "rudder/version.h gives the version as numbers");

int main() {
  rudder::Config config;
  config.write_key = "key";
  config.data_plane_url = "http://127.0.0.1:9";
  config.send = false;
  rudder::Client client(config);
  const rudder::Result r = client.track("user-1", "Installed", {{"ok", true}});
  std::cout << "rudder-analytics " << RUDDER_ANALYTICS_VERSION << ": "
            << (r ? "built " + r.message_id : r.error) << " (" << rudder::to_string(r.status) << ")\n";
  return r ? 0 : 1;
}
