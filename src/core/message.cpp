// rudder-analytics core: builds and validates the six spec messages.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/message.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/iso_time.hpp"
#include "core/json_check.hpp"
#include "core/json_text.hpp"
#include "core/json_writer.hpp"
#include "core/text.hpp"

namespace rudder::core {
namespace {

using json = nlohmann::json;
using Kind = FieldError::Kind;

constexpr std::array<const char*, 6> kTypeNames{"identify", "track", "page",
                                                "screen",   "group", "alias"};

// Which optional payload parts each type carries.
bool has_properties(MessageType t) {
  return t == MessageType::track || t == MessageType::page || t == MessageType::screen;
}
bool has_traits(MessageType t) { return t == MessageType::identify || t == MessageType::group; }

FieldError error(Kind kind, std::string field, std::string problem) {
  return FieldError{kind, std::move(field), std::move(problem)};
}

std::optional<FieldError> check_text(std::string_view value, const char* field) {
  // (Most of a call's optional fields are empty: no call into the checker for them.)
  if (!value.empty() && !is_valid_utf8(value)) return error(Kind::invalid_value, field, "string is not valid UTF-8");
  return std::nullopt;
}

std::optional<FieldError> check_required_text(std::string_view value, const char* field) {
  if (value.empty()) return error(Kind::missing, field, "is required");
  if (auto e = check_text(value, field)) return e;
  if (is_blank(value)) return error(Kind::missing, field, "is required (it is only white space or invisible characters)");
  return std::nullopt;
}

JsonKind kind_of(const CallerJson& value) {
  if (value.tree != nullptr) {
    if (value.tree->is_null()) return JsonKind::null;
    return value.tree->is_object() ? JsonKind::object : JsonKind::invalid;  // named below
  }
  return value.text.empty() ? JsonKind::null : json_text_kind(value.text);
}

// Null means "not given"; anything else must be an object. (What is inside is checked while
// it is written, see Writer::value.)
std::optional<FieldError> check_object(const CallerJson& value, const char* field) {
  const JsonKind kind = kind_of(value);
  if (kind == JsonKind::null || kind == JsonKind::object) return std::nullopt;
  const char* name = value.tree != nullptr ? value.tree->type_name() : json_kind_name(kind);
  return error(Kind::wrong_type, field, std::string("must be an object, not ") + name);
}

bool given(const CallerJson& value) { return kind_of(value) != JsonKind::null; }

// Calls `visit(key, value)` for each member of a caller's object, in either form: a tree's
// members are visited in place (this runs for every event's context); text is split first.
// False when text is not a well-formed object.
template <class Visit>
bool for_each_member(const CallerJson& object, Visit&& visit) {
  if (object.tree != nullptr) {
    for (const auto& [k, v] : object.tree->get_ref<const json::object_t&>()) visit(k, CallerJson(&v));
    return true;
  }
  std::vector<JsonTextMember> members;
  if (!json_text_members(object.text, members)) return false;
  for (const auto& m : members) visit(m.key, CallerJson::of_text(m.value));
  return true;
}

// Answers "does this object have key k" for a caller's object, without a linear scan per key.
class KeySet {
 public:
  explicit KeySet(const CallerJson& object) : tree_(object.tree) {
    if (tree_ == nullptr) {
      ok_ = for_each_member(object, [this](const std::string& k, const CallerJson&) { keys_.push_back(k); });
      std::sort(keys_.begin(), keys_.end());
    }
  }
  bool ok() const { return ok_; }
  bool contains(const std::string& key) const {
    return tree_ != nullptr ? tree_->contains(key) : std::binary_search(keys_.begin(), keys_.end(), key);
  }

