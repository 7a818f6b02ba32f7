// rudder-analytics core: who uses a browser client, remembered between calls and page loads.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/message.hpp"
#include "core/random.hpp"

namespace rudder::core {

/// The user of a browser client, as analytics-js keeps it: an anonymousId made on first use,
/// the userId and traits of the last identify, and the session. Calls that leave ids out get
/// these (the caller's always win, see Ambient), and every event carries the traits in
/// context.traits and the session in context.sessionId (context.sessionStart on its first).
/// The platform keeps json() where the next page load finds it (localStorage) and hands it
/// back to restore().
///
/// Thread use: one thread (the wasm client's); the driver calls it under its host lock.
class Identity {
 public:
  /// Takes up state kept by an earlier page or another tab (json()'s text) in place of this
  /// one's. What cannot be read (another format, damaged) is left out; returns false then.
  bool restore(std::string_view json_text);
  /// {"anonymousId":"...","userId":"...","traits":{...},"session":{"id":N,"expiresAt":M}};
  /// members not known are left out. The expiry is kept to kSessionExpiryStepMs: the text
  /// changes once a minute while calls go on, not at every call.
  std::string json() const;

  /// Ids and traits for the next call, made at `now_unix_ms`, the context and page
  /// properties of the page it is made on, and its session: a new one when there is none or
  /// the last accepted call was longer ago than the session timeout (its id: the time it
  /// started, in ms, as analytics-js's). Makes the anonymousId when there is none (a UUID v4
  /// from `rng`) and sets `changed` then, so the platform keeps json() again. `call` is the
  /// call's own fields: when it names another user than the one kept (an identify switching
  /// users, a track for someone else), the kept traits are not that user's and are left
  /// out; an alias's userId is the same person's new id. The views stay valid until the next
  /// change to this object.
  Ambient ambient(Rng& rng, std::int64_t now_unix_ms, bool& changed, const MessageFields& call);
  /// The call ambient() was for was accepted: its session (a new one, with sessionStart) is
  /// the session now, and lasts from this call. A refused call leaves the session as it was,
  /// so the next accepted event is the one that says it started. True when json() changed.
  bool session_used(std::int64_t now_unix_ms);

  /// Makes the anonymousId if there is none (a UUID v4 from `rng`); true when it did.
  bool make_anonymous_id(Rng& rng);

  /// Calls more than `timeout_ms` apart are in different sessions; 0: no sessions (no
  /// context.sessionId). analytics-js's default, 30 minutes, until set.
  void set_session_timeout(std::int64_t timeout_ms) { session_timeout_ms_ = timeout_ms; }
  static constexpr std::int64_t kDefaultSessionTimeoutMs = 30 * 60 * 1000;
  static constexpr std::int64_t kSessionExpiryStepMs = 60 * 1000;

  /// An identify was accepted with these ids and traits (an object's JSON text, or empty):
  /// its userId becomes the client's; its traits are merged over the ones kept, or replace
  /// them when the userId changed (another user's traits are not theirs).
  void identified(std::string_view user_id, std::string_view traits_json);
  /// An alias was accepted: its userId becomes the client's.
  void aliased(std::string_view user_id) { user_id_.assign(user_id); }
  /// Another anonymousId (the caller's own, e.g. from a server-side session).
  void set_anonymous_id(std::string_view id) { anonymous_id_.assign(id); }
  /// Forgets the user: userId and traits, the anonymousId and the session (new ones are made
  /// on next use).
  void reset();

  /// The page the next calls are made on: context members (JSON object text, e.g. page,
  /// userAgent, locale, screen, timezone) and page()'s default properties (path, referrer,
  /// search, title, url). Either may be empty.
  void set_page(std::string context_json, std::string page_properties_json);

  const std::string& anonymous_id() const noexcept { return anonymous_id_; }
  const std::string& user_id() const noexcept { return user_id_; }
  const std::string& traits() const noexcept { return traits_; }

 private:
  std::string user_id_;
  std::string anonymous_id_;
  std::string traits_;  // a JSON object's text, or empty
  std::string context_;
  std::string page_;
  std::int64_t session_timeout_ms_ = kDefaultSessionTimeoutMs;
  std::int64_t session_id_ = 0;          // 0: none
  std::int64_t last_session_id_ = 0;     // the latest id this object made (ids only grow)
  std::int64_t pending_session_id_ = 0;  // ambient()'s new session, until session_used()
  std::int64_t session_expires_at_ = 0;  // unix ms, kept to kSessionExpiryStepMs (see json())
  std::string session_context_;          // {"sessionId":N} or with "sessionStart":true
};

}  // namespace rudder::core
