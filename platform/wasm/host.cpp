// rudder-analytics wasm platform: the calls into the package's JavaScript glue.
// Copyright the rudder-analytics authors. MIT licence.
#include "wasm/host.hpp"

#include <emscripten/emscripten.h>

namespace {

// Strings cross as (pointer, length) into the module's memory; the glue decodes them at once.
EM_JS(int, js_can_gzip, (), { return Module['rudderHost'].canGzip() ? 1 : 0; });
EM_JS(void, js_arm_timer, (void* timer, double delay_ms, int keep_alive), {
  Module['rudderHost'].armTimer(timer, delay_ms, keep_alive !== 0);
});
EM_JS(void, js_cancel_timer, (void* timer), { Module['rudderHost'].cancelTimer(timer); });
EM_JS(void, js_gzip, (unsigned token, const char* data, unsigned length), {
  Module['rudderHost'].gzip(token, HEAPU8.slice(data, data + length));
});
EM_JS(void, js_send, (unsigned token, const char* url, unsigned url_length,
                      const char* authorization, unsigned authorization_length,
                      const char* body, unsigned body_length, int gzipped, double timeout_ms,
                      double max_answer_bytes), {
  Module['rudderHost'].send(token, url, url_length, authorization, authorization_length,
                            HEAPU8.slice(body, body + body_length), gzipped !== 0, timeout_ms,
                            max_answer_bytes);
});
EM_JS(int, js_beacon, (const char* url, unsigned url_length, const char* body, unsigned body_length), {
  return Module['rudderHost'].beacon(url, url_length, body, body_length) ? 1 : 0;
});
EM_JS(int, js_has_error_handler, (), { return Module['rudderHost'].hasOnError() ? 1 : 0; });
EM_JS(void, js_report, (const char* error, unsigned error_length, const char* events,
                        unsigned events_length), {
  Module['rudderHost'].report(error, error_length, events, events_length);
});
EM_JS(void, js_settled, (unsigned ticket, const char* result, unsigned length), {
  Module['rudderHost'].settled(ticket, result, length);
});
EM_JS(void, js_log, (int level, const char* message, unsigned length), {
  Module['rudderHost'].log(level, message, length);
});

EM_JS(int, js_storage_create, (unsigned id, const char* header, unsigned length), {
  return Module['rudderHost'].storageCreate(id, HEAPU8.subarray(header, header + length)) ? 1 : 0;
});
EM_JS(void, js_storage_write, (unsigned id, double offset, const char* bytes, unsigned length), {
  Module['rudderHost'].storageWrite(id, offset, HEAPU8.subarray(bytes, bytes + length));
});
EM_JS(void, js_storage_remove, (unsigned id), { Module['rudderHost'].storageRemove(id); });
EM_JS(void, js_storage_close, (unsigned id), { Module['rudderHost'].storageClose(id); });
EM_JS(void, js_identity, (const char* json, unsigned length), {
  Module['rudderHost'].identity(json, length);
});

}  // namespace

namespace rudder::wasm::host {

bool storage_create(std::uint32_t id, std::string_view header) {
  return js_storage_create(id, header.data(), static_cast<unsigned>(header.size())) != 0;
}

void storage_write(std::uint32_t id, double offset, std::string_view bytes) {
  js_storage_write(id, offset, bytes.data(), static_cast<unsigned>(bytes.size()));
}

void storage_remove(std::uint32_t id) { js_storage_remove(id); }
void arm_timer(void* timer, double delay_ms, bool keep_alive) {
  js_arm_timer(timer, delay_ms, keep_alive ? 1 : 0);
}
void cancel_timer(void* timer) { js_cancel_timer(timer); }
void storage_close(std::uint32_t id) { js_storage_close(id); }

void identity(std::string_view json) { js_identity(json.data(), static_cast<unsigned>(json.size())); }

bool can_gzip() { return js_can_gzip() != 0; }

void gzip(std::uint32_t token, std::string_view bytes) {
  js_gzip(token, bytes.data(), static_cast<unsigned>(bytes.size()));
}

void send(std::uint32_t token, const HttpRequest& r) {
  js_send(token, r.url.data(), static_cast<unsigned>(r.url.size()), r.authorization.data(),
          static_cast<unsigned>(r.authorization.size()), r.body.data(),
          static_cast<unsigned>(r.body.size()), r.gzipped ? 1 : 0,
          static_cast<double>(r.timeout.count()), static_cast<double>(r.max_answer_bytes));
}

bool beacon(std::string_view url, std::string_view body) {
  return js_beacon(url.data(), static_cast<unsigned>(url.size()), body.data(),
                   static_cast<unsigned>(body.size())) != 0;
}

bool has_error_handler() { return js_has_error_handler() != 0; }

void report(std::string_view error_json, std::string_view events_json) {
  js_report(error_json.data(), static_cast<unsigned>(error_json.size()), events_json.data(),
            static_cast<unsigned>(events_json.size()));
}

void settled(std::uint32_t ticket, std::string_view result_json) {
  js_settled(ticket, result_json.data(), static_cast<unsigned>(result_json.size()));
}

void log(Level level, std::string_view message) {
  js_log(static_cast<int>(level), message.data(), static_cast<unsigned>(message.size()));
}

}  // namespace rudder::wasm::host