 private:
  const json* tree_;
  std::vector<std::string> keys_;
  bool ok_ = true;
};

std::optional<FieldError> validate(const MessageFields& f) {
  for (auto [value, field] : {std::pair{f.user_id, "userId"}, {f.anonymous_id, "anonymousId"},
                              {f.event, "event"}, {f.name, "name"}, {f.category, "category"},
                              {f.group_id, "groupId"}, {f.previous_id, "previousId"},
                              {f.message_id, "messageId"}}) {
    if (auto e = check_text(value, field)) return e;
  }
  // The data plane rejects the whole batch when both ids are blank once it has removed
  // invisible characters and trimmed them.
  const bool has_user = !f.user_id.empty() && !is_blank(f.user_id);
  const bool has_anonymous = !f.anonymous_id.empty() && !is_blank(f.anonymous_id);
  switch (f.type) {
    case MessageType::alias:
      if (auto e = check_required_text(f.previous_id, "previousId")) return e;
      if (auto e = check_required_text(f.user_id, "userId")) return e;
      break;
    default:
      if (!has_user && !has_anonymous) {
        return error(Kind::missing, "userId", "userId or anonymousId is required");
      }
      break;
  }
  if (f.type == MessageType::track) {
    if (auto e = check_required_text(f.event, "event")) return e;
  }
  // A browser's page() may leave the name out, as analytics-js's does: the page's own
  // properties (url, path, title...) say which page it was. Elsewhere the reference's rule.
  const bool nameless_browser_page = f.type == MessageType::page && f.ambient != nullptr && f.name.empty();
  if ((f.type == MessageType::page || f.type == MessageType::screen) && !nameless_browser_page) {
    if (auto e = check_required_text(f.name, "name")) return e;
  }
  if (f.type == MessageType::group) {
    if (auto e = check_required_text(f.group_id, "groupId")) return e;
  }
  if (!f.message_id.empty() && is_blank(f.message_id)) {
    // The data plane would put a new random id in its place at each attempt: retries of it
    // would no longer be recognized as copies.
    return error(Kind::invalid_value, "messageId", "must not be only white space or invisible characters");
  }
  if (auto e = check_object(f.properties, "properties")) return e;
  if (auto e = check_object(f.traits, "traits")) return e;
  if (auto e = check_object(f.context, "context")) return e;
  if (auto e = check_object(f.integrations, "integrations")) return e;
  // Exactly what the payload's format carries: sent as given, or refused, never clamped.
  if (f.timestamp_unix_ms && !is_iso_time_in_range(*f.timestamp_unix_ms)) {
    return error(Kind::out_of_range, "timestamp", kIsoTimeRangeProblem);
  }
  return std::nullopt;
}

// Writes the payload while remembering how much each caller-supplied part took, so a message
// over the size limit can be blamed on its largest field. The first unsendable value inside
// a caller's JSON is kept as `problem`.
class Writer {
 public:
  explicit Writer(JsonOut& out) : out_(out) {}

