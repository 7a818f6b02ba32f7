/* The six calls through the C API (rudder/analytics.h), as a C program would make them.
 * Usage: c_example <data-plane-url> <write-key> */
#include <stdio.h>
#include <string.h>

#include "rudder/analytics.h"

static void on_error(void* user_data, const char* error_json, const char* events_json) {
  (void)user_data;
  fprintf(stderr, "not delivered: %s\nevents: %s\n", error_json, events_json);
}

/* Makes one call and says what became of it; returns 1 when accepted. */
static int report(const char* call, int status, char* detail) {
  if (status != RUDDER_ACCEPTED) fprintf(stderr, "%s refused (%d): %s\n", call, status, detail ? detail : "");
  rudder_free(detail);
  return status == RUDDER_ACCEPTED;
}

int main(int argc, char** argv) {
  char settings[1024];
  char* error = NULL;
  char* detail = NULL;
  char* result = NULL;
  rudder_client* analytics;
  int accepted = 0;
  int delivered;

  if (argc != 3) {
    fprintf(stderr, "usage: c_example <data-plane-url> <write-key>\n");
    return 2;
  }
  /* (A real program would build this JSON with its JSON library, escaping the values.) */
  snprintf(settings, sizeof settings, "{\"dataPlaneUrl\":\"%s\",\"writeKey\":\"%s\"}", argv[1], argv[2]);
  analytics = rudder_client_new(settings, on_error, NULL, NULL, &error);
  if (analytics == NULL) {
    fprintf(stderr, "could not start: %s\n", error);
    rudder_free(error);
    return 1;
  }
  printf("rudder-analytics %s\n", rudder_version());

  accepted += report("identify", rudder_identify(analytics,
      "{\"userId\":\"user-42\",\"traits\":{\"email\":\"ada@example.com\",\"name\":\"Ada Lovelace\"}}", &detail), detail);
  accepted += report("track", rudder_track(analytics,
      "{\"userId\":\"user-42\",\"event\":\"Article Read\",\"properties\":{\"title\":\"The Analytical Engine\",\"words\":1843}}",
      &detail), detail);
  accepted += report("page", rudder_page(analytics,
      "{\"userId\":\"user-42\",\"category\":\"Docs\",\"name\":\"Getting Started\",\"properties\":{\"url\":\"https://example.com/start\"}}",
      &detail), detail);
  accepted += report("screen", rudder_screen(analytics,
      "{\"userId\":\"user-42\",\"category\":\"Settings\",\"name\":\"Brightness\",\"properties\":{\"from\":\"Settings Screen\"}}",
      &detail), detail);
  accepted += report("group", rudder_group(analytics,
      "{\"userId\":\"user-42\",\"groupId\":\"company-7\",\"traits\":{\"name\":\"Engines Ltd\",\"employees\":12}}", &detail),
      detail);
  accepted += report("alias", rudder_alias(analytics, "{\"previousId\":\"anonymous-9\",\"userId\":\"user-42\"}", &detail),
                     detail);

  /* A call with a mistake is refused on the spot, naming the field; nothing is sent for it. */
  if (rudder_track(analytics, "{\"userId\":\"user-42\",\"event\":\"\"}", &detail) == RUDDER_INVALID) {
    printf("refused as expected: %s\n", detail);
  }
  rudder_free(detail);

  delivered = rudder_flush(analytics, 10000, &result);
  printf("%d calls accepted; flush: %s\n", accepted, result ? result : "(no result)");
  rudder_free(result);
  rudder_client_free(analytics);
  return delivered && accepted == 6 ? 0 : 1;
}
