// rudder-analytics core: reads a call given as one JSON object (CLI NDJSON, JavaScript API).
// Copyright the rudder-analytics authors. MIT licence.
#include <charconv>
#include <cmath>
#include <string_view>

#include "core/iso_time.hpp"
#include "core/json_text.hpp"
#include "core/message.hpp"
#include "core/per_thread.hpp"

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

// The two forms a call's fields come in, behind the same few questions, so that the rules
// below are written once: a tree (TreeValue) or JSON text (TextValue).
struct TreeValue {
  const json& v;
  bool is_null() const { return v.is_null(); }
  const char* type_name() const { return v.type_name(); }
  bool is_string() const { return v.is_string(); }
  bool is_number() const { return v.is_number(); }
  // The string's text; `storage` holds it when it has to be decoded (not for a tree).
  std::string_view string(std::string&) const { return v.get_ref<const std::string&>(); }
  bool integer_text(std::string& out) const {
    if (!v.is_number_integer()) return false;
    out = v.dump();
    return true;
  }
  std::optional<double> number() const { return v.get<double>(); }
  CallerJson caller_json() const { return &v; }
};

struct TextValue {
  std::string_view v;
  JsonKind kind = json_text_kind(v);
  bool is_null() const { return kind == JsonKind::null; }
  const char* type_name() const { return json_kind_name(kind); }
  bool is_string() const { return kind == JsonKind::string; }
  bool is_number() const { return kind == JsonKind::number; }
  std::string_view string(std::string& storage) const {
    // A string that does not decode (malformed: the outline let it by) becomes bytes that fail
    // the UTF-8 check every string field goes through, so it is refused with the usual message.
    if (!decode_json_string(v, storage)) storage.assign(1, static_cast<char>(0xFF));
    return storage;
  }
  // The integers a tree holds: an int64's, and a uint64's above them (nlohmann reads
  // 18446744073709551615 as an unsigned integer, so the tree form takes it as an id).
  bool integer_text(std::string& out) const {
    if (const auto n = json_text_integer(v)) {
      out = std::to_string(*n);
      return true;
    }
    unsigned long long u = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), u);
    if (ec != std::errc() || end != v.data() + v.size()) return false;
    out = std::to_string(u);
    return true;
  }
  std::optional<double> number() const { return json_text_number(v); }
  CallerJson caller_json() const { return CallerJson::of_text(v); }
};

template <class Value>
std::optional<FieldError> read_text(const Value& value, std::string_view key, std::string_view& out,
                                    std::string& storage) {
  if (value.is_null()) return std::nullopt;
  if (!value.is_string()) {
    return error(Kind::wrong_type, key, std::string("must be a string, not ") + value.type_name());
  }
  out = value.string(storage);
  return std::nullopt;
}

// True for an integer's decimal text (an optional '-', digits) past 2^53 - 1 either way: a
// JavaScript number cannot hold it exactly.
bool past_exact_doubles(std::string_view integer) {
  if (!integer.empty() && integer.front() == '-') integer.remove_prefix(1);
  constexpr std::string_view kMaxSafe = "9007199254740991";
  return integer.size() > kMaxSafe.size() || (integer.size() == kMaxSafe.size() && integer > kMaxSafe);
}

// Ids are strings on the wire; integers are accepted and written as their decimal text, the
// way the data plane's other SDKs stringify numeric ids. The first id past 2^53 - 1 is noted
// in `call` (ParsedCall::imprecise_id).
template <class Value>
std::optional<FieldError> read_id(const Value& value, std::string_view key, std::string_view& out,
                                  std::string& storage, ParsedCall& call) {
  if (value.integer_text(storage)) {
    out = storage;
    if (call.imprecise_id.empty() && past_exact_doubles(storage)) call.imprecise_id = key;
    return std::nullopt;
  }
  if (value.is_null() || value.is_string()) return read_text(value, key, out, storage);
  // A number that is no integer of 64 bits (1.5, 1e3, or 20 digits and more) would not come
  // back as the same text: only a string keeps such an id exactly.
  if (value.is_number()) {
    return error(Kind::wrong_type, key, "must be a string or an integer of at most 64 bits, not another number (give it as a string)");
  }
  return error(Kind::wrong_type, key,
               std::string("must be a string or an integer, not ") + value.type_name());
}

