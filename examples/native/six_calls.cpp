// The six calls through the native library, as a C++ program would make them.
// Usage: native_example <data-plane-url> [write-key]   (or RUDDER_DATA_PLANE_URL / RUDDER_WRITE_KEY)
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "rudder/analytics.hpp"

int main(int argc, char** argv) {
  const char* url = argc > 1 ? argv[1] : std::getenv("RUDDER_DATA_PLANE_URL");
  const char* key = argc > 2 ? argv[2] : std::getenv("RUDDER_WRITE_KEY");
  if (url == nullptr || key == nullptr) {
    std::cerr << "usage: native_example <data-plane-url> <write-key>\n";
    return 2;
  }

  rudder::Config config;
  config.data_plane_url = url;
  config.write_key = key;
  config.on_error = [](const rudder::DeliveryError& error, const std::vector<rudder::json>& events) {
    std::cerr << "not delivered (" << events.size() << " events): " << error.message << "\n";
  };
  rudder::Client analytics(config);

  analytics.identify("user-42", {{"email", "ada@example.com"}, {"name", "Ada Lovelace"}});
  analytics.track("user-42", "Article Read", {{"title", "The Analytical Engine"}, {"words", 1843}});
  analytics.page("user-42", "Docs", "Getting Started", {{"url", "https://example.com/start"}});
  analytics.screen("user-42", "Settings", "Brightness", {{"from", "Settings Screen"}});
  analytics.group("user-42", "company-7", {{"name", "Engines Ltd"}, {"employees", 12}});
  rudder::CallOptions options;
  options.context = {{"campaign", {{"source", "newsletter"}}}};
  const rudder::Result r = analytics.alias("anonymous-9", "user-42", options);
  if (!r) std::cerr << "alias refused: " << r.error << "\n";

  // A call with a mistake is refused on the spot, naming the field; nothing is sent for it.
  const rudder::Result bad = analytics.track("user-42", "");
  std::cout << "refused as expected: " << bad.error << "\n";

  // flush() says what became of everything queued before it; true when all of it arrived.
  const rudder::FlushResult flushed = analytics.flush(std::chrono::seconds(10));
  std::cout << "delivered " << flushed.delivered << ", failed " << flushed.failed << ", unknown "
            << flushed.unknown << ", still pending " << flushed.pending << "\n";
  return flushed ? 0 : 1;
}