  // `name` is one of this file's own ASCII literals: nothing in it needs escaping. Written
  // as `,"name":` with one room check: a message has a dozen keys.
  void key(std::string_view name) {
    char* at = out_.room(name.size() + 4);
    at[0] = ',';
    at[1] = '"';
    std::memcpy(at + 2, name.data(), name.size());
    at[name.size() + 2] = '"';
    at[name.size() + 3] = ':';
    out_.commit(name.size() + 4);
    start_ = out_.size();
    field_ = name.data();  // a literal's, so NUL-terminated
  }
  void text(const char* name, std::string_view value) {
    key(name);
    append_json_string(out_, value);
    measure();
  }
  void raw(const char* name, std::string_view value) {
    key(name);
    out_.put(value);
    measure();
  }
  /// Text of ours that needs no escaping (a UUID, a time), quoted.
  void ascii(const char* name, std::string_view value) {
    key(name);
    out_.put('"');
    out_.put(value);
    out_.put('"');
    measure();
  }
  /// A caller's object (null: `{}`); `path` names it in errors.
  void object(const char* name, const CallerJson& value) {
    key(name);
    if (given(value)) {
      this->value(value, name);
    } else {
      out_.put("{}");
    }
    measure();
  }
  /// The caller's object `over` written over `base` (ours, e.g. a page's url and title):
  /// the caller's keys win.
  void object_over(const char* name, std::string_view base, const CallerJson& over) {
    if (base.empty()) return object(name, over);
    key(name);
    if (given(over)) {
      merged(CallerJson::of_text(base), name, over, name);
    } else {
      out_.put(base);
    }
    measure();
  }
  /// The payload's context: the caller's keys, then the ambient ones the caller's lack, our
  /// library, and the traits (identify's over the ambient ones, or the ambient ones alone).
  void context(const CallerJson& caller, const CallerJson* identify_traits,
               std::string_view library, const Ambient* ambient) {
    key("context");
    out_.put('{');
    std::optional<CallerJson> caller_traits;
    bool caller_has_traits = false;
    const std::string_view ambient_context = ambient != nullptr ? ambient->context : std::string_view();
    const std::string_view ambient_traits = ambient != nullptr ? ambient->traits : std::string_view();
    // What the client adds is not the caller's: it is left out of context's size, so an
    // oversized message blames a field the caller gave.
    std::size_t copied = 0;
    if (given(caller)) {
      const bool well_formed = for_each_member(caller, [&](const std::string& k, const CallerJson& v) {
        if (problem_) return;
        if (k == "traits") caller_has_traits = true;
        if (identify_traits != nullptr && k == "traits") {
          if (kind_of(v) == JsonKind::object) caller_traits = v;
          return;
        }
        if (k == "library") return;
        member("context", k, v);
        out_.put(',');
      });
      if (!well_formed) problem_ = error(Kind::invalid_value, "context", "is not valid JSON");
      if (problem_) return;
    }
    const std::string_view ambient_session = ambient != nullptr ? ambient->session : std::string_view();
    if (!ambient_context.empty() || !ambient_session.empty()) {
      const std::size_t copy_start = out_.size();
      const KeySet callers(caller);
      for (const std::string_view added : {ambient_context, ambient_session}) {
        for_each_member(CallerJson::of_text(added), [&](const std::string& k, const CallerJson& v) {
          if (k == "library" || k == "traits" || (given(caller) && callers.contains(k))) return;
          member("context", k, v);
          out_.put(',');
        });
      }
      copied += out_.size() - copy_start;
    }
    out_.put("\"library\":");
    out_.put(library);
    const std::size_t traits_start = out_.size();
    if (identify_traits != nullptr) {
      out_.put(",\"traits\":");
      if (caller_traits) {
        merged(*caller_traits, "context.traits", *identify_traits, "traits");
      } else if (!ambient_traits.empty()) {
        merged(CallerJson::of_text(ambient_traits), "traits", *identify_traits, "traits");
        copied += out_.size() - traits_start;
      } else {
        value(*identify_traits, "traits");
        copied += out_.size() - traits_start;
      }
    } else if (!ambient_traits.empty() && !caller_has_traits) {
      out_.put(",\"traits\":");
      out_.put(ambient_traits);
      copied += out_.size() - traits_start;
    }
    out_.put('}');
    measure(copied);
  }
  /// Counts what was written from `start` on, outside key(), as the field `name` (a literal).
  void measured(const char* name, std::size_t start) {
    start_ = start;
    field_ = name;
    measure();
  }
  const char* largest_field() const { return largest_; }
  /// The largest field's JSON as written (a view into the output).
  std::string_view largest_value() const {
    return out_.text().substr(largest_start_, largest_end_ - largest_start_);
  }
  std::optional<FieldError>& problem() { return problem_; }

