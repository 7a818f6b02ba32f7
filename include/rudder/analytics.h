/* rudder-analytics: the C API, for C programs and for every language with a C FFI (Python's
 * ctypes, Go's cgo, Rust, Ruby, ...). C99, and a stable ABI: an opaque client, settings and
 * messages as JSON text, results as numbers and JSON text, plain function pointers. The same
 * core as the C++ API (rudder/analytics.hpp): batching, retries, storage and validation.
 * Copyright the rudder-analytics authors. MIT licence.
 *
 * Memory: every `char*` this API gives the caller (through a `char**` out-parameter or as a
 * return value) is the caller's, to release with rudder_free(). Strings the caller passes are
 * only read during the call. Out-parameters may be NULL when the caller does not want them.
 *
 * Threads: every function may be called from any thread, at once, except rudder_client_free(),
 * which must be the last call on a client. Callbacks run on the client's worker thread (the
 * calling thread with "syncMode"); they must not call rudder_flush(), rudder_shutdown() or
 * rudder_client_free() of the same client.
 *
 * Errors never abort the program: bad input returns RUDDER_INVALID with a message that starts
 * with the field ("properties.price: number is not finite"); a NULL client or message too. */
#ifndef RUDDER_ANALYTICS_H
#define RUDDER_ANALYTICS_H

#include <stdint.h>

#include "rudder/export.h"
#include "rudder/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a call did (rudder::Status). */
#define RUDDER_ACCEPTED 0   /* validated and queued; the detail is the messageId */
#define RUDDER_INVALID 1    /* refused; the detail starts with the field; nothing queued */
#define RUDDER_QUEUE_FULL 2 /* dropped: maxQueueBytes (or maxQueueSize) reached; counted */
#define RUDDER_SHUT_DOWN 3  /* dropped: rudder_shutdown() was called; counted */

/* Log levels given to rudder_log_fn. */
#define RUDDER_LOG_DEBUG 0
#define RUDDER_LOG_INFO 1
#define RUDDER_LOG_WARNING 2
#define RUDDER_LOG_ERROR 3

typedef struct rudder_client rudder_client;

/* Events given up on. `error_json`: {"kind":"http_status"|"network"|"unknown_outcome"|
 * "unsent_at_shutdown","status":401,"body":"...","message":"...","attempts":1,"lastAttempt":""}
 * (lastAttempt: for what shutdown's timeout cut short, what the last attempt got); `events_json`:
 * an array of the events as they were (or would have been) sent. Both are valid during the
 * call only. */
typedef void (*rudder_on_error_fn)(void* user_data, const char* error_json, const char* events_json);
/* One log line (never the write key). NULL: warnings and errors go to stderr. */
typedef void (*rudder_log_fn)(void* user_data, int level, const char* message);

/* The library's version, "MAJOR.MINOR.PATCH" (RUDDER_ANALYTICS_VERSION of the library that
 * runs, which may be newer than the header's). Static: do not free. */
RUDDER_API const char* rudder_version(void);

/* Starts a client. `settings_json`: an object with the JavaScript package's names, durations
 * in milliseconds: {"writeKey":"...","dataPlaneUrl":"https://..."} required; "uploadSize",
 * "uploadIntervalMs", "timeoutMs", "maxRetries", "maxQueueSize", "maxQueueBytes",
 * "maxStorageBytes", "maxMessageBytes", "maxBatchBytes", "gzip", "channel", "debug", "send",
 * "storageDir", "storageSyncIntervalMs", "proxy", "caFile", "caPath", "syncMode",
 * "shutdownTimeoutMs" optional (see the README). `on_error` and `log` may be NULL; both get
 * `user_data`. Returns NULL when a setting is wrong or the client cannot start, with
 * `*error` set to "settingName: problem" (free it). */
RUDDER_API rudder_client* rudder_client_new(const char* settings_json, rudder_on_error_fn on_error,
                                            rudder_log_fn log, void* user_data, char** error);

/* The six calls: `message_json` is the call's object with the payload's field names, e.g.
 * {"userId":"u1","event":"Order Completed","properties":{"revenue":9.5}} for track. Returns a
 * RUDDER_* status; `*detail` gets the messageId when accepted, otherwise the reason. */
RUDDER_API int rudder_identify(rudder_client* client, const char* message_json, char** detail);
RUDDER_API int rudder_track(rudder_client* client, const char* message_json, char** detail);
RUDDER_API int rudder_page(rudder_client* client, const char* message_json, char** detail);
RUDDER_API int rudder_screen(rudder_client* client, const char* message_json, char** detail);
RUDDER_API int rudder_group(rudder_client* client, const char* message_json, char** detail);
RUDDER_API int rudder_alias(rudder_client* client, const char* message_json, char** detail);
/* Any of the six, its "type" inside the message: {"type":"track","userId":"u1","event":"E"}. */
RUDDER_API int rudder_submit(rudder_client* client, const char* message_json, char** detail);

/* Sends what is queued now and waits, at most `timeout_ms`, until everything queued before
 * the call is delivered or given up on. Returns 1 when all of it was delivered, else 0.
 * `*result_json`: {"delivered":n,"failed":n,"unknown":n,"unsent":n,"beaconed":n,"pending":n,
 * "kept":n,"lastAttempt":"..."}; lastAttempt is what the last attempt got when any were left
 * undelivered and one failed since the last delivery (e.g. "HTTP 503"), else "". */
RUDDER_API int rudder_flush(rudder_client* client, int64_t timeout_ms, char** result_json);
/* Refuses later calls (RUDDER_SHUT_DOWN), delivers what is queued for at most `timeout_ms`,
 * then reports the rest through on_error (or, with "storageDir", keeps it for the next run).
 * Returns 1 when nothing was left or lost. Idempotent. */
RUDDER_API int rudder_shutdown(rudder_client* client, int64_t timeout_ms, char** result_json);
/* The counters as JSON: {"queued":n,"delivered":n,...,"dropped":{"invalid":n,...}}. */
RUDDER_API char* rudder_stats(const rudder_client* client);

/* Shuts the client down (for at most its "shutdownTimeoutMs", 10000 by default) and frees it.
 * NULL is ignored. */
RUDDER_API void rudder_client_free(rudder_client* client);
/* Releases a string this API returned. NULL is ignored. */
RUDDER_API void rudder_free(char* text);

#ifdef __cplusplus
}
#endif

#endif /* RUDDER_ANALYTICS_H */
