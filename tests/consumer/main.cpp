// Links the installed library and builds one event without sending it.
#include <iostream>

#include "rudder/analytics.hpp"

int main() {
  rudder::Config config;
  config.write_key = "key";
  config.data_plane_url = "http://127.0.0.1:9";
  config.send = false;
  rudder::Client client(config);
  const rudder::Result r = client.track("user-1", "Installed", {{"ok", true}});
  std::cout << (r ? "built " + r.message_id : r.error) << "\n";
  return r ? 0 : 1;
}