template <class Value>
std::optional<FieldError> read_timestamp(const Value& value, std::optional<std::int64_t>& out,
                                         std::string& storage) {
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) {
    out = parse_iso_time(value.string(storage));
    if (!out) {
      return error(Kind::invalid_value, "timestamp",
                   "is not an RFC 3339 time such as 2024-01-31T12:00:00.000Z");
    }
    return std::nullopt;
  }
  if (value.is_number()) {
    // The range is checked on the double, before the cast that could not hold a larger one;
    // a fraction of a millisecond is dropped toward the past, so the ends stay exact.
    const std::optional<double> ms = value.number();
    if (!ms || !(*ms >= static_cast<double>(kMinIsoTimeMs) &&
                 *ms < static_cast<double>(kMaxIsoTimeMs) + 1)) {
      return error(Kind::out_of_range, "timestamp", kIsoTimeRangeProblem);
    }
    // Seconds since 1970 (Python's time.time(), Unix's date +%s) read as milliseconds land in
    // January 1970: 1,700,000,000 s is 2023 but 1,700,000,000 ms is 1970-01-20. No tracked
    // event happened within three years of 1970, so such a number is refused, naming the fix.
    if (std::fabs(*ms) < kSecondsMistakenForMilliseconds) {
      return error(Kind::invalid_value, "timestamp",
                   "is milliseconds since 1970 and this is within 3 years of 1970: seconds must be multiplied "
                   "by 1000 (a time that early goes as an RFC 3339 string)");
    }
    out = static_cast<std::int64_t>(std::floor(*ms));
    return std::nullopt;
  }
  return error(Kind::wrong_type, "timestamp",
               std::string("must be an RFC 3339 string or milliseconds since 1970, not ") +
                   value.type_name());
}

// One member of the call object, whichever form it came in.
template <class Value>
std::optional<FieldError> read_member(MessageType type, std::string_view key, const Value& value,
                                      ParsedCall& out) {
  MessageFields& f = out.fields;
  std::string* s = out.storage;
  if (key == "type") {
    std::string name;
    if (!value.is_string() || parse_type(value.string(name)) != type) {
      return error(Kind::invalid_value, key, std::string("must be \"") + type_name(type) + "\"");
    }
  } else if (key == "userId") {
    return read_id(value, key, f.user_id, s[0], out);
  } else if (key == "anonymousId") {
    return read_id(value, key, f.anonymous_id, s[1], out);
  } else if (key == "messageId") {
    return read_text(value, key, f.message_id, s[4]);
  } else if (key == "context") {
    f.context = value.caller_json();
  } else if (key == "integrations") {
    f.integrations = value.caller_json();
  } else if (key == "timestamp") {
    return read_timestamp(value, f.timestamp_unix_ms, s[5]);
  } else if (!belongs_to(type, key)) {
    return error(Kind::invalid_value, key, std::string("is not a field of ") + type_name(type));
  } else if (key == "event" || key == "name") {
    return read_text(value, key, key == "event" ? f.event : f.name, s[6]);
  } else if (key == "category") {
    return read_text(value, key, f.category, s[7]);
  } else if (key == "groupId") {
    return read_id(value, key, f.group_id, s[2], out);
  } else if (key == "previousId") {
    return read_id(value, key, f.previous_id, s[3], out);
  } else if (key == "properties") {
    f.properties = value.caller_json();
  } else if (key == "traits") {
    f.traits = value.caller_json();
  }
  return std::nullopt;
}

}  // namespace

std::optional<FieldError> parse_call_of_type(MessageType type, const json& input, ParsedCall& out) {
  if (!input.is_object()) {
    return error(Kind::wrong_type, "message",
                 std::string("must be a JSON object, not ") + input.type_name());
  }
  out.fields = MessageFields{};
  out.fields.type = type;
  for (const auto& [key, value] : input.items()) {
    if (auto e = read_member(type, key, TreeValue{value}, out)) return e;
  }
  return std::nullopt;
}

