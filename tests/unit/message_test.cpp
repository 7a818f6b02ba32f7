// rudder-analytics tests: the six spec messages as built, and the rules that refuse bad input.
// Copyright the rudder-analytics authors. MIT licence.
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/json_check.hpp"
#include "core/message.hpp"

namespace {

using json = nlohmann::json;
using rudder::core::build_message;
using rudder::core::BuildResult;
using rudder::core::BuildSettings;
using rudder::core::FieldError;
using rudder::core::kMaxJsonDepth;
using rudder::core::MessageFields;
using rudder::core::MessageType;
using rudder::core::Rng;
using Kind = FieldError::Kind;
using namespace std::string_literals;

constexpr std::int64_t kNow = 1'706'702'400'123;  // 2024-01-31T12:00:00.123Z
constexpr std::int64_t kSentAt = 1'706'702'405'000;  // 2024-01-31T12:00:05.000Z
constexpr const char* kNowIso = "2024-01-31T12:00:00.123Z";
constexpr const char* kSentAtIso = "2024-01-31T12:00:05.000Z";

const BuildSettings& default_settings() {
  static const BuildSettings settings(32 * 1024, "server", "rudder-cpp-test", "1.2.3");
  return settings;
}

BuildResult build(const MessageFields& f, const BuildSettings& settings = default_settings()) {
  Rng rng(11);
  return build_message(f, settings, kNow, rng);
}

// The event as the data plane would receive it.
json payload(const MessageFields& f, const BuildSettings& settings = default_settings()) {
  const BuildResult r = build(f, settings);
  if (r.error) {
    ADD_FAILURE() << "refused: " << r.error->to_string();
    return json::object();
  }
  return json::parse(r.event.complete_json(kSentAt));
}

FieldError error_of(const MessageFields& f, const BuildSettings& settings = default_settings()) {
  const BuildResult r = build(f, settings);
  if (!r.error) {
    ADD_FAILURE() << "accepted: " << r.event.json_open;
    return FieldError{Kind::missing, "<accepted>", ""};
  }
  EXPECT_TRUE(r.event.json_open.empty()) << "a refused message leaves nothing to queue";
  EXPECT_TRUE(r.message_id.empty()) << "a refused message has no messageId";
  return *r.error;
}

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> keys;
  for (const auto& item : object.items()) keys.insert(item.key());
  return keys;
}

