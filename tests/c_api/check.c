/* rudder-analytics tests: a C99 program using the C API (rudder/analytics.h) as a C user
 * would, against the data plane whose URL is argv[1]. Exits 0 when every check held, else 1
 * with what failed on stderr. tests/integration/c_api_test.cpp runs it and checks what
 * arrived. Built with -std=c99 -Wall -Wextra -Wpedantic -Werror. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rudder/analytics.h"

static int failures = 0;

#define CHECK(condition, ...)                                  \
  do {                                                         \
    if (!(condition)) {                                        \
      fprintf(stderr, "check.c:%d: %s: ", __LINE__, #condition); \
      fprintf(stderr, __VA_ARGS__);                            \
      fprintf(stderr, "\n");                                   \
      failures++;                                              \
    }                                                          \
  } while (0)

struct reports {
  int errors;
  int events_seen;
  char last_error[512];
  int warnings;
};

static void on_error(void* user_data, const char* error_json, const char* events_json) {
  struct reports* r = (struct reports*)user_data;
  r->errors++;
  strncpy(r->last_error, error_json, sizeof r->last_error - 1);
  if (strstr(events_json, "\"event\":\"Refused\"") != NULL) r->events_seen++;
}

static void on_log(void* user_data, int level, const char* message) {
  struct reports* r = (struct reports*)user_data;
  if (level >= RUDDER_LOG_WARNING) r->warnings++;
  (void)message;
}

/* Checks a call's status and detail, and frees the detail. (The detail is read here, after
 * the call ran: as an argument beside the call, C leaves the order of the two open.) */
static void expect(int status, int expected, char** detail_out, const char* what, const char* detail_expected) {
  char* detail = *detail_out;
  *detail_out = NULL;
  CHECK(status == expected, "%s: status %d, expected %d (%s)", what, status, expected, detail ? detail : "(null)");
  if (detail_expected != NULL) {
    CHECK(detail != NULL && strcmp(detail, detail_expected) == 0, "%s: detail '%s', expected '%s'", what,
          detail ? detail : "(null)", detail_expected);
  } else if (expected == RUDDER_ACCEPTED) {
    CHECK(detail != NULL && strlen(detail) == 36, "%s: messageId '%s' is not a UUID", what, detail ? detail : "(null)");
  }
  rudder_free(detail);
}

/* Tracks one event with a client the data plane refuses (wrong write key, no retries) and
 * flushes; the failure goes to `handler` if given, to on_log otherwise. 0 if the client did
 * not start. */
static int track_refused(const char* settings, rudder_on_error_fn handler, struct reports* reports) {
  char* error = NULL;
  char* detail = NULL;
  rudder_client* client = rudder_client_new(settings, handler, on_log, reports, &error);
  CHECK(client != NULL, "client: %s", error ? error : "(null)");
  rudder_free(error);
  if (client == NULL) return 0;
  expect(rudder_track(client, "{\"userId\":\"c-user\",\"event\":\"Refused\"}", &detail), RUDDER_ACCEPTED, &detail, "track", NULL);
  CHECK(rudder_flush(client, 10000, NULL) == 0, "a flush that delivered nothing is not a success");
  rudder_client_free(client);
  return 1;
}