namespace {

std::optional<FieldError> text_members(std::string_view text, std::vector<JsonTextMember>& members) {
  if (json_text_members(text, members)) return std::nullopt;
  const JsonKind kind = json_value_kind(text);
  return kind == JsonKind::object || kind == JsonKind::invalid
             ? error(Kind::invalid_value, "message", "is not valid JSON")
             : error(Kind::wrong_type, "message",
                     std::string("must be a JSON object, not ") + json_kind_name(kind));
}

std::optional<FieldError> read_text_members(MessageType type, const std::vector<JsonTextMember>& members,
                                            ParsedCall& out) {
  out.fields = MessageFields{};
  out.fields.type = type;
  for (const auto& member : members) {
    if (auto e = read_member(type, member.key, TextValue{member.value}, out)) return e;
  }
  return std::nullopt;
}

// What is wrong with a call's "type" (parse_call's and the typed text path's wording); none
// when `name` is one of the six, which `type` then holds.
std::optional<FieldError> check_type(bool present, const char* kind_name, const std::string* name,
                                     MessageType& type) {
  if (!present) {
    return error(Kind::missing, "type", "is required (identify, track, page, screen, group, alias)");
  }
  if (name == nullptr) return error(Kind::wrong_type, "type", std::string("must be a string, not ") + kind_name);
  const auto parsed = parse_type(*name);
  if (!parsed) {
    return error(Kind::invalid_value, "type",
                 "\"" + *name + "\" is not one of identify, track, page, screen, group, alias");
  }
  type = *parsed;
  return std::nullopt;
}

// A call's members, in a vector kept between calls on a thread for its capacity (growing a new
// one took three allocations a call). Taken out while in use, so that a call nested in another
// on the same thread gets a vector of its own.
class MemberList {
 public:
  MemberList() : items_(std::move(spare())) { items_.clear(); }
  ~MemberList() {
    items_.clear();
    spare() = std::move(items_);
  }
  MemberList(const MemberList&) = delete;
  MemberList& operator=(const MemberList&) = delete;
  std::vector<JsonTextMember>& items() { return items_; }

 private:
  static std::vector<JsonTextMember>& spare() {
    RUDDER_PER_THREAD std::vector<JsonTextMember> kept;
    return kept;
  }
  std::vector<JsonTextMember> items_;
};

}  // namespace

std::optional<FieldError> parse_call_text(MessageType type, std::string_view text, ParsedCall& out) {
  MemberList list;
  std::vector<JsonTextMember>& members = list.items();
  if (auto e = text_members(text, members)) return e;
  return read_text_members(type, members, out);
}

std::optional<FieldError> parse_call_text(std::string_view text, ParsedCall& out) {
  MemberList list;
  std::vector<JsonTextMember>& members = list.items();
  if (auto e = text_members(text, members)) return e;
  const JsonTextMember* type_member = nullptr;
  for (const auto& member : members) {
    if (member.key == "type") type_member = &member;
  }
  const TextValue value{type_member != nullptr ? type_member->value : std::string_view("null")};
  std::string name;
  if (value.is_string()) value.string(name);
  MessageType type = MessageType::track;
  if (auto e = check_type(!value.is_null(), value.type_name(), value.is_string() ? &name : nullptr, type)) {
    return e;
  }
  return read_text_members(type, members, out);
}

std::optional<FieldError> parse_call(const json& input, ParsedCall& out) {
  if (!input.is_object()) {
    return error(Kind::wrong_type, "message",
                 std::string("must be a JSON object, not ") + input.type_name());
  }
  const auto type_field = input.find("type");
  const bool present = type_field != input.end() && !type_field->is_null();
  MessageType type = MessageType::track;
  if (auto e = check_type(present, present ? type_field->type_name() : "null",
                          present && type_field->is_string() ? &type_field->get_ref<const std::string&>() : nullptr,
                          type)) {
    return e;
  }
  return parse_call_of_type(type, input, out);
}

json fields_to_json(const MessageFields& f) {
  json out = json::object();
  out["type"] = type_name(f.type);
  const std::pair<std::string_view, const char*> texts[] = {
      {f.user_id, "userId"},  {f.anonymous_id, "anonymousId"}, {f.event, "event"},
      {f.name, "name"},       {f.category, "category"},        {f.group_id, "groupId"},
      {f.previous_id, "previousId"}, {f.message_id, "messageId"}};
  for (const auto& [value, key] : texts) {
    if (!value.empty()) out[key] = std::string(value);
  }
  const std::pair<const CallerJson*, const char*> objects[] = {
      {&f.properties, "properties"}, {&f.traits, "traits"}, {&f.context, "context"},
      {&f.integrations, "integrations"}};
  for (const auto& [value, key] : objects) {
    if (value->tree != nullptr && !value->tree->is_null()) out[key] = *value->tree;
  }
  if (f.timestamp_unix_ms) {
    char iso[kIsoTimeLength];
    format_iso_time(*f.timestamp_unix_ms, iso);
    out["timestamp"] = std::string(iso, kIsoTimeLength);
  }
  return out;
}

}  // namespace rudder::core
