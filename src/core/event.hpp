// rudder-analytics core: one built event as it waits in the queue, and the wire format of a
// batch request body.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/iso_time.hpp"
#include "core/json_out.hpp"

namespace rudder::core {

/// A validated event, serialized once on the caller's thread. `json_open` is the event's JSON
/// object without its closing brace: the per-event `sentAt` is only known when a request
/// leaves (and changes on each retry), so it is appended then, with the brace.
struct EncodedEvent {
  std::string json_open;         ///< `{"type":"track",...` with no trailing `}`
  std::int64_t enqueued_at = 0;  ///< platform's monotonic ms when queued (for upload_interval)

  /// Bytes this event adds to a request body, sentAt and closing brace included.
  std::size_t wire_size() const noexcept;
  /// The complete JSON object as it would be sent at `sent_at` (for on_error and debugging).
  std::string complete_json(std::int64_t sent_at_unix_ms) const;
};

/// `,"sentAt":"` + time + `"}`: appended to each event's json_open.
inline constexpr std::size_t kEventSuffixSize = 11 + kIsoTimeLength + 2;
/// `{"batch":[` + `],"sentAt":"` + time + `"}`: a body minus its events and commas.
inline constexpr std::size_t kBatchEnvelopeSize = 10 + 12 + kIsoTimeLength + 2;

/// The body's exact size for events whose wire sizes add up to `event_bytes`.
constexpr std::size_t batch_body_size(std::size_t event_count, std::size_t event_bytes) noexcept {
  return kBatchEnvelopeSize + event_bytes + (event_count > 0 ? event_count - 1 : 0);
}

/// Appends `,"sentAt":"<time>"}`: what closes an event's json_open on the wire.
void append_sent_at_suffix(std::string& out, std::int64_t sent_at_unix_ms);
/// The complete JSON object of the event whose json_open this is, as sent at `sent_at`.
std::string complete_event_json(std::string_view json_open, std::int64_t sent_at_unix_ms);

/// Writes `{"batch":[e1,e2,...],"sentAt":"T"}` one event at a time, with every event's sentAt
/// set to the same time; makes room for the exact size up front.
class BatchBodyWriter {
 public:
  BatchBodyWriter(std::size_t event_count, std::size_t event_bytes, std::int64_t sent_at_unix_ms);
  BatchBodyWriter(const BatchBodyWriter&) = delete;  // out_ writes into this body_
  BatchBodyWriter& operator=(const BatchBodyWriter&) = delete;
  void add(std::string_view json_open);
  std::string finish() &&;

 private:
  std::string body_;
  JsonOut out_;
  char iso_[kIsoTimeLength];
  bool first_ = true;
};

/// The body for `events` (anything with json_open and wire_size()), sentAt = `sent_at_unix_ms`.
template <class Events>
std::string build_batch_body(const Events& events, std::int64_t sent_at_unix_ms) {
  std::size_t event_bytes = 0;
  for (const auto& e : events) event_bytes += e.wire_size();
  BatchBodyWriter writer(events.size(), event_bytes, sent_at_unix_ms);
  for (const auto& e : events) writer.add(e.json_open);
  return std::move(writer).finish();
}

}  // namespace rudder::core
