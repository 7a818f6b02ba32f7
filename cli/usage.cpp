// rudder-analytics CLI: the --help text.
// Copyright the rudder-analytics authors. MIT licence.
#include "usage.hpp"

#include <cstdio>

#include "options.hpp"

namespace rudder::cli {
namespace {

std::string seconds(std::chrono::milliseconds ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(ms.count()) / 1000.0);
  return text;
}

}  // namespace

std::string usage() {
  // Defaults are read from default settings so this text cannot drift from the code.
  const Options o;
  const Config& d = o.config;
  return std::string(
             "Usage:\n"
             "  rudder-analytics [settings] COMMAND [flags]    send one call\n"
             "  rudder-analytics [settings] --ndjson FILE      send one call per line (- for "
             "stdin)\n"
             "  rudder-analytics [settings] flush --storage-dir DIR\n"
             "                                                 deliver what DIR holds\n"
             "\n"
             "Sends to a RudderStack data plane, waits for delivery and prints one line:\n"
             "  delivered N, failed N, unknown N, dropped N, invalid N\n"
             "Exit status: 0 everything was delivered; 1 something was not delivered or an\n"
             "input was invalid (standard error says why); 2 the command line is wrong and\n"
             "nothing was sent.\n"
             "\n"
             "Commands:\n"
             "  identify  --user-id ID --traits JSON\n"
             "  track     --user-id ID --event NAME --properties JSON\n"
             "  page      --user-id ID --name NAME --category NAME --properties JSON\n"
             "  screen    --user-id ID --name NAME --category NAME --properties JSON\n"
             "  group     --user-id ID --group-id ID --traits JSON\n"
             "  alias     --previous-id ID --user-id ID\n"
             "Flags of every command:\n"
             "  --anonymous-id ID     required when there is no --user-id\n"
             "  --context JSON        merged into the event's context\n"
             "  --integrations JSON   destinations on or off, e.g. "
             "'{\"All\":false,\"Amplitude\":true}'\n"
             "  --timestamp TIME      when it happened: RFC 3339, or milliseconds since 1970\n"
             "  --message-id ID       for deduplication; default: a random UUID\n"
             "Ids are sent as given, as strings (--user-id 42 is \"42\"). JSON values are "
             "objects.\n"
             "\n"
             "NDJSON input: one call per line, with the payload's field names, e.g.\n"
             "  {\"type\":\"track\",\"userId\":\"42\",\"event\":\"Signed "
             "Up\",\"properties\":{\"plan\":\"pro\"}}\n"
             "Blank lines are skipped. A bad line is reported as \"line N: why\" and the others\n"
             "are still sent. A full queue makes reading wait; no line is dropped.\n"
             "\n"
             "Settings:\n"
             "  --write-key KEY            the source's write key (or $RUDDER_WRITE_KEY)\n"
             "  --data-plane-url URL       e.g. https://example.dataplane.rudderstack.com\n"
             "                             (or $RUDDER_DATA_PLANE_URL)\n"
             "  --timeout SECONDS          per request (default ") +
         seconds(d.timeout) +
         ")\n"
         "  --max-retries N            retries after the first attempt (default " +
         std::to_string(d.max_retries) +
         ")\n"
         "  --upload-size N            events per request at most (default " +
         std::to_string(d.upload_size) +
         ")\n"
         "  --upload-interval SECONDS  longest an event waits to be batched (default " +
         seconds(d.upload_interval) +
         ")\n"
         "  --max-queue-size N         events held in memory at most (default: no count bound,\n"
         "                             " +
         std::to_string(d.max_queue_bytes >> 20) +
         " MiB of events)\n"
         "  --flush-timeout SECONDS    how long to wait for delivery before exiting (default " +
         seconds(o.flush_timeout) +
         ")\n"
         "  --storage-dir DIR          write every accepted event to DIR before sending, so a\n"
         "                             killed run loses nothing; a later run with the same DIR\n"
         "                             (or `flush --storage-dir DIR`) sends what is left\n"
         "  --no-gzip                  send request bodies uncompressed\n"
         "  --debug                    log requests, statuses and retries to standard error\n"
         "  --help, -h                 this text\n"
         "  --version                  the version\n"
         "Seconds may be fractional (0.5). Flags win over the environment. A value that\n"
         "starts with -- must be written --flag=--value.\n";
}

}  // namespace rudder::cli
