// rudder-analytics native platform: the C API (include/rudder/analytics.h) over Client::Impl.
// Copyright the rudder-analytics authors. MIT licence.
//
// Nothing here decides anything: settings are read by the core (core/settings_json), calls go
// to the core's text path (the one the WebAssembly module uses), results come back as the
// core's JSON. What is here turns C++ results and exceptions into numbers and C strings.
#include "rudder/analytics.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>

#include "core/settings_json.hpp"
#include "core/stats_json.hpp"
#include "native/client_impl.hpp"

struct rudder_client {
  std::unique_ptr<rudder::Client::Impl> impl;
};

namespace {

using rudder::core::MessageType;

// A copy the caller frees with rudder_free(); nothing when the caller passed no place for it
// (or, out of memory, a NULL).
void give(char** out, std::string_view text) {
  if (out == nullptr) return;
  *out = static_cast<char*>(std::malloc(text.size() + 1));
  if (*out == nullptr) return;
  std::memcpy(*out, text.data(), text.size());
  (*out)[text.size()] = '\0';
}

char* copy(std::string_view text) {
  char* out = nullptr;
  give(&out, text);
  return out;
}

int refuse(char** detail, const char* reason) {
  give(detail, reason);
  return RUDDER_INVALID;
}

// Every entry point catches everything: an exception must not cross into C.
template <typename Call>
int guarded(char** detail, Call&& call) {
  try {
    return call();
  } catch (const std::bad_alloc&) {
    return refuse(detail, "client: out of memory");
  } catch (const std::exception& e) {
    give(detail, std::string("client: ") + e.what());
    return RUDDER_INVALID;
  }
}

int outcome(const rudder::Result& result, char** detail) {
  give(detail, result.ok() ? result.message_id : result.error);
  return static_cast<int>(result.status);
}

// One of the calls: `send(impl)` once the client and the message are there.
template <typename Send>
int call(rudder_client* client, const char* message_json, char** detail, Send&& send) {
  if (client == nullptr) return refuse(detail, "client: is NULL");
  if (message_json == nullptr) {
    client->impl->count_invalid();
    return refuse(detail, "message: is NULL");
  }
  return guarded(detail, [&] { return outcome(send(*client->impl), detail); });
}

int call(rudder_client* client, MessageType type, const char* message_json, char** detail) {
  return call(client, message_json, detail,
              [&](rudder::Client::Impl& impl) { return impl.call_text(type, message_json); });
}

// rudder_flush and rudder_shutdown: `wait` for at most `timeout_ms`; 1 when everything it
// waited for was delivered.
using Wait = rudder::FlushResult (rudder::Client::Impl::*)(std::chrono::milliseconds);
int wait_for(rudder_client* client, Wait wait, int64_t timeout_ms, char** result_json) {
  if (client == nullptr) return 0;
  try {
    const rudder::FlushResult r = (client->impl.get()->*wait)(std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms));
    give(result_json, rudder::core::flush_result_json(r));
    return r ? 1 : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

extern "C" {

const char* rudder_version(void) { return RUDDER_ANALYTICS_VERSION; }

rudder_client* rudder_client_new(const char* settings_json, rudder_on_error_fn on_error,
                                 rudder_log_fn log, void* user_data, char** error) {
  if (settings_json == nullptr) {
    give(error, "settings: is NULL");
    return nullptr;
  }
  try {
    rudder::Config config;
    if (auto problem = rudder::core::read_settings(settings_json, rudder::core::SettingsFor::native, config)) {
      give(error, problem->message);
      return nullptr;
    }
    if (on_error != nullptr) {
      config.on_error = [on_error, user_data](const rudder::DeliveryError& e, const std::vector<rudder::json>& events) {
        const std::string error_json = rudder::core::delivery_error_json(e);
        const std::string events_json = rudder::json(events).dump();
        on_error(user_data, error_json.c_str(), events_json.c_str());
      };
    }
    if (log != nullptr) {
      config.logger = [log, user_data](rudder::LogLevel level, std::string_view message) {
        const std::string line(message);
        log(user_data, static_cast<int>(level), line.c_str());
      };
    }
    auto client = std::make_unique<rudder_client>();
    client->impl = std::make_unique<rudder::Client::Impl>(std::move(config));
    return client.release();
  } catch (const std::bad_alloc&) {
    give(error, "client: out of memory");
  } catch (const std::exception& e) {
    // The core's checks name the C++ setting (ca_file, storage_dir): give the JSON name.
    give(error, rudder::core::with_setting_names(e.what(), rudder::core::Naming::js));
  }
  return nullptr;
}

int rudder_identify(rudder_client* c, const char* m, char** d) { return call(c, MessageType::identify, m, d); }
int rudder_track(rudder_client* c, const char* m, char** d) { return call(c, MessageType::track, m, d); }
int rudder_page(rudder_client* c, const char* m, char** d) { return call(c, MessageType::page, m, d); }
int rudder_screen(rudder_client* c, const char* m, char** d) { return call(c, MessageType::screen, m, d); }
int rudder_group(rudder_client* c, const char* m, char** d) { return call(c, MessageType::group, m, d); }
int rudder_alias(rudder_client* c, const char* m, char** d) { return call(c, MessageType::alias, m, d); }

int rudder_submit(rudder_client* client, const char* message_json, char** detail) {
  return call(client, message_json, detail,
              [&](rudder::Client::Impl& impl) { return impl.submit_text(message_json); });
}

int rudder_flush(rudder_client* client, int64_t timeout_ms, char** result_json) {
  return wait_for(client, &rudder::Client::Impl::flush, timeout_ms, result_json);
}

int rudder_shutdown(rudder_client* client, int64_t timeout_ms, char** result_json) {
  return wait_for(client, &rudder::Client::Impl::shutdown, timeout_ms, result_json);
}

char* rudder_stats(const rudder_client* client) {
  if (client == nullptr) return nullptr;
  try {
    return copy(rudder::core::stats_json(client->impl->stats()));
  } catch (const std::exception&) {
    return nullptr;
  }
}

void rudder_client_free(rudder_client* client) { delete client; }

void rudder_free(char* text) { std::free(text); }

}  // extern "C"