bool is_uuid_v4(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t k = 0; k < s.size(); ++k) {
    const char c = s[k];
    if (k == 8 || k == 13 || k == 18 || k == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return s[14] == '4' && std::string("89ab").find(s[19]) != std::string::npos;
}

// A valid call of each type, with userId "user-1".
MessageFields valid(MessageType type) {
  MessageFields f;
  f.type = type;
  f.user_id = "user-1";
  switch (type) {
    case MessageType::track: f.event = "Order Completed"; break;
    case MessageType::page:
    case MessageType::screen: f.name = "Home"; break;
    case MessageType::group: f.group_id = "group-1"; break;
    case MessageType::alias: f.previous_id = "old-id"; break;
    case MessageType::identify: break;
  }
  return f;
}

const json kLibrary = {{"name", "rudder-cpp-test"}, {"version", "1.2.3"}};
const json kAllIntegrations = {{"All", true}};

// --- The payload of each call ---------------------------------------------------------------

TEST(Message, TrackCarriesTheSpecPayload) {
  const json props = {{"revenue", 12.5}, {"currency", "EUR"}};
  MessageFields f = valid(MessageType::track);
  f.properties = &props;
  const BuildResult r = build(f);
  ASSERT_FALSE(r.error);
  const json p = json::parse(r.event.complete_json(kSentAt));

  EXPECT_EQ(keys_of(p), (std::set<std::string>{"type", "messageId", "userId", "event", "properties",
                                               "context", "integrations", "channel",
                                               "originalTimestamp", "sentAt"}));
  EXPECT_EQ(p["type"], "track");
  EXPECT_TRUE(is_uuid_v4(p["messageId"].get<std::string>())) << p["messageId"];
  EXPECT_EQ(p["messageId"], r.message_id) << "the call reports the id it sent";
  EXPECT_EQ(p["userId"], "user-1");
  EXPECT_EQ(p["event"], "Order Completed");
  EXPECT_EQ(p["properties"], props);
  EXPECT_EQ(p["context"], json({{"library", kLibrary}}));
  EXPECT_EQ(p["integrations"], kAllIntegrations);
  EXPECT_EQ(p["channel"], "server");
  EXPECT_EQ(p["originalTimestamp"], kNowIso);
  EXPECT_EQ(p["sentAt"], kSentAtIso);
}

TEST(Message, IdentifyCarriesTraitsAndCopiesThemIntoContext) {
  const json traits = {{"email", "a@example.com"}, {"plan", "pro"}};
  MessageFields f = valid(MessageType::identify);
  f.traits = &traits;
  const json p = payload(f);
  EXPECT_EQ(keys_of(p), (std::set<std::string>{"type", "messageId", "userId", "traits", "context",
                                               "integrations", "channel", "originalTimestamp",
                                               "sentAt"}));
  EXPECT_EQ(p["type"], "identify");
  EXPECT_EQ(p["traits"], traits);
  EXPECT_EQ(p["context"]["traits"], traits);
  EXPECT_EQ(p["context"]["library"], kLibrary);
}

TEST(Message, IdentifyMergesItsTraitsOverTheCallersContextTraits) {
  const json traits = {{"plan", "pro"}};
  const json context = {{"traits", {{"plan", "free"}, {"age", 30}}}, {"ip", "10.0.0.1"}};
  MessageFields f = valid(MessageType::identify);
  f.traits = &traits;
  f.context = &context;
  const json p = payload(f);
  EXPECT_EQ(p["traits"], traits);
  EXPECT_EQ(p["context"]["traits"], json({{"plan", "pro"}, {"age", 30}}));
  EXPECT_EQ(p["context"]["ip"], "10.0.0.1");
  // Each key once: a parser keeps the last of two, but not every reader of the data does.
  const std::string raw = build(f).event.json_open;
  EXPECT_NE(raw.find(R"("traits":{"age":30,"plan":"pro"})"), std::string::npos) << raw;
}

TEST(Message, ABrowsersAliasNeedsTheNewUserIdFromTheCaller) {
  // The remembered user becomes the previousId; the new id must come from the call, or the
  // alias would join the user to itself.
  rudder::core::Ambient ambient;
  ambient.user_id = "u1";
  ambient.anonymous_id = "anon";
  MessageFields alias = valid(MessageType::alias);
  alias.user_id = {};
  alias.previous_id = {};
  alias.ambient = &ambient;
  const FieldError e = error_of(alias);
  EXPECT_EQ(e.kind, Kind::missing);
  EXPECT_EQ(e.field, "userId");
  alias.user_id = "u2";
  const json p = payload(alias);
  EXPECT_EQ(p["previousId"], "u1");
  EXPECT_EQ(p["userId"], "u2");
}

TEST(Message, ABadKeyInABrowserPagesPropertiesIsNamedAsTheirs) {
  // page() properties are merged over the page's own (url, path...); a key that is not UTF-8
  // is the caller's properties', not the context's.
  rudder::core::Ambient ambient;
  ambient.anonymous_id = "anon";
  ambient.page = R"({"url":"https://h/"})";
  const json props = {{"\xFF", 1}};
  MessageFields page = valid(MessageType::page);
  page.properties = &props;
  page.ambient = &ambient;
  const FieldError e = error_of(page);
  EXPECT_EQ(e.to_string(), "properties: object key is not valid UTF-8");
}

TEST(Message, IdentifyWithoutTraitsSendsEmptyTraits) {
  const json p = payload(valid(MessageType::identify));
  EXPECT_EQ(p["traits"], json::object());
  EXPECT_FALSE(p["context"].contains("traits"));
}

TEST(Message, PageCarriesNameCategoryAndProperties) {
  const json props = {{"path", "/home"}, {"referrer", ""}};
  MessageFields f = valid(MessageType::page);
  f.category = "Docs";
  f.properties = &props;
  const json p = payload(f);
  EXPECT_EQ(keys_of(p), (std::set<std::string>{"type", "messageId", "userId", "name", "category",
                                               "properties", "context", "integrations", "channel",
                                               "originalTimestamp", "sentAt"}));
  EXPECT_EQ(p["type"], "page");
  EXPECT_EQ(p["name"], "Home");
  EXPECT_EQ(p["category"], "Docs");
  EXPECT_EQ(p["properties"], props);
}

TEST(Message, PageWithoutCategoryLeavesItOut) {
  const json p = payload(valid(MessageType::page));
  EXPECT_FALSE(p.contains("category"));
  EXPECT_EQ(p["properties"], json::object());
}

TEST(Message, ScreenCarriesNameCategoryAndProperties) {
  const json props = {{"orientation", "portrait"}};
  MessageFields f = valid(MessageType::screen);
  f.category = "Onboarding";
  f.properties = &props;
  const json p = payload(f);
  EXPECT_EQ(p["type"], "screen");
  EXPECT_EQ(p["name"], "Home");
  EXPECT_EQ(p["category"], "Onboarding");
  EXPECT_EQ(p["properties"], props);
  EXPECT_FALSE(p.contains("traits"));
}

TEST(Message, GroupCarriesGroupIdAndTraitsButNotInContext) {
  const json traits = {{"employees", 120}};
  MessageFields f = valid(MessageType::group);
  f.traits = &traits;
  const json p = payload(f);
  EXPECT_EQ(keys_of(p), (std::set<std::string>{"type", "messageId", "userId", "groupId", "traits",
                                               "context", "integrations", "channel",
                                               "originalTimestamp", "sentAt"}));
  EXPECT_EQ(p["type"], "group");
  EXPECT_EQ(p["groupId"], "group-1");
  EXPECT_EQ(p["traits"], traits);
  EXPECT_FALSE(p["context"].contains("traits"));
}

TEST(Message, AliasCarriesPreviousIdAndUserId) {
  const json p = payload(valid(MessageType::alias));
  EXPECT_EQ(keys_of(p), (std::set<std::string>{"type", "messageId", "userId", "previousId",
                                               "context", "integrations", "channel",
                                               "originalTimestamp", "sentAt"}));
  EXPECT_EQ(p["type"], "alias");
  EXPECT_EQ(p["previousId"], "old-id");
  EXPECT_EQ(p["userId"], "user-1");
}

TEST(Message, AnonymousIdAloneIdentifiesTheUser) {
  MessageFields f = valid(MessageType::track);
  f.user_id = {};
  f.anonymous_id = "anon-7";
  const json p = payload(f);
  EXPECT_EQ(p["anonymousId"], "anon-7");
  EXPECT_FALSE(p.contains("userId"));
}

TEST(Message, BothIdsAreSentAsStringsWhenGiven) {
  MessageFields f = valid(MessageType::identify);
  f.user_id = "42";
  f.anonymous_id = "anon-7";
  const json p = payload(f);
  EXPECT_EQ(p["userId"], "42");
  EXPECT_EQ(p["anonymousId"], "anon-7");
}

TEST(Message, WhiteSpaceUserIdIsFineWhenAnonymousIdIsReal) {
  MessageFields f = valid(MessageType::track);
  f.user_id = "  ";
  f.anonymous_id = "anon-7";
  EXPECT_FALSE(build(f).error);
}

TEST(Message, GivenMessageIdIsKept) {
  MessageFields f = valid(MessageType::track);
  f.message_id = "my-own-id-1";
  const BuildResult r = build(f);
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.message_id, "my-own-id-1");
  EXPECT_EQ(json::parse(r.event.complete_json(kSentAt))["messageId"], "my-own-id-1");
}

