// rudder-analytics core: one built event and the wire format of a batch request body.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/event.hpp"

namespace rudder::core {
void append_sent_at_suffix(std::string& out, std::int64_t sent_at_unix_ms) {
  char iso[kIsoTimeLength];
  format_iso_time(sent_at_unix_ms, iso);
  out.append(",\"sentAt\":\"");
  out.append(iso, kIsoTimeLength);
  out.append("\"}");
}

std::size_t EncodedEvent::wire_size() const noexcept { return json_open.size() + kEventSuffixSize; }

std::string complete_event_json(std::string_view json_open, std::int64_t sent_at_unix_ms) {
  std::string out;
  out.reserve(json_open.size() + kEventSuffixSize);
  out.append(json_open);
  append_sent_at_suffix(out, sent_at_unix_ms);
  return out;
}

std::string EncodedEvent::complete_json(std::int64_t sent_at_unix_ms) const {
  return complete_event_json(json_open, sent_at_unix_ms);
}

BatchBodyWriter::BatchBodyWriter(std::size_t event_count, std::size_t event_bytes,
                                 std::int64_t sent_at_unix_ms)
    : out_(body_, batch_body_size(event_count, event_bytes)) {
  format_iso_time(sent_at_unix_ms, iso_);
  out_.put("{\"batch\":[");
}

void BatchBodyWriter::add(std::string_view json_open) {
  if (!first_) out_.put(',');
  first_ = false;
  out_.put(json_open);
  out_.put(",\"sentAt\":\"");
  out_.put(std::string_view(iso_, kIsoTimeLength));
  out_.put("\"}");
}

std::string BatchBodyWriter::finish() && {
  out_.put("],\"sentAt\":\"");
  out_.put(std::string_view(iso_, kIsoTimeLength));
  out_.put("\"}");
  out_.finish();
  return std::move(body_);
}

}  // namespace rudder::core
