/* A user's C program: links the library through the C API and builds one event without
 * sending it (C99, warnings as errors). */
#include <stdio.h>
#include <string.h>

#include "rudder/analytics.h"

int main(void) {
  char* error = NULL;
  char* detail = NULL;
  int status;
  rudder_client* client = rudder_client_new(
      "{\"writeKey\":\"key\",\"dataPlaneUrl\":\"http://127.0.0.1:9\",\"send\":false}", NULL, NULL, NULL, &error);
  if (client == NULL) {
    fprintf(stderr, "rudder_client_new: %s\n", error ? error : "(no message)");
    rudder_free(error);
    return 1;
  }
  status = rudder_track(client, "{\"userId\":\"user-1\",\"event\":\"Installed\",\"properties\":{\"ok\":true}}", &detail);
  printf("rudder-analytics %s (C): %s %s\n", rudder_version(), status == RUDDER_ACCEPTED ? "built" : "refused",
         detail ? detail : "");
  rudder_free(detail);
  rudder_client_free(client);
  return status == RUDDER_ACCEPTED && strcmp(rudder_version(), RUDDER_ANALYTICS_VERSION) == 0 ? 0 : 1;
}
