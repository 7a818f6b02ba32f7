// rudder-analytics wasm platform: the calls into the package's JavaScript glue.
// Copyright the rudder-analytics authors. MIT licence.
#include "wasm/host.hpp"

#include <emscripten/emscripten.h>

namespace {

// Strings cross as (pointer, length) into the module's memory; the glue decodes them at once.
EM_JS(int, js_can_gzip, (), { return Module['rudderHost'].canGzip() ? 1 : 0; });
EM_JS(void, js_gzip, (unsigned token, const char* data, unsigned length), {
  Module['rudderHost'].gzip(token, HEAPU8.slice(data, data + length));
});
EM_JS(void, js_report, (const char* error, unsigned error_length, const char* events,
                        unsigned events_length), {
  Module['rudderHost'].report(error, error_length, events, events_length);
});
EM_JS(void, js_settled, (), { Module['rudderHost'].settled(); });
EM_JS(void, js_closed, (), { Module['rudderHost'].closed(); });
EM_JS(void, js_log, (int level, const char* message, unsigned length), {
  Module['rudderHost'].log(level, message, length);
});

}  // namespace

namespace rudder::wasm::host {

bool can_gzip() { return js_can_gzip() != 0; }

void gzip(std::uint32_t token, std::string_view bytes) {
  js_gzip(token, bytes.data(), static_cast<unsigned>(bytes.size()));
}

void report(std::string_view error_json, std::string_view events_json) {
  js_report(error_json.data(), static_cast<unsigned>(error_json.size()), events_json.data(),
            static_cast<unsigned>(events_json.size()));
}

void settled() { js_settled(); }
void closed() { js_closed(); }

void log(Level level, std::string_view message) {
  js_log(static_cast<int>(level), message.data(), static_cast<unsigned>(message.size()));
}

}  // namespace rudder::wasm::host
