// rudder-analytics core: reads a call given as one JSON object (CLI NDJSON, JavaScript API).
// Copyright the rudder-analytics authors. MIT licence.
#include <cmath>
#include <string_view>

#include "core/iso_time.hpp"
#include "core/message.hpp"

namespace rudder::core {
namespace {

using json = nlohmann::json;
using Kind = FieldError::Kind;

FieldError error(Kind kind, std::string_view field, std::string problem) {
  return FieldError{kind, std::string(field), std::move(problem)};
}

// Which fields beyond the common ones each type takes.
bool belongs_to(MessageType type, std::string_view key) {
  switch (type) {
    case MessageType::identify: return key == "traits";
    case MessageType::track: return key == "event" || key == "properties";
    case MessageType::page:
    case MessageType::screen: return key == "name" || key == "category" || key == "properties";
    case MessageType::group: return key == "groupId" || key == "traits";
    case MessageType::alias: return key == "previousId";
  }
  return false;
}

std::optional<FieldError> read_text(const json& value, std::string_view key, std::string_view& out) {
  if (value.is_null()) return std::nullopt;
  if (!value.is_string()) {
    return error(Kind::wrong_type, key, std::string("must be a string, not ") + value.type_name());
  }
  out = value.get_ref<const std::string&>();
  return std::nullopt;
}

// Ids are strings on the wire; integers are accepted and written as their decimal text, the
// way the data plane's other SDKs stringify numeric ids.
std::optional<FieldError> read_id(const json& value, std::string_view key, std::string_view& out,
                                  std::string& storage) {
  if (value.is_number_integer()) {
    storage = value.dump();
    out = storage;
    return std::nullopt;
  }
  if (value.is_null() || value.is_string()) return read_text(value, key, out);
  return error(Kind::wrong_type, key,
               std::string("must be a string or an integer, not ") + value.type_name());
}

std::optional<FieldError> read_timestamp(const json& value, std::optional<std::int64_t>& out) {
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) {
    out = parse_iso_time(value.get_ref<const std::string&>());
    if (!out) {
      return error(Kind::invalid_value, "timestamp",
                   "is not an RFC 3339 time such as 2024-01-31T12:00:00.000Z");
    }
    return std::nullopt;
  }
  if (value.is_number()) {
    const double ms = value.get<double>();
    if (!std::isfinite(ms) || std::fabs(ms) > 1e15) {
      return error(Kind::out_of_range, "timestamp", "is not a usable number of milliseconds");
    }
    out = static_cast<std::int64_t>(std::floor(ms));
    return std::nullopt;
  }
  return error(Kind::wrong_type, "timestamp",
               std::string("must be an RFC 3339 string or milliseconds since 1970, not ") +
                   value.type_name());
}

}  // namespace

std::optional<FieldError> parse_call_of_type(MessageType type, const json& input, ParsedCall& out) {
  if (!input.is_object()) {
    return error(Kind::wrong_type, "message",
                 std::string("must be a JSON object, not ") + input.type_name());
  }
  MessageFields& f = out.fields;
  f = MessageFields{};
  f.type = type;
  for (const auto& [key, value] : input.items()) {
    std::optional<FieldError> e;
    if (key == "type") {
      if (!value.is_string() || parse_type(value.get_ref<const std::string&>()) != type) {
        e = error(Kind::invalid_value, key, std::string("must be \"") + type_name(type) + "\"");
      }
    } else if (key == "userId") {
      e = read_id(value, key, f.user_id, out.number_ids[0]);
    } else if (key == "anonymousId") {
      e = read_id(value, key, f.anonymous_id, out.number_ids[1]);
    } else if (key == "messageId") {
      e = read_text(value, key, f.message_id);
    } else if (key == "context") {
      f.context = &value;
    } else if (key == "integrations") {
      f.integrations = &value;
    } else if (key == "timestamp") {
      e = read_timestamp(value, f.timestamp_unix_ms);
    } else if (!belongs_to(type, key)) {
      e = error(Kind::invalid_value, key, std::string("is not a field of ") + type_name(type));
    } else if (key == "event") {
      e = read_text(value, key, f.event);
    } else if (key == "name") {
      e = read_text(value, key, f.name);
    } else if (key == "category") {
      e = read_text(value, key, f.category);
    } else if (key == "groupId") {
      e = read_id(value, key, f.group_id, out.number_ids[2]);
    } else if (key == "previousId") {
      e = read_id(value, key, f.previous_id, out.number_ids[3]);
    } else if (key == "properties") {
      f.properties = &value;
    } else if (key == "traits") {
      f.traits = &value;
    }
    if (e) return e;
  }
  return std::nullopt;
}

std::optional<FieldError> parse_call(const json& input, ParsedCall& out) {
  if (!input.is_object()) {
    return error(Kind::wrong_type, "message",
                 std::string("must be a JSON object, not ") + input.type_name());
  }
  const auto type_field = input.find("type");
  if (type_field == input.end() || type_field->is_null()) {
    return error(Kind::missing, "type", "is required (identify, track, page, screen, group, alias)");
  }
  if (!type_field->is_string()) {
    return error(Kind::wrong_type, "type",
                 std::string("must be a string, not ") + type_field->type_name());
  }
  const auto type = parse_type(type_field->get_ref<const std::string&>());
  if (!type) {
    return error(Kind::invalid_value, "type",
                 "\"" + type_field->get<std::string>() +
                     "\" is not one of identify, track, page, screen, group, alias");
  }
  return parse_call_of_type(*type, input, out);
}

}  // namespace rudder::core
