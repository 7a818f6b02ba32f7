// rudder-analytics CLI: the --help text.
// Copyright the rudder-analytics authors. MIT licence.
#include "usage.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

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
             "(failed: refused by the data plane, or never reached it; unknown: sent without an\n"
             "answer, so it may have stored them; dropped: not sent before the flush timeout ran\n"
             "out; invalid: input refused before sending)\n"
             "Exit status: 0 everything was delivered; 1 something was not delivered or an\n"
             "NDJSON line was invalid (standard error says why); 2 the command line is wrong\n"
             "(a flag, or the call it makes) and nothing was sent; 130 / 143 interrupted by\n"
             "SIGINT / SIGTERM, after a last flush of at most 5 s and the summary line.\n"
             "\n"
             "Commands (rudder-analytics COMMAND --help for one's flags):\n"
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
         "  --dry-run                  validate and build the events, print them (one JSON\n"
         "                             line each, as they would be sent), send nothing\n"
         "  --proxy URL                send through this HTTP(S) proxy (default: libcurl's\n"
         "                             http_proxy / https_proxy / no_proxy variables)\n"
         "  --ca-file FILE             trust the CA certificates in FILE (PEM) instead of the\n"
         "                             system's (default: $SSL_CERT_FILE if set)\n"
         "  --ca-path DIR              trust the CA certificates in DIR (default: $SSL_CERT_DIR)\n"
         "  --no-gzip                  send request bodies uncompressed\n"
         "  --debug                    log requests, statuses and retries to standard error\n"
         "  --help, -h                 this text\n"
         "  --version                  the version\n"
         "Seconds may be fractional (0.5). Flags win over the environment. A value that\n"
         "starts with -- must be written --flag=--value.\n";
}

std::string command_usage(std::string_view command) {
  const std::vector<CommandFlag> flags = command_flags(command);
  std::size_t width = 0;
  for (const CommandFlag& f : flags) width = std::max(width, f.flag.size() + 1 + f.value.size());
  std::string text = "Usage: rudder-analytics [settings] " + std::string(command) + " [flags]\n\nFlags:\n";
  for (const CommandFlag& f : flags) {
    std::string left = std::string(f.flag) + " " + std::string(f.value);
    left.resize(width, ' ');
    text += "  " + left + "  " + std::string(f.help) + "\n";
  }
  text += "\nIds are sent as given, as strings; JSON values are objects. The settings (write key,\n"
          "data plane, --dry-run, --storage-dir...) are in rudder-analytics --help.\n";
  return text;
}

}  // namespace rudder::cli
