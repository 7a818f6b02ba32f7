// rudder-analytics wasm platform: the calls into the package's JavaScript glue.
// Copyright the rudder-analytics authors. MIT licence.
#include "wasm/host.hpp"

// The module's imports from the "rudder" namespace, named as the glue's host object names
// its methods (js/src/index.mjs, #host()); js/src/module.mjs instantiates the module with that
// object and nothing of Emscripten's JavaScript. They are left undefined at link time
// (wasm/CMakeLists.txt), so a missing one is an instantiation error, which every npm test
// would meet. Strings and bytes cross as (pointer, length) into the module's memory; the glue
// copies or decodes them before it returns.
#define RUDDER_HOST_IMPORT(name) __attribute__((import_module("rudder"), import_name(#name)))

extern "C" {
RUDDER_HOST_IMPORT(canGzip) int js_can_gzip();
RUDDER_HOST_IMPORT(armTimer) void js_arm_timer(void* timer, double delay_ms, int keep_alive);
RUDDER_HOST_IMPORT(cancelTimer) void js_cancel_timer(void* timer);
RUDDER_HOST_IMPORT(gzip) void js_gzip(unsigned token, const char* data, unsigned length);
RUDDER_HOST_IMPORT(send)
void js_send(unsigned token, const char* url, unsigned url_length, const char* authorization,
             unsigned authorization_length, const char* body, unsigned body_length, int flags,
             double timeout_ms, double max_answer_bytes);
RUDDER_HOST_IMPORT(beacon)
int js_beacon(const char* url, unsigned url_length, const char* body, unsigned body_length);
RUDDER_HOST_IMPORT(hasOnError) int js_has_error_handler();
RUDDER_HOST_IMPORT(report)
void js_report(const char* error, unsigned error_length, const char* events, unsigned events_length);
RUDDER_HOST_IMPORT(settled) void js_settled(unsigned ticket, const char* result, unsigned length);
RUDDER_HOST_IMPORT(log) void js_log(int level, const char* message, unsigned length);
// The two storage calls that can fail return -1, or the length of the reason they wrote
// into (why, why_capacity) as UTF-8.
RUDDER_HOST_IMPORT(storageCreate)
int js_storage_create(unsigned id, const char* header, unsigned length, double capacity, char* why,
                      unsigned why_capacity);
RUDDER_HOST_IMPORT(storageWrite)
int js_storage_write(unsigned id, double offset, const char* bytes, unsigned length, char* why,
                     unsigned why_capacity);
RUDDER_HOST_IMPORT(storageRemove) void js_storage_remove(unsigned id);
RUDDER_HOST_IMPORT(storageClose) void js_storage_close(unsigned id);
RUDDER_HOST_IMPORT(storageSetAside) void js_storage_set_aside(unsigned id);
RUDDER_HOST_IMPORT(identity) void js_identity(const char* json, unsigned length);
}

namespace rudder::wasm::host {

namespace {

// A reason the host wrote into `room` (its length, or -1: none, it worked).
bool worked(int said, const char* room, std::string& why) {
  if (said < 0) return true;
  why.assign(room, static_cast<std::size_t>(said));
  return false;
}

char why_room[512];  // one thread

}  // namespace

bool storage_create(std::uint32_t id, std::string_view header, std::size_t capacity, std::string& why) {
  return worked(js_storage_create(id, header.data(), static_cast<unsigned>(header.size()),
                                  static_cast<double>(capacity), why_room, sizeof why_room),
                why_room, why);
}

bool storage_write(std::uint32_t id, double offset, std::string_view bytes, std::string& why) {
  return worked(js_storage_write(id, offset, bytes.data(), static_cast<unsigned>(bytes.size()), why_room,
                                 sizeof why_room),
                why_room, why);
}

void storage_remove(std::uint32_t id) { js_storage_remove(id); }
void arm_timer(void* timer, double delay_ms, bool keep_alive) {
  js_arm_timer(timer, delay_ms, keep_alive ? 1 : 0);
}
void cancel_timer(void* timer) { js_cancel_timer(timer); }
void storage_close(std::uint32_t id) { js_storage_close(id); }
void storage_set_aside(std::uint32_t id) { js_storage_set_aside(id); }

void identity(std::string_view json) { js_identity(json.data(), static_cast<unsigned>(json.size())); }

bool can_gzip() { return js_can_gzip() != 0; }

void gzip(std::uint32_t token, std::string_view bytes) {
  js_gzip(token, bytes.data(), static_cast<unsigned>(bytes.size()));
}

void send(std::uint32_t token, const HttpRequest& r) {
  js_send(token, r.url.data(), static_cast<unsigned>(r.url.size()), r.authorization.data(),
          static_cast<unsigned>(r.authorization.size()), r.body.data(),
          static_cast<unsigned>(r.body.size()), (r.gzipped ? 1 : 0) | (r.outlive_page ? 2 : 0),
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