TEST(Message, TwoBuildsGetDifferentMessageIds) {
  Rng rng(5);
  const MessageFields f = valid(MessageType::track);
  const BuildResult a = build_message(f, default_settings(), kNow, rng);
  const BuildResult b = build_message(f, default_settings(), kNow, rng);
  ASSERT_FALSE(a.error);
  ASSERT_FALSE(b.error);
  EXPECT_TRUE(is_uuid_v4(a.message_id));
  EXPECT_TRUE(is_uuid_v4(b.message_id));
  EXPECT_NE(a.message_id, b.message_id);
}

TEST(Message, CallerContextIsKeptBesideTheLibrary) {
  const json context = {{"ip", "10.0.0.1"},
                        {"app", {{"name", "shop"}, {"build", 17}}},
                        {"traits", {{"a", 1}}},
                        {"locale", "fr-FR"}};
  MessageFields f = valid(MessageType::track);
  f.context = &context;
  const json p = payload(f);
  json expected = context;
  expected["library"] = kLibrary;
  EXPECT_EQ(p["context"], expected);
}

TEST(Message, LibraryOverridesACallersLibrary) {
  const json context = {{"library", {{"name", "someone-else"}, {"version", "9"}}}, {"ip", "x"}};
  MessageFields f = valid(MessageType::track);
  f.context = &context;
  const BuildResult r = build(f);
  ASSERT_FALSE(r.error);
  const json p = json::parse(r.event.complete_json(kSentAt));
  EXPECT_EQ(p["context"]["library"], kLibrary);
  EXPECT_EQ(p["context"]["ip"], "x");
  const std::string& text = r.event.json_open;
  EXPECT_EQ(text.find("\"library\""), text.rfind("\"library\"")) << "no duplicate key: " << text;
}

TEST(Message, LibraryNameAndChannelComeFromTheSettings) {
  const BuildSettings web(32 * 1024, "web", "lib \"quoted\" \\ name", "0.0.1-beta+\xC3\xA9");
  const json p = payload(valid(MessageType::track), web);
  EXPECT_EQ(p["channel"], "web");
  EXPECT_EQ(p["context"]["library"],
            json({{"name", "lib \"quoted\" \\ name"}, {"version", "0.0.1-beta+\xC3\xA9"}}));
}

TEST(Message, GivenIntegrationsReplaceTheDefault) {
  const json integrations = {{"All", false}, {"Amplitude", true}, {"Mixpanel", {{"x", 1}}}};
  MessageFields f = valid(MessageType::track);
  f.integrations = &integrations;
  EXPECT_EQ(payload(f)["integrations"], integrations);
}

TEST(Message, NullIntegrationsMeanTheDefault) {
  const json null_value;
  MessageFields f = valid(MessageType::track);
  f.integrations = &null_value;
  EXPECT_EQ(payload(f)["integrations"], kAllIntegrations);
}

TEST(Message, TimestampIsSentOnlyWhenGiven) {
  MessageFields f = valid(MessageType::track);
  EXPECT_FALSE(payload(f).contains("timestamp"));
  f.timestamp_unix_ms = 1'704'067'199'999;  // 2023-12-31T23:59:59.999Z
  const json p = payload(f);
  EXPECT_EQ(p["timestamp"], "2023-12-31T23:59:59.999Z");
  EXPECT_EQ(p["originalTimestamp"], kNowIso) << "originalTimestamp stays the call's time";
}

