// rudder-analytics native platform: the module-level functions over one default client.
// Copyright the rudder-analytics authors. MIT licence.
#include <memory>
#include <mutex>
#include <stdexcept>

#include "rudder/analytics.hpp"

namespace rudder {
namespace {

// The default client lives in a function-local static, so it is destroyed (and so flushed)
// at normal exit, after main returns, like any other static object.
struct DefaultClient {
  std::mutex mu;
  std::shared_ptr<Client> client;
};

DefaultClient& slot() {
  static DefaultClient instance;
  return instance;
}

std::shared_ptr<Client> current() {
  auto& s = slot();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.client;
}

const Result kNotInitialized{Status::not_initialized, "client: rudder::init() was not called", {}, {}, {}};

template <typename Call>
Result with_client(Call&& call) {
  const auto client = current();
  return client ? call(*client) : kNotInitialized;
}

}  // namespace

std::string init(Config config) {
  if (std::string problem = config.validate(); !problem.empty()) return problem;
  // What the constructor throws (a storage_dir or ca_file it cannot use, a thread the system
  // would not start) is a problem to return as documented, not an exception a caller of this
  // returning style never catches; the old client stays.
  std::shared_ptr<Client> fresh;
  try {
    fresh = std::make_shared<Client>(std::move(config));
  } catch (const std::exception& e) {
    return e.what();
  }
  std::shared_ptr<Client> old;
  {
    auto& s = slot();
    std::lock_guard<std::mutex> lock(s.mu);
    old = std::exchange(s.client, std::move(fresh));
  }
  // The old client flushes in its destructor once the last call using it returns.
  return {};
}

Result identify(std::string_view user_id, const json& traits, const CallOptions& options) {
  return with_client([&](Client& c) { return c.identify(user_id, traits, options); });
}
Result track(std::string_view user_id, std::string_view event, const json& properties,
             const CallOptions& options) {
  return with_client([&](Client& c) { return c.track(user_id, event, properties, options); });
}
Result page(std::string_view user_id, std::string_view category, std::string_view name,
            const json& properties, const CallOptions& options) {
  return with_client([&](Client& c) { return c.page(user_id, category, name, properties, options); });
}
Result screen(std::string_view user_id, std::string_view category, std::string_view name,
              const json& properties, const CallOptions& options) {
  return with_client(
      [&](Client& c) { return c.screen(user_id, category, name, properties, options); });
}
Result group(std::string_view user_id, std::string_view group_id, const json& traits,
             const CallOptions& options) {
  return with_client([&](Client& c) { return c.group(user_id, group_id, traits, options); });
}
Result alias(std::string_view previous_id, std::string_view user_id, const CallOptions& options) {
  return with_client([&](Client& c) { return c.alias(previous_id, user_id, options); });
}
Result submit(const json& message) {
  return with_client([&](Client& c) { return c.submit(message); });
}
Result submit_json(std::string_view json_text) {
  return with_client([&](Client& c) { return c.submit_json(json_text); });
}

bool flush(std::chrono::milliseconds timeout) {
  const auto client = current();
  return client && client->flush(timeout).ok();
}

bool shutdown(std::chrono::milliseconds timeout) {
  std::shared_ptr<Client> client;
  {
    auto& s = slot();
    std::lock_guard<std::mutex> lock(s.mu);
    client = std::move(s.client);
  }
  return client && client->shutdown(timeout).ok();
}

Stats stats() {
  const auto client = current();
  return client ? client->stats() : Stats{};
}

}  // namespace rudder
