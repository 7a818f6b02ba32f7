// rudder-analytics core: who uses a browser client, remembered between calls and page loads.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/identity.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

#include "core/json_text.hpp"
#include "core/text.hpp"

namespace rudder::core {
namespace {

// A kept id: a JSON string holding non-blank UTF-8 (decode_json_string checks the UTF-8).
bool read_id(std::string_view token, std::string& out) {
  return json_text_kind(token) == JsonKind::string && decode_json_string(token, out) &&
         !is_blank(out);
}

// Kept traits: an object whose every value can be sent as it stands.
bool read_traits(std::string_view token, std::string& out) {
  std::string checked;
  if (json_text_kind(token) != JsonKind::object || !write_checked_json_text(token, checked)) {
    return false;
  }
  out = std::move(checked);
  return true;
}

// A kept whole number of milliseconds (JSON number text); false for anything else.
bool read_ms(std::string_view token, std::int64_t& out) {
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), out);
  return error == std::errc() && end == token.data() + token.size() && out > 0;
}

// The kept session, {"id":N,"expiresAt":M}.
bool read_session(std::string_view token, std::int64_t& id, std::int64_t& expires_at) {
  std::vector<JsonTextMember> members;
  if (!json_text_members(token, members)) return false;
  bool has_id = false;
  bool has_expiry = false;
  for (const JsonTextMember& m : members) {
    if (m.key == "id") has_id = read_ms(m.value, id);
    if (m.key == "expiresAt") has_expiry = read_ms(m.value, expires_at);
  }
  return has_id && has_expiry;
}

}  // namespace

bool Identity::restore(std::string_view json_text) {
  reset();
  std::vector<JsonTextMember> members;
  if (!json_text_members(json_text, members)) return false;
  bool whole = true;
  for (const JsonTextMember& m : members) {
    std::string value;
    if (m.key == "anonymousId" || m.key == "userId") {
      if (!read_id(m.value, value)) {
        whole = false;
        continue;
      }
      (m.key == "userId" ? user_id_ : anonymous_id_) = std::move(value);
    } else if (m.key == "traits") {
      if (!read_traits(m.value, value)) {
        whole = false;
        continue;
      }
      traits_ = std::move(value);
    } else if (m.key == "session") {
      std::int64_t id = 0;
      std::int64_t expires_at = 0;
      if (!read_session(m.value, id, expires_at)) {
        whole = false;
        continue;
      }
      session_id_ = id;
      session_expires_at_ = expires_at;
    }
  }
  return whole;
}

std::string Identity::json() const {
  std::string out = "{";
  auto add = [&out](const char* key, const std::string& id) {
    if (id.empty()) return;
    if (out.size() > 1) out.push_back(',');
    out.append("\"").append(key).append("\":");
    append_json_string(out, id);
  };
  add("anonymousId", anonymous_id_);
  add("userId", user_id_);
  if (!traits_.empty()) out.append(out.size() > 1 ? "," : "").append("\"traits\":").append(traits_);
  if (session_id_ != 0) {
    out.append(out.size() > 1 ? "," : "").append("\"session\":{\"id\":");
    out.append(std::to_string(session_id_)).append(",\"expiresAt\":");
    out.append(std::to_string(session_expires_at_)).append("}");
  }
  out.push_back('}');
  return out;
}

bool Identity::make_anonymous_id(Rng& rng) {
  if (!anonymous_id_.empty()) return false;
  char uuid[kUuidLength];
  write_uuid_v4(rng, uuid);
  anonymous_id_.assign(uuid, kUuidLength);
  return true;
}

Ambient Identity::ambient(Rng& rng, std::int64_t now_unix_ms, bool& changed, const MessageFields& call) {
  changed = make_anonymous_id(rng);
  session_context_.clear();
  pending_session_id_ = 0;
  if (session_timeout_ms_ > 0) {
    const bool start = session_id_ == 0 || now_unix_ms >= session_expires_at_;
    // A new session's id is when it started, as analytics-js's; always a new one, even
    // within a millisecond. Taken only once the call is accepted (session_used).
    if (start) pending_session_id_ = std::max(now_unix_ms, last_session_id_ + 1);
    session_context_.append("{\"sessionId\":").append(std::to_string(start ? pending_session_id_ : session_id_));
    session_context_.append(start ? ",\"sessionStart\":true}" : "}");
  }
  const bool another_user = call.type != MessageType::alias && !call.user_id.empty() &&
                            !user_id_.empty() && call.user_id != user_id_;
  return Ambient{user_id_, anonymous_id_, another_user ? std::string_view() : traits_, context_, page_,
                 session_context_};
}

bool Identity::session_used(std::int64_t now_unix_ms) {
  if (session_timeout_ms_ <= 0) return false;
  if (pending_session_id_ != 0) {
    session_id_ = last_session_id_ = pending_session_id_;
    pending_session_id_ = 0;
    session_expires_at_ = 0;  // set below
  }
  // The kept expiry is never earlier than the last call plus the timeout, and moves on in
  // steps, so the kept text changes once a step while calls go on: a session ends between
  // the timeout and the timeout plus a step after its last call.
  if (session_expires_at_ >= now_unix_ms + session_timeout_ms_) return false;
  const std::int64_t step = std::min(kSessionExpiryStepMs, session_timeout_ms_ / 10);
  session_expires_at_ = now_unix_ms + session_timeout_ms_ + step;
  return true;
}

void Identity::identified(std::string_view user_id, std::string_view traits_json) {
  if (!user_id.empty() && user_id != user_id_) {
    if (!user_id_.empty()) traits_.clear();  // another user: the traits kept were not theirs
    user_id_.assign(user_id);
  }
  if (traits_json.empty()) return;
  std::vector<JsonTextMember> kept;
  std::vector<JsonTextMember> added;
  if (traits_.empty() || !json_text_members(traits_, kept)) kept.clear();
  if (!json_text_members(traits_json, added)) return;
  // The new traits over the kept ones: kept keys not given again keep their place, in order.
  std::string merged = "{";
  auto write = [&merged](const JsonTextMember& m) {
    if (merged.size() > 1) merged.push_back(',');
    append_json_string(merged, m.key);
    merged.push_back(':');
    merged.append(m.value);
  };
  for (const JsonTextMember& m : kept) {
    const bool again = std::any_of(added.begin(), added.end(),
                                   [&m](const JsonTextMember& a) { return a.key == m.key; });
    if (!again) write(m);
  }
  for (const JsonTextMember& m : added) write(m);
  merged.push_back('}');
  traits_ = std::move(merged);
}

void Identity::reset() {
  user_id_.clear();
  anonymous_id_.clear();
  traits_.clear();
  session_id_ = 0;
}

void Identity::set_page(std::string context_json, std::string page_properties_json) {
  context_ = std::move(context_json);
  page_ = std::move(page_properties_json);
}

}  // namespace rudder::core