TEST(Message, TimestampsAcrossTheWholeRangeAreSentExactly) {
  MessageFields f = valid(MessageType::track);
  const std::pair<std::int64_t, const char*> cases[] = {
      {-62'135'596'800'000, "0001-01-01T00:00:00.000Z"},  // the first instant of the range
      {253'402'300'799'999, "9999-12-31T23:59:59.999Z"},  // its last
      {10'413'792'000'000, "2300-01-01T00:00:00.000Z"},   // beyond a nanosecond clock's 2262
      {-11'676'096'000'000, "1600-01-01T00:00:00.000Z"},  // before its 1677
      {-11'670'955'200'000, "1600-02-29T12:00:00.000Z"},  // a leap day of a 400th year
      {253'281'168'000'000, "9996-02-29T00:00:00.000Z"},  // the last leap day
  };
  for (const auto& [ms, text] : cases) {
    f.timestamp_unix_ms = ms;
    EXPECT_EQ(payload(f)["timestamp"], text);
  }
}

TEST(Message, TimestampOneMillisecondOutsideTheRangeIsRefusedNamingIt) {
  MessageFields f = valid(MessageType::track);
  for (const std::int64_t ms :
       {std::int64_t{-62'135'596'800'001},  // 0000-12-31T23:59:59.999Z
        std::int64_t{253'402'300'800'000},  // 10000-01-01T00:00:00.000Z
        std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    f.timestamp_unix_ms = ms;
    const FieldError e = error_of(f);
    EXPECT_EQ(e.kind, Kind::out_of_range) << ms;
    EXPECT_EQ(e.to_string(), "timestamp: is outside the years 1 to 9999") << ms;
  }
}

TEST(Message, NullOrAbsentPropertiesAndTraitsAreEmptyObjects) {
  const json null_value;
  for (const json* value : {static_cast<const json*>(nullptr), &null_value}) {
    MessageFields track = valid(MessageType::track);
    track.properties = value;
    EXPECT_EQ(payload(track)["properties"], json::object());
    MessageFields group = valid(MessageType::group);
    group.traits = value;
    EXPECT_EQ(payload(group)["traits"], json::object());
  }
}

TEST(Message, SentAtIsTheTimeTheRequestLeaves) {
  const BuildResult r = build(valid(MessageType::track));
  ASSERT_FALSE(r.error);
  const json first = json::parse(r.event.complete_json(kSentAt));
  const json later = json::parse(r.event.complete_json(kSentAt + 60'000));
  EXPECT_EQ(first["sentAt"], kSentAtIso);
  EXPECT_EQ(later["sentAt"], "2024-01-31T12:01:05.000Z");
  json a = first, b = later;
  a.erase("sentAt");
  b.erase("sentAt");
  EXPECT_EQ(a, b) << "only sentAt changes";
}

TEST(Message, WireSizeIsTheSizeOfTheCompleteEvent) {
  const json props = {{"x", "y"}};
  MessageFields f = valid(MessageType::track);
  f.properties = &props;
  const BuildResult r = build(f);
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.event.wire_size(), r.event.complete_json(kSentAt).size());
}

TEST(Message, QuotesBackslashesAndControlCharactersRoundTrip) {
  const std::string tricky = "say \"hi\" C:\\dir\\ line\nbreak\ttab \r \b \f \x01 \x1f \x7f nul\0 "
                             "caf\xC3\xA9 \xF0\x9F\x98\x80 </script>"s;
  const json props = {{tricky, tricky}, {"list", {tricky, 1, tricky}}};
  const json context = {{"note", tricky}};
  MessageFields f = valid(MessageType::track);
  f.user_id = tricky;
  f.anonymous_id = tricky;
  f.event = tricky;
  f.message_id = tricky;
  f.properties = &props;
  f.context = &context;
  const json p = payload(f);
  EXPECT_EQ(p["userId"], tricky);
  EXPECT_EQ(p["anonymousId"], tricky);
  EXPECT_EQ(p["event"], tricky);
  EXPECT_EQ(p["messageId"], tricky);
  EXPECT_EQ(p["properties"], props);
  EXPECT_EQ(p["context"]["note"], tricky);
}

TEST(Message, CallerJsonIsWrittenAsNlohmannDumpsIt) {
  const json props = {{"int", -5},
                      {"unsigned", std::numeric_limits<std::uint64_t>::max()},
                      {"min", std::numeric_limits<std::int64_t>::min()},
                      {"fraction", 0.1},
                      {"huge", 1e300},
                      {"tiny", 5e-324},
                      {"whole", 2.0},
                      {"negative_zero", -0.0},
                      {"bool", true},
                      {"null", nullptr},
                      {"empty_array", json::array()},
                      {"nested", {{"a", {{"b", json::object()}}}, {"list", {1, "two", {3}}}}}};
  MessageFields f = valid(MessageType::track);
  f.properties = &props;
  const BuildResult r = build(f);
  ASSERT_FALSE(r.error);
  EXPECT_NE(r.event.json_open.find("\"properties\":" + props.dump()), std::string::npos)
      << r.event.json_open;
  EXPECT_EQ(json::parse(r.event.complete_json(kSentAt))["properties"], props);
}

// --- Required fields -------------------------------------------------------------------------

TEST(MessageValidation, UserIdOrAnonymousIdIsRequired) {
  for (MessageType type : {MessageType::identify, MessageType::track, MessageType::page,
                           MessageType::screen, MessageType::group}) {
    MessageFields f = valid(type);
    f.user_id = {};
    const FieldError e = error_of(f);
    EXPECT_EQ(e.kind, Kind::missing);
    EXPECT_EQ(e.field, "userId");
    EXPECT_NE(e.problem.find("anonymousId"), std::string::npos) << e.problem;
    EXPECT_EQ(e.to_string().rfind("userId: ", 0), 0u) << e.to_string();
  }
}

TEST(MessageValidation, IdsOfOnlyWhiteSpaceCountAsMissing) {
  for (const char* blank : {" ", "  \t\n ", "\u3000", "\u00A0\u2003", " \u3000 \u2028"}) {
    MessageFields f = valid(MessageType::track);
    f.user_id = blank;
    f.anonymous_id = blank;
    const FieldError e = error_of(f);
    EXPECT_EQ(e.kind, Kind::missing) << '"' << blank << '"';
    EXPECT_EQ(e.field, "userId") << '"' << blank << '"';
  }
}

TEST(MessageValidation, AliasNeedsPreviousId) {
  MessageFields f = valid(MessageType::alias);
  f.previous_id = {};
  FieldError e = error_of(f);
  EXPECT_EQ(e.kind, Kind::missing);
  EXPECT_EQ(e.field, "previousId");
  f.previous_id = "\u3000 ";
  e = error_of(f);
  EXPECT_EQ(e.kind, Kind::missing);
  EXPECT_EQ(e.field, "previousId");
}

TEST(MessageValidation, AliasNeedsUserIdEvenWithAnAnonymousId) {
  MessageFields f = valid(MessageType::alias);
  f.user_id = {};
  f.anonymous_id = "anon-7";
  FieldError e = error_of(f);
  EXPECT_EQ(e.kind, Kind::missing);
  EXPECT_EQ(e.field, "userId");
  f.user_id = "   ";
  e = error_of(f);
  EXPECT_EQ(e.kind, Kind::missing);
  EXPECT_EQ(e.field, "userId");
}

TEST(MessageValidation, TrackNeedsEvent) {
  MessageFields f = valid(MessageType::track);
  f.event = {};
  FieldError e = error_of(f);
  EXPECT_EQ(e.kind, Kind::missing);
  EXPECT_EQ(e.field, "event");
  f.event = " \t";
  EXPECT_EQ(error_of(f).field, "event");
}

TEST(MessageValidation, PageAndScreenNeedName) {
  for (MessageType type : {MessageType::page, MessageType::screen}) {
    MessageFields f = valid(type);
    f.name = {};
    FieldError e = error_of(f);
    EXPECT_EQ(e.kind, Kind::missing);
    EXPECT_EQ(e.field, "name");
    f.name = "\u3000";
    EXPECT_EQ(error_of(f).field, "name");
  }
}

TEST(MessageValidation, GroupNeedsGroupId) {
  MessageFields f = valid(MessageType::group);
  f.group_id = {};
  FieldError e = error_of(f);
  EXPECT_EQ(e.kind, Kind::missing);
  EXPECT_EQ(e.field, "groupId");
  f.group_id = "  ";
  EXPECT_EQ(error_of(f).field, "groupId");
}

TEST(MessageValidation, MessageIdOfOnlyWhiteSpaceIsRefused) {
  MessageFields f = valid(MessageType::track);
  f.message_id = "   ";
  const FieldError e = error_of(f);
  EXPECT_EQ(e.kind, Kind::invalid_value);
  EXPECT_EQ(e.field, "messageId");
  // The data plane would replace it with a new random id at every attempt, so a retry would
  // not be known for a copy.
  f.message_id = "\u200B\uFEFF";
  EXPECT_EQ(error_of(f).to_string(), "messageId: must not be only white space or invisible characters");
}

TEST(MessageValidation, IdsOfOnlyInvisibleCharactersCountAsMissing) {
  for (const char* invisible : {"\uFEFF", "\u200B", "\u2800", "\u3164", "\u00AD", "\uE000 \u2060"}) {
    MessageFields f = valid(MessageType::track);
    f.user_id = invisible;
    f.anonymous_id = "";
    EXPECT_EQ(error_of(f).to_string(), "userId: userId or anonymousId is required") << invisible;
    f.anonymous_id = "\uFEFFanon";  // one id is enough
    EXPECT_FALSE(build(f).error) << invisible;
  }
}

// --- Wrong types -----------------------------------------------------------------------------

TEST(MessageValidation, PropertiesMustBeAnObject) {
  const json list = json::array({1, 2});
  MessageFields f = valid(MessageType::track);
  f.properties = &list;
  const FieldError e = error_of(f);
  EXPECT_EQ(e.kind, Kind::wrong_type);
  EXPECT_EQ(e.field, "properties");
  EXPECT_NE(e.problem.find("array"), std::string::npos) << e.problem;
}

TEST(MessageValidation, TraitsMustBeAnObject) {
  const json text = "pro";
  MessageFields f = valid(MessageType::identify);
  f.traits = &text;
  const FieldError e = error_of(f);
  EXPECT_EQ(e.kind, Kind::wrong_type);
  EXPECT_EQ(e.field, "traits");
}

TEST(MessageValidation, ContextMustBeAnObject) {
  const json number = 5;
  MessageFields f = valid(MessageType::page);
  f.context = &number;
  const FieldError e = error_of(f);
  EXPECT_EQ(e.kind, Kind::wrong_type);
  EXPECT_EQ(e.field, "context");
}

TEST(MessageValidation, IntegrationsMustBeAnObject) {
  const json flag = true;
  MessageFields f = valid(MessageType::alias);
  f.integrations = &flag;
  const FieldError e = error_of(f);
  EXPECT_EQ(e.kind, Kind::wrong_type);
  EXPECT_EQ(e.field, "integrations");
}

// --- Unsendable values -----------------------------------------------------------------------

TEST(MessageValidation, InvalidUtf8InAnyTextFieldIsNamed) {
  const std::string bad = "bad\xC3";
  struct Case {
    MessageType type;
    std::string_view MessageFields::*member;
    const char* field;
  };
  for (const Case& c : {Case{MessageType::track, &MessageFields::user_id, "userId"},
                        Case{MessageType::track, &MessageFields::anonymous_id, "anonymousId"},
                        Case{MessageType::track, &MessageFields::event, "event"},
                        Case{MessageType::page, &MessageFields::name, "name"},
                        Case{MessageType::page, &MessageFields::category, "category"},
                        Case{MessageType::group, &MessageFields::group_id, "groupId"},
                        Case{MessageType::alias, &MessageFields::previous_id, "previousId"},
                        Case{MessageType::track, &MessageFields::message_id, "messageId"}}) {
    MessageFields f = valid(c.type);
    f.*c.member = bad;
    const FieldError e = error_of(f);
    EXPECT_EQ(e.kind, Kind::invalid_value) << c.field;
    EXPECT_EQ(e.field, c.field);
  }
}

TEST(MessageValidation, InvalidUtf8DeepInPropertiesNamesItsPath) {
  json props;
  props["items"] = json::array();
  props["items"].push_back({{"name", "ok"}});
  props["items"].push_back({{"name", "bad\xC3"}});
  MessageFields f = valid(MessageType::track);
  f.properties = &props;
  const FieldError e = error_of(f);
  EXPECT_EQ(e.kind, Kind::invalid_value);
  EXPECT_EQ(e.field, "properties.items[1].name");
  EXPECT_EQ(e.to_string(), "properties.items[1].name: string is not valid UTF-8");
}

TEST(MessageValidation, InvalidUtf8InAKeyNamesTheObjectHoldingIt) {
  json bad_key = json::object();
  bad_key["\xFF\xFE"] = 1;
  json props;
  props["items"] = json::array({json::object(), bad_key});
  MessageFields f = valid(MessageType::track);
  f.properties = &props;
  const FieldError e = error_of(f);
  EXPECT_EQ(e.kind, Kind::invalid_value);
  EXPECT_EQ(e.field, "properties.items[1]");
  EXPECT_NE(e.problem.find("key"), std::string::npos) << e.problem;
}

TEST(MessageValidation, InvalidUtf8InTraitsContextAndIntegrationsNamesThePath) {
  const json bad_traits = {{"address", {{"city", "\xED\xA0\x80"}}}};
  MessageFields identify = valid(MessageType::identify);
  identify.traits = &bad_traits;
  EXPECT_EQ(error_of(identify).field, "traits.address.city");

  const json bad_context = {{"app", {{"name", "\xC0\xAF"}}}};
  MessageFields track = valid(MessageType::track);
  track.context = &bad_context;
  EXPECT_EQ(error_of(track).field, "context.app.name");

  json bad_context_key = json::object();
  bad_context_key["\xFF"] = "x";
  track.context = &bad_context_key;
  const FieldError e = error_of(track);
  EXPECT_EQ(e.kind, Kind::invalid_value);
  EXPECT_EQ(e.field, "context");

  const json bad_integrations = {{"Amplitude", {{"key", "\xF5\x80\x80\x80"}}}};
  MessageFields page = valid(MessageType::page);
  page.integrations = &bad_integrations;
  EXPECT_EQ(error_of(page).field, "integrations.Amplitude.key");
}

TEST(MessageValidation, NonFiniteNumbersAreOutOfRangeAndNamed) {
  const double nan = std::nan("");
  const double inf = std::numeric_limits<double>::infinity();

  const json props = {{"price", nan}};
  MessageFields track = valid(MessageType::track);
  track.properties = &props;
  FieldError e = error_of(track);
  EXPECT_EQ(e.kind, Kind::out_of_range);
  EXPECT_EQ(e.field, "properties.price");

  const json nested = {{"cart", {{"items", {1.0, 2.0, inf}}}}};
  track.properties = &nested;
  e = error_of(track);
  EXPECT_EQ(e.kind, Kind::out_of_range);
  EXPECT_EQ(e.field, "properties.cart.items[2]");

  const json traits = {{"score", -inf}};
  MessageFields identify = valid(MessageType::identify);
  identify.traits = &traits;
  e = error_of(identify);
  EXPECT_EQ(e.kind, Kind::out_of_range);
  EXPECT_EQ(e.field, "traits.score");

  const json context = {{"screen", {{"density", nan}}}};
  MessageFields screen = valid(MessageType::screen);
  screen.context = &context;
  e = error_of(screen);
  EXPECT_EQ(e.kind, Kind::out_of_range);
  EXPECT_EQ(e.field, "context.screen.density");

  const json integrations = {{"Weight", inf}};
  MessageFields group = valid(MessageType::group);
  group.integrations = &integrations;
  e = error_of(group);
  EXPECT_EQ(e.kind, Kind::out_of_range);
  EXPECT_EQ(e.field, "integrations.Weight");
}

// A value whose arrays nest `levels` deep inside `key`: {"key": [[[...]]]}. Built in place,
// since building it by copies would itself recurse that deep.
json nested_object(const std::string& key, std::size_t levels) {
  json root = json::object();
  json* inner = &root[key];
  *inner = json::array();
  for (std::size_t i = 1; i < levels; ++i) {
    inner->push_back(json::array());
    inner = &inner->back();
  }
  return root;
}

TEST(MessageValidation, NestingDeeperThanTheLimitIsRefusedAndNamed) {
  // properties is level 1, so its key "k" at the limit - 1 levels is exactly at the limit.
  const json at_limit = nested_object("k", kMaxJsonDepth - 1);
  MessageFields track = valid(MessageType::track);
  track.properties = &at_limit;
  EXPECT_EQ(payload(track)["properties"], at_limit);
  // The check that names a culprit once the writer has refused a value agrees on the limit.
  EXPECT_FALSE(rudder::core::check_json_values(at_limit, "properties", 1));

  const json too_deep = nested_object("k", kMaxJsonDepth);
  track.properties = &too_deep;
  const FieldError e = error_of(track);
  EXPECT_EQ(e.kind, Kind::invalid_value);
  EXPECT_EQ(e.field, "properties.k");
  EXPECT_NE(e.problem.find("nested deeper than"), std::string::npos) << e.problem;

  const json context_too_deep = nested_object("app", kMaxJsonDepth);
  track.properties = nullptr;
  track.context = &context_too_deep;
  EXPECT_EQ(error_of(track).field, "context.app");
}

TEST(MessageValidation, ARunawayNestingIsRefusedWithoutExhaustingTheStack) {
  // 200,000 levels would overflow any thread's stack if anything walked it recursively.
  const json runaway = nested_object("tree", 200'000);
  MessageFields identify = valid(MessageType::identify);
  identify.traits = &runaway;
  EXPECT_EQ(error_of(identify).field, "traits.tree");

  // The caller's context.traits merged under identify's traits is not copied either.
  const json context = {{"traits", {{"plan", "free"}}}};
  const json ok_traits = {{"plan", "pro"}};
  identify.context = &runaway;  // context.tree, far too deep
  identify.traits = &ok_traits;
  EXPECT_EQ(error_of(identify).field, "context.tree");
  json deep_context_traits = json::object();
  deep_context_traits["traits"] = nested_object("tree", 200'000);  // moved, not copied
  identify.context = &deep_context_traits;
  EXPECT_EQ(error_of(identify).field, "context.traits.tree");
  identify.context = &context;
  EXPECT_EQ(payload(identify)["context"]["traits"], json({{"plan", "pro"}}));
}

// --- Size ------------------------------------------------------------------------------------

TEST(MessageSize, AMessageOverTheLimitNamesItsLargestField) {
  const std::string big(40'000, 'x');
  const json big_props = {{"blob", big}};
  MessageFields track = valid(MessageType::track);
  track.properties = &big_props;
  FieldError e = error_of(track);
  EXPECT_EQ(e.kind, Kind::out_of_range);
  EXPECT_EQ(e.field, "properties.blob") << "the member that makes it large";
  EXPECT_NE(e.problem.find("max_message_bytes"), std::string::npos) << e.problem;

  // Down through objects to the largest member; an array is named as a whole.
  const json nested = {{"small", "x"}, {"order", {{"id", 7}, {"notes", big}}}};
  track.properties = &nested;
  EXPECT_EQ(error_of(track).field, "properties.order.notes");
  const json listed = {{"items", json::array({big})}, {"n", 1}};
  track.properties = &listed;
  EXPECT_EQ(error_of(track).field, "properties.items");
  const json spread = {{"a", std::string(20'000, 'a')}, {"b", std::string(21'000, 'b')}};
  track.properties = &spread;
  EXPECT_EQ(error_of(track).field, "properties.b") << "the larger of two";

  MessageFields named = valid(MessageType::track);
  named.event = big;
  EXPECT_EQ(error_of(named).field, "event");

  MessageFields given_id = valid(MessageType::track);
  given_id.message_id = big;
  EXPECT_EQ(error_of(given_id).field, "messageId") << "written before the other fields, measured too";

  // Many small members make it large, none alone: the object is to blame, not one of them.
  json many;
  for (int i = 0; i < 4000; ++i) many["k" + std::to_string(i)] = "value";
  track.properties = &many;
  EXPECT_EQ(error_of(track).field, "properties");
  const json many_inside = {{"small", 1}, {"cart", many}};
  track.properties = &many_inside;
  EXPECT_EQ(error_of(track).field, "properties.cart") << "down to the object that alone makes it large";
  // identify writes its traits twice (and in context.traits): a member that is most of them
  // is to blame although the excess is more than its size.
  const json cart = {{"cart", {{"notes", std::string(40'000, 'x')}}}, {"plan", "pro"}};
  MessageFields identify = valid(MessageType::identify);
  identify.traits = &cart;
  EXPECT_EQ(error_of(identify).field, "traits.cart.notes");

  MessageFields long_id = valid(MessageType::track);
  long_id.anonymous_id = big;
  EXPECT_EQ(error_of(long_id).field, "anonymousId");

  const json big_context = {{"page", {{"html", big}}}};
  MessageFields with_context = valid(MessageType::page);
  with_context.context = &big_context;
  EXPECT_EQ(error_of(with_context).field, "context");

  const json big_integrations = {{"Custom", big}};
  MessageFields with_integrations = valid(MessageType::screen);
  with_integrations.integrations = &big_integrations;
  EXPECT_EQ(error_of(with_integrations).field, "integrations.Custom");
}

TEST(MessageSize, WhatTheClientAddsItselfIsNeverBlamed) {
  // A browser client adds the page's context and the remembered traits; when a message is
  // too large, the caller is told which of its own fields to trim.
  const BuildSettings small(4096, "web", "rudder-cpp-test", "1.2.3");
  const json blob = {{"blob", std::string(2000, 'x')}};
  const std::string page_context = R"({"page":{"url":"https://h/)" + std::string(3000, 'p') + R"("}})";
  const std::string kept_traits = R"({"bio":")" + std::string(3000, 't') + R"("})";
  rudder::core::Ambient with_page;
  with_page.anonymous_id = "anon";
  with_page.context = page_context;
  rudder::core::Ambient with_traits;
  with_traits.anonymous_id = "anon";
  with_traits.traits = kept_traits;
  for (const rudder::core::Ambient* ambient : {&with_page, &with_traits}) {
    MessageFields track = valid(MessageType::track);
    track.properties = &blob;
    track.ambient = ambient;
    const FieldError e = error_of(track, small);
    EXPECT_EQ(e.kind, Kind::out_of_range);
    EXPECT_EQ(e.field, "properties.blob") << (ambient == &with_page ? "the page's context" : "the kept traits");
  }
}

TEST(MessageSize, AMembersKeyCountsTowardsItsSize) {
  const BuildSettings small(4096, "server", "rudder-cpp-test", "1.2.3");
  const std::string long_key(3000, 'k');
  const json props = {{long_key, "v"}, {"b", std::string(2000, 'x')}};
  MessageFields track = valid(MessageType::track);
  track.properties = &props;
  EXPECT_EQ(error_of(track, small).field, "properties." + long_key);
}

TEST(MessageSize, IdentifyWithLargeTraitsBlamesTraits) {
  // The traits are copied into context.traits; the caller gave no context to blame.
  const json big_traits = {{"bio", std::string(20'000, 'x')}};
  MessageFields f = valid(MessageType::identify);
  f.traits = &big_traits;
  const FieldError e = error_of(f);
  EXPECT_EQ(e.kind, Kind::out_of_range);
  EXPECT_EQ(e.field, "traits.bio");
}

TEST(MessageSize, GroupWithLargeTraitsBlamesTraits) {
  const json big_traits = {{"bio", std::string(40'000, 'x')}};
  MessageFields f = valid(MessageType::group);
  f.traits = &big_traits;
  EXPECT_EQ(error_of(f).field, "traits.bio");
}

TEST(MessageSize, ExactlyAtTheLimitIsAcceptedAndOneByteOverIsNot) {
  const json props = {{"blob", std::string(1000, 'x')}};
  MessageFields f = valid(MessageType::track);
  f.properties = &props;
  f.message_id = "fixed-id";

  const BuildSettings roomy(1 << 20, "server", "rudder-cpp-test", "1.2.3");
  const BuildResult measured = build(f, roomy);
  ASSERT_FALSE(measured.error);
  const std::size_t size = measured.event.wire_size();
  ASSERT_EQ(size, measured.event.complete_json(kSentAt).size());

  const BuildSettings exact(size, "server", "rudder-cpp-test", "1.2.3");
  const BuildResult at_limit = build(f, exact);
  EXPECT_FALSE(at_limit.error) << at_limit.error->to_string();
  EXPECT_EQ(at_limit.event.json_open, measured.event.json_open);

  const BuildSettings one_less(size - 1, "server", "rudder-cpp-test", "1.2.3");
  const FieldError e = error_of(f, one_less);
  EXPECT_EQ(e.kind, Kind::out_of_range);
  EXPECT_EQ(e.field, "properties.blob");

  const json one_more = {{"blob", std::string(1001, 'x')}};
  f.properties = &one_more;
  EXPECT_EQ(error_of(f, exact).field, "properties.blob");
}

TEST(MessageSize, EscapesCountTowardsTheLimit) {
  // 1000 newlines are 2000 bytes on the wire.
  const json plain = {{"blob", std::string(1000, 'x')}};
  const json escaped = {{"blob", std::string(1000, '\n')}};
  MessageFields f = valid(MessageType::track);
  f.message_id = "fixed-id";
  f.properties = &plain;
  const BuildSettings roomy(1 << 20, "server", "rudder-cpp-test", "1.2.3");
  const std::size_t plain_size = build(f, roomy).event.wire_size();
  f.properties = &escaped;
  EXPECT_EQ(build(f, roomy).event.wire_size(), plain_size + 1000);
  const BuildSettings limit(plain_size, "server", "rudder-cpp-test", "1.2.3");
  EXPECT_EQ(error_of(f, limit).field, "properties.blob");
}

}  // namespace
