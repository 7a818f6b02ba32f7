// rudder-analytics core: counters, flush results and delivery errors as JSON text.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/stats_json.hpp"

#include <cstdint>

#include "core/text.hpp"

namespace rudder::core {
namespace {

void number(std::string& out, const char* name, std::uint64_t value) {
  out.append("\"").append(name).append("\":").append(std::to_string(value)).append(",");
}

// Replaces the trailing comma of the last member with `close`.
void close_object(std::string& out, char close) {
  if (out.back() == ',') {
    out.back() = close;
  } else {
    out.push_back(close);
  }
}

}  // namespace

const char* to_string(DeliveryError::Kind kind) noexcept {
  switch (kind) {
    case DeliveryError::Kind::http_status:
      return "http_status";
    case DeliveryError::Kind::network:
      return "network";
    case DeliveryError::Kind::unknown_outcome:
      return "unknown_outcome";
    case DeliveryError::Kind::unsent_at_shutdown:
      return "unsent_at_shutdown";
  }
  return "unknown_outcome";
}

std::string stats_json(const Stats& s) {
  std::string out = "{";
  number(out, "queued", s.queued);
  number(out, "delivered", s.delivered);
  number(out, "failed", s.failed);
  number(out, "unknown", s.unknown);
  number(out, "retried", s.retried);
  number(out, "pending", s.pending);
  number(out, "beaconed", s.beaconed);
  number(out, "stored", s.stored);
  number(out, "recovered", s.recovered);
  number(out, "corruptSkipped", s.corrupt_skipped);
  number(out, "kept", s.kept);
  number(out, "foreignSegments", s.foreign_segments);
  out.append("\"dropped\":{");
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    number(out, to_string(static_cast<DropReason>(i)), s.dropped[i]);
  }
  close_object(out, '}');
  out.push_back('}');
  return out;
}

std::string flush_result_json(const FlushResult& r) {
  std::string out = "{";
  number(out, "delivered", r.delivered);
  number(out, "failed", r.failed);
  number(out, "unknown", r.unknown);
  number(out, "unsent", r.unsent);
  number(out, "beaconed", r.beaconed);
  number(out, "pending", r.pending);
  number(out, "kept", r.kept);
  out.append("\"lastAttempt\":");
  append_json_string(out, r.last_attempt);
  out.push_back('}');
  return out;
}

std::string delivery_error_json(const DeliveryError& e) {
  std::string out = "{\"kind\":\"";
  out.append(to_string(e.kind)).append("\",\"status\":").append(std::to_string(e.status));
  out.append(",\"body\":");
  append_json_string(out, e.body);
  out.append(",\"message\":");
  append_json_string(out, e.message);
  out.append(",\"attempts\":").append(std::to_string(e.attempts));
  out.append(",\"lastAttempt\":");
  append_json_string(out, e.last_attempt);
  out.push_back('}');
  return out;
}

std::string json_array(const std::vector<std::string>& items) {
  std::size_t size = 2;
  for (const auto& item : items) size += item.size() + 1;
  std::string out;
  out.reserve(size);
  out.push_back('[');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(items[i]);
  }
  out.push_back(']');
  return out;
}

}  // namespace rudder::core