 private:
  // Writes the caller's value `v`: the field named `field`, or (given `member`) that member
  // of it, one level down. The path is only built if the value has a problem to report.
  void value(const CallerJson& v, std::string_view field, const std::string* member = nullptr) {
    const std::size_t depth = member != nullptr ? 2 : 1;
    if (problem_) return;
    if (v.tree != nullptr ? write_checked_json(*v.tree, out_, depth)
                          : write_checked_json_text(v.text, out_, depth)) {
      return;
    }
    std::string path(field);
    if (member != nullptr) path.append(".").append(*member);
    problem_ = v.tree != nullptr ? check_json_values(*v.tree, path, depth)
                                 : check_json_text(v.text, path, depth);
    if (!problem_) problem_ = error(Kind::invalid_value, path, "cannot be written as JSON");
  }
  // Writes `"key":value` for member `key` of the caller's object named `parent`.
  void member(std::string_view parent, const std::string& key, const CallerJson& v) {
    if (problem_) return;
    if (!append_json_string_checked(out_, key)) {
      problem_ = error(Kind::invalid_value, std::string(parent), "object key is not valid UTF-8");
      return;
    }
    out_.put(':');
    value(v, parent, &key);
  }
  // Writes the object `base` with the keys of `over` written over it (over's value wins),
  // without copying either: a copy of a caller's value would recurse unchecked.
  void merged(const CallerJson& base, const std::string& base_path, const CallerJson& over,
              const std::string& over_path) {
    const KeySet overridden(over);
    out_.put('{');
    bool first = true;
    auto next = [&](std::string_view parent, const std::string& k, const CallerJson& v) {
      if (!first) out_.put(',');
      first = false;
      member(parent, k, v);
    };
    const bool well_formed =
        overridden.ok() &&
        for_each_member(base, [&](const std::string& k, const CallerJson& v) {
          if (!overridden.contains(k)) next(base_path, k, v);
        }) &&
        for_each_member(over, [&](const std::string& k, const CallerJson& v) { next(over_path, k, v); });
    if (!well_formed && !problem_) problem_ = error(Kind::invalid_value, over_path, "is not valid JSON");
    out_.put('}');
  }
  void measure(std::size_t excluded = 0) {
    const std::size_t size = out_.size() - start_ - excluded;
    if (size > largest_size_) {
      largest_size_ = size;
      largest_ = field_;
      largest_start_ = start_;
      largest_end_ = out_.size();
    }
  }
  JsonOut& out_;
  std::size_t start_ = 0;
  const char* field_ = "";
  const char* largest_ = "message";
  std::size_t largest_size_ = 0;
  std::size_t largest_start_ = 0;
  std::size_t largest_end_ = 0;
  std::optional<FieldError> problem_;
};

// Which part of an oversized caller's object to blame: from `path` (its JSON `text` as
// written), down through the largest member while it is an object and makes the message large
// (without it the message would fit: it is at least the `excess`; or it is most of its
// object: identify's traits are written twice, so there half the excess would do), so that
// the caller reads "properties.blob" rather than "properties", but "properties" when it is
// four thousand small members that make it large, none of which is to blame.
std::string largest_member_path(std::string path, std::string_view text, std::size_t excess) {
  std::vector<JsonTextMember> members;
  for (int depth = 0; depth < 32 && json_text_members(text, members) && !members.empty(); ++depth) {
    const auto written = [](const JsonTextMember& m) { return m.key.size() + m.value.size() + 4; };  // "":,
    const auto largest = std::max_element(members.begin(), members.end(), [&](const auto& a, const auto& b) {
      return written(a) < written(b);
    });
    if (written(*largest) < excess && written(*largest) * 2 <= text.size()) break;
    path.append(".").append(largest->key);
    text = largest->value;
    members.clear();
  }
  return path;
}

}  // namespace

std::optional<FieldError> check_required_field(std::string_view value, const char* field) {
  return check_required_text(value, field);
}

BuildSettings::BuildSettings(std::size_t max_bytes, std::string_view channel_name,
                             std::string_view library_name, std::string_view library_version)
    : max_message_bytes(max_bytes) {
  append_json_string(channel_json, channel_name);
  library_json = "{\"name\":";
  append_json_string(library_json, library_name);
  library_json.append(",\"version\":");
  append_json_string(library_json, library_version);
  library_json.push_back('}');
}

const char* type_name(MessageType type) noexcept { return kTypeNames[static_cast<int>(type)]; }

std::optional<MessageType> parse_type(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (name == kTypeNames[i]) return static_cast<MessageType>(i);
  }
  return std::nullopt;
}

