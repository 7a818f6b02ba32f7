// rudder-analytics core: one built event and the wire format of a batch request body.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/event.hpp"

namespace rudder::core {
namespace {

void append_sent_at_suffix(std::string& out, const char* iso) {
  out.append(",\"sentAt\":\"");
  out.append(iso, kIsoTimeLength);
  out.append("\"}");
}

}  // namespace

std::size_t EncodedEvent::wire_size() const noexcept { return json_open.size() + kEventSuffixSize; }

std::string EncodedEvent::complete_json(std::int64_t sent_at_unix_ms) const {
  char iso[kIsoTimeLength];
  format_iso_time(sent_at_unix_ms, iso);
  std::string out;
  out.reserve(wire_size());
  out.append(json_open);
  append_sent_at_suffix(out, iso);
  return out;
}

std::string build_batch_body(const std::vector<EncodedEvent>& events, std::int64_t sent_at_unix_ms) {
  char iso[kIsoTimeLength];
  format_iso_time(sent_at_unix_ms, iso);
  std::size_t event_bytes = 0;
  for (const auto& e : events) event_bytes += e.wire_size();
  std::string body;
  body.reserve(batch_body_size(events.size(), event_bytes));
  body.append("{\"batch\":[");
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > 0) body.push_back(',');
    body.append(events[i].json_open);
    append_sent_at_suffix(body, iso);
  }
  body.append("],\"sentAt\":\"");
  body.append(iso, kIsoTimeLength);
  body.append("\"}");
  return body;
}

}  // namespace rudder::core