int main(int argc, char** argv) {
  char settings[512];
  char* detail = NULL;
  char* error = NULL;
  char* result = NULL;
  struct reports reports = {0, 0, "", 0};
  rudder_client* client;

  if (argc != 2) {
    fprintf(stderr, "usage: %s DATA_PLANE_URL\n", argv[0]);
    return 2;
  }
  CHECK(strcmp(rudder_version(), RUDDER_ANALYTICS_VERSION) == 0, "version %s", rudder_version());

  /* Bad settings: NULL, naming the setting. */
  client = rudder_client_new("{\"writeKey\":\"k\",\"dataPlaneUrl\":\"http://x\",\"uploadSize\":0}", NULL, NULL, NULL, &error);
  CHECK(client == NULL && error != NULL && strncmp(error, "uploadSize: ", 12) == 0, "error '%s'", error ? error : "(null)");
  rudder_free(error);
  client = rudder_client_new("{\"writeKey\":\"k\",\"dataPlaneUrl\":\"http://x\",\"uploadSize\":10,\"batchSize\":5}", NULL, NULL, NULL, &error);
  CHECK(client == NULL && error != NULL && strcmp(error, "batchSize: is not a setting (check its spelling)") == 0,
        "error '%s'", error ? error : "(null)");
  rudder_free(error);
  client = rudder_client_new("{\"writeKey\":\"k\",\"dataPlaneUrl\":\"http://x\",\"caFile\":\"/nonexistent/ca.pem\"}", NULL, NULL, NULL, &error);
  CHECK(client == NULL && error != NULL && strncmp(error, "caFile: cannot read /nonexistent/ca.pem", 39) == 0,
        "error '%s'", error ? error : "(null)");
  rudder_free(error);
  CHECK(rudder_client_new(NULL, NULL, NULL, NULL, NULL) == NULL, "NULL settings");
  /* The C++ spelling of a setting is named with this API's. */
  client = rudder_client_new("{\"write_key\":\"k\",\"dataPlaneUrl\":\"http://x\"}", NULL, NULL, NULL, &error);
  CHECK(client == NULL && error != NULL && strcmp(error, "write_key: is not a setting (here it is spelled writeKey)") == 0,
        "error '%s'", error ? error : "(null)");
  rudder_free(error);
  /* Settings cut short are not valid JSON; an array is JSON but no object. */
  client = rudder_client_new("{\"writeKey\":\"k\"", NULL, NULL, NULL, &error);
  CHECK(client == NULL && error != NULL && strcmp(error, "settings: is not valid JSON") == 0,
        "error '%s'", error ? error : "(null)");
  rudder_free(error);
  client = rudder_client_new("[1]", NULL, NULL, NULL, &error);
  CHECK(client == NULL && error != NULL && strcmp(error, "settings: must be an object, not array") == 0,
        "error '%s'", error ? error : "(null)");
  rudder_free(error);

  snprintf(settings, sizeof settings, "{\"writeKey\":\"test-write-key\",\"dataPlaneUrl\":\"%s\",\"uploadIntervalMs\":50}", argv[1]);
  client = rudder_client_new(settings, on_error, on_log, &reports, &error);
  CHECK(client != NULL, "client: %s", error ? error : "(null)");
  if (client == NULL) return 1;

  expect(rudder_identify(client, "{\"userId\":\"c-user\",\"traits\":{\"plan\":\"pro\"}}", &detail), RUDDER_ACCEPTED, &detail, "identify", NULL);
  expect(rudder_track(client, "{\"userId\":\"c-user\",\"event\":\"From C\",\"properties\":{\"n\":1}}", &detail), RUDDER_ACCEPTED, &detail, "track", NULL);
  expect(rudder_page(client, "{\"userId\":\"c-user\",\"name\":\"Home\",\"category\":\"Docs\"}", &detail), RUDDER_ACCEPTED, &detail, "page", NULL);
  expect(rudder_screen(client, "{\"userId\":\"c-user\",\"name\":\"Main\"}", &detail), RUDDER_ACCEPTED, &detail, "screen", NULL);
  expect(rudder_group(client, "{\"userId\":\"c-user\",\"groupId\":\"g-1\",\"traits\":{\"seats\":3}}", &detail), RUDDER_ACCEPTED, &detail, "group", NULL);
  expect(rudder_alias(client, "{\"previousId\":\"anon-c\",\"userId\":\"c-user\",\"messageId\":\"c-alias-1\"}", &detail), RUDDER_ACCEPTED, &detail, "alias", "c-alias-1");
  expect(rudder_submit(client, "{\"type\":\"track\",\"userId\":\"c-user\",\"event\":\"Submitted\"}", &detail), RUDDER_ACCEPTED, &detail, "submit", NULL);
  /* What is refused names the field; nothing is queued. */
  expect(rudder_track(client, "{\"userId\":\"c-user\"}", &detail), RUDDER_INVALID, &detail, "track without event", "event: is required");
  expect(rudder_track(client, "{\"userId\":\"c-user\",\"event\":\"E\",\"type\":\"page\"}", &detail), RUDDER_INVALID, &detail,
         "track named page", "type: must be \"track\"");
  expect(rudder_submit(client, "{\"userId\":\"c-user\"}", &detail), RUDDER_INVALID, &detail, "submit without type",
         "type: is required (identify, track, page, screen, group, alias)");
  expect(rudder_track(client, "{\"userId\":", &detail), RUDDER_INVALID, &detail, "broken JSON", "message: is not valid JSON");
  expect(rudder_track(client, NULL, &detail), RUDDER_INVALID, &detail, "NULL message", "message: is NULL");
  expect(rudder_track(NULL, "{}", &detail), RUDDER_INVALID, &detail, "NULL client", "client: is NULL");
  CHECK(rudder_track(client, "{\"userId\":\"c-user\",\"event\":\"No detail wanted\"}", NULL) == RUDDER_ACCEPTED, "NULL detail");

  CHECK(rudder_flush(client, 10000, &result) == 1, "flush: %s", result ? result : "(null)");
  CHECK(result != NULL && strstr(result, "\"delivered\":8") != NULL, "flush result %s", result ? result : "(null)");
  rudder_free(result);
  result = rudder_stats(client);
  CHECK(result != NULL && strstr(result, "\"delivered\":8") != NULL && strstr(result, "\"invalid\":5") != NULL,
        "stats %s", result ? result : "(null)");
  rudder_free(result);

  CHECK(rudder_shutdown(client, 5000, NULL) == 1, "shutdown");
  reports.warnings = 0;
  expect(rudder_track(client, "{\"userId\":\"c-user\",\"event\":\"Late\"}", &detail), RUDDER_SHUT_DOWN, &detail, "after shutdown",
         "client: is shut down (shutdown() was called)");
  expect(rudder_track(client, "{\"userId\":\"c-user\",\"event\":\"Later\"}", &detail), RUDDER_SHUT_DOWN, &detail, "after shutdown",
         "client: is shut down (shutdown() was called)");
  CHECK(reports.warnings == 1, "a call after shutdown is said once in the log: %d warnings", reports.warnings);
  reports.warnings = 0;
  rudder_client_free(client);
  rudder_client_free(NULL);

  /* A final answer reaches on_error with the events. */
  snprintf(settings, sizeof settings, "{\"writeKey\":\"wrong-key\",\"dataPlaneUrl\":\"%s\",\"maxRetries\":0}", argv[1]);
  if (!track_refused(settings, on_error, &reports)) return 1;
  CHECK(reports.errors == 1 && reports.events_seen == 1, "on_error: %d reports, %d events", reports.errors, reports.events_seen);
  CHECK(strstr(reports.last_error, "\"kind\":\"http_status\",\"status\":401") != NULL, "error %s", reports.last_error);
  CHECK(reports.warnings == 0, "on_error owns the failure: not also logged (%d log lines)", reports.warnings);

  /* Without on_error the failure goes to the log callback. */
  if (!track_refused(settings, NULL, &reports)) return 1;
  CHECK(reports.errors == 1, "on_error was not given, so not called: %d reports", reports.errors);
  CHECK(reports.warnings >= 1, "the failure is logged through the log callback");

  if (failures == 0) printf("c api: all checks held\n");
  return failures == 0 ? 0 : 1;
}