BuildResult build_message(const MessageFields& given_fields, const BuildSettings& settings,
                          std::int64_t now_unix_ms, Rng& rng, std::string buffer) {
  // A browser client's ids fill what the call left out; the caller's always win.
  MessageFields f = given_fields;
  if (const Ambient* ambient = f.ambient) {
    if (f.user_id.empty() && f.type != MessageType::alias) f.user_id = ambient->user_id;
    if (f.anonymous_id.empty()) f.anonymous_id = ambient->anonymous_id;
    if (f.type == MessageType::alias && f.previous_id.empty()) {
      f.previous_id = ambient->user_id.empty() ? ambient->anonymous_id : ambient->user_id;
    }
  }
  BuildResult result;
  result.event.json_open = std::move(buffer);  // the caller's scratch, back with its capacity
  if (auto e = validate(f)) {
    result.error = std::move(e);
    result.event.json_open.clear();
    return result;
  }

  // Room for a typical message at once (the benchmark's track is 330 bytes); more as needed.
  // Written over the scratch's last message; finish() trims it to this one.
  JsonOut out(result.event.json_open, 512, JsonOut::Overwrite{});
  out.put("{\"type\":\"");
  out.put(type_name(f.type));
  out.put("\",\"messageId\":");
  const std::size_t message_id_start = out.size();
  if (f.message_id.empty()) {
    char uuid[kUuidLength];
    write_uuid_v4(rng, uuid);
    result.message_id.assign(uuid, kUuidLength);
    out.put('"');
    out.put(result.message_id);
    out.put('"');
  } else {
    result.message_id.assign(f.message_id);
    append_json_string(out, result.message_id);
  }

  Writer w(out);
  if (!f.message_id.empty()) w.measured("messageId", message_id_start);  // a caller's may be the largest field
  if (!f.user_id.empty()) w.text("userId", f.user_id);
  if (!f.anonymous_id.empty()) w.text("anonymousId", f.anonymous_id);
  switch (f.type) {
    case MessageType::track:
      w.text("event", f.event);
      break;
    case MessageType::page:
    case MessageType::screen:
      if (!f.name.empty()) w.text("name", f.name);  // empty: a browser's nameless page()
      if (!f.category.empty()) w.text("category", f.category);
      break;
    case MessageType::group:
      w.text("groupId", f.group_id);
      break;
    case MessageType::alias:
      w.text("previousId", f.previous_id);
      break;
    case MessageType::identify:
      break;
  }
  if (f.type == MessageType::page && f.ambient != nullptr) {
    w.object_over("properties", f.ambient->page, f.properties);
  } else if (has_properties(f.type)) {
    w.object("properties", f.properties);
  }
  if (has_traits(f.type)) w.object("traits", f.traits);

  const bool identify_traits = f.type == MessageType::identify && given(f.traits);
  w.context(f.context, identify_traits ? &f.traits : nullptr, settings.library_json, f.ambient);
  if (given(f.integrations)) {
    w.object("integrations", f.integrations);
  } else {
    w.raw("integrations", "{\"All\":true}");
  }

  w.raw("channel", settings.channel_json);
  char iso[kIsoTimeLength];
  format_iso_time(now_unix_ms, iso);
  w.ascii("originalTimestamp", std::string_view(iso, kIsoTimeLength));
  if (f.timestamp_unix_ms) {
    format_iso_time(*f.timestamp_unix_ms, iso);
    w.ascii("timestamp", std::string_view(iso, kIsoTimeLength));
  }
  out.finish();

  if (w.problem()) {
    result.error = std::move(w.problem());
    result.event.json_open.clear();
    result.message_id.clear();
    return result;
  }
  const std::size_t size = result.event.wire_size();
  if (size > settings.max_message_bytes) {
    // Inside a caller's object, the member that makes it large. (Not in context, which also
    // holds what the client adds.)
    const std::string_view largest = w.largest_field();
    const bool callers_object = largest == "properties" || largest == "traits" || largest == "integrations";
    result.error = error(Kind::out_of_range,
                         callers_object ? largest_member_path(std::string(largest), w.largest_value(),
                                                              size - settings.max_message_bytes)
                                        : std::string(largest),
                         "makes the message " + std::to_string(size) +
                             " bytes, over the limit of " +
                             std::to_string(settings.max_message_bytes) +
                             " (max_message_bytes, maxMessageBytes in JavaScript)");
    result.event.json_open.clear();
    result.message_id.clear();
  }
  return result;
}

}  // namespace rudder::core
