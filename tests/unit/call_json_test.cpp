// rudder-analytics tests: calls given as one JSON object (CLI NDJSON input, JavaScript API).
// Copyright the rudder-analytics authors. MIT licence.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/message.hpp"

namespace {

using json = nlohmann::json;
using rudder::core::build_message;
using rudder::core::BuildSettings;
using rudder::core::FieldError;
using rudder::core::MessageType;
using rudder::core::parse_call;
using rudder::core::parse_call_of_type;
using rudder::core::ParsedCall;
using rudder::core::Rng;
using Kind = FieldError::Kind;

constexpr std::int64_t kNow = 1'706'702'400'000;      // 2024-01-31T12:00:00.000Z
constexpr std::int64_t kJan31Noon2024 = 1'706'702'400'000;

// Parses `input` and builds the message, as the CLI does; returns the payload.
json built(const json& input) {
  ParsedCall call;
  if (auto e = parse_call(input, call)) {
    ADD_FAILURE() << "parse refused " << input.dump() << ": " << e->to_string();
    return json::object();
  }
  static const BuildSettings settings(32 * 1024, "server", "rudder-cpp-test", "1.2.3");
  Rng rng(3);
  const auto result = build_message(call.fields, settings, kNow, rng);
  if (result.error) {
    ADD_FAILURE() << "build refused " << input.dump() << ": " << result.error->to_string();
    return json::object();
  }
  return json::parse(result.event.complete_json(kNow));
}

FieldError parse_error(const json& input) {
  ParsedCall call;
  auto e = parse_call(input, call);
  if (!e) {
    ADD_FAILURE() << "accepted: " << input.dump();
    return FieldError{Kind::missing, "<accepted>", ""};
  }
  return *e;
}

TEST(ParseCall, ReadsATrackCallIntoItsPayload) {
  const json input = {{"type", "track"},
                      {"userId", "u-1"},
                      {"anonymousId", "a-1"},
                      {"messageId", "m-1"},
                      {"event", "Order Completed"},
                      {"properties", {{"total", 30}}},
                      {"context", {{"ip", "10.0.0.1"}}},
                      {"integrations", {{"All", false}}}};
  const json p = built(input);
  EXPECT_EQ(p["type"], "track");
  EXPECT_EQ(p["userId"], "u-1");
  EXPECT_EQ(p["anonymousId"], "a-1");
  EXPECT_EQ(p["messageId"], "m-1");
  EXPECT_EQ(p["event"], "Order Completed");
  EXPECT_EQ(p["properties"], input["properties"]);
  EXPECT_EQ(p["context"]["ip"], "10.0.0.1");
  EXPECT_EQ(p["integrations"], input["integrations"]);
}

TEST(ParseCall, ReadsEveryTypesOwnFields) {
  EXPECT_EQ(built({{"type", "identify"}, {"userId", "u"}, {"traits", {{"a", 1}}}})["traits"],
            json({{"a", 1}}));
  const json page = built({{"type", "page"}, {"userId", "u"}, {"name", "Home"},
                           {"category", "Docs"}, {"properties", {{"p", 1}}}});
  EXPECT_EQ(page["type"], "page");
  EXPECT_EQ(page["name"], "Home");
  EXPECT_EQ(page["category"], "Docs");
  EXPECT_EQ(page["properties"], json({{"p", 1}}));
  const json screen = built({{"type", "screen"}, {"anonymousId", "a"}, {"name", "Main"}});
  EXPECT_EQ(screen["type"], "screen");
  EXPECT_EQ(screen["name"], "Main");
  const json group = built({{"type", "group"}, {"userId", "u"}, {"groupId", "g"},
                            {"traits", {{"size", 5}}}});
  EXPECT_EQ(group["groupId"], "g");
  EXPECT_EQ(group["traits"], json({{"size", 5}}));
  const json alias = built({{"type", "alias"}, {"userId", "u"}, {"previousId", "old"}});
  EXPECT_EQ(alias["type"], "alias");
  EXPECT_EQ(alias["previousId"], "old");
}

TEST(ParseCall, IntegerIdsBecomeTheirDecimalText) {
  const json identify = built({{"type", "identify"}, {"userId", 42}, {"anonymousId", -7}});
  EXPECT_EQ(identify["userId"], "42");
  EXPECT_EQ(identify["anonymousId"], "-7");
  const json group = built({{"type", "group"},
                            {"userId", 0},
                            {"groupId", std::numeric_limits<std::uint64_t>::max()}});
  EXPECT_EQ(group["userId"], "0");
  EXPECT_EQ(group["groupId"], "18446744073709551615");
  const json alias = built({{"type", "alias"},
                            {"userId", std::numeric_limits<std::int64_t>::min()},
                            {"previousId", 123456789012345}});
  EXPECT_EQ(alias["userId"], "-9223372036854775808");
  EXPECT_EQ(alias["previousId"], "123456789012345");
}

TEST(ParseCall, IntegerIdsParsedFromTextBecomeDecimalText) {
  const json p = built(json::parse(R"({"type":"track","userId":1234567890123,"event":"E"})"));
  EXPECT_EQ(p["userId"], "1234567890123");
}

TEST(ParseCall, FloatIdsAreRefusedByName) {
  FieldError e = parse_error({{"type", "track"}, {"userId", 1.5}, {"event", "E"}});
  EXPECT_EQ(e.kind, Kind::wrong_type);
  EXPECT_EQ(e.field, "userId");
  e = parse_error(json::parse(R"({"type":"alias","userId":"u","previousId":1.0})"));
  EXPECT_EQ(e.kind, Kind::wrong_type);
  EXPECT_EQ(e.field, "previousId");
}

TEST(ParseCall, ObjectArrayAndBooleanIdsAreRefusedByName) {
  FieldError e = parse_error({{"type", "track"}, {"anonymousId", {{"id", 1}}}, {"event", "E"}});
  EXPECT_EQ(e.kind, Kind::wrong_type);
  EXPECT_EQ(e.field, "anonymousId");
  e = parse_error({{"type", "group"}, {"userId", "u"}, {"groupId", {1, 2}}});
  EXPECT_EQ(e.field, "groupId");
  e = parse_error({{"type", "identify"}, {"userId", true}});
  EXPECT_EQ(e.kind, Kind::wrong_type);
  EXPECT_EQ(e.field, "userId");
}

TEST(ParseCall, TextFieldsMustBeStrings) {
  FieldError e = parse_error({{"type", "track"}, {"userId", "u"}, {"event", 5}});
  EXPECT_EQ(e.kind, Kind::wrong_type);
  EXPECT_EQ(e.field, "event");
  EXPECT_EQ(parse_error({{"type", "page"}, {"userId", "u"}, {"name", {{"a", 1}}}}).field, "name");
  EXPECT_EQ(parse_error({{"type", "page"}, {"userId", "u"}, {"name", "n"}, {"category", 1}}).field,
            "category");
  e = parse_error({{"type", "track"}, {"userId", "u"}, {"event", "E"}, {"messageId", 12}});
  EXPECT_EQ(e.kind, Kind::wrong_type);
  EXPECT_EQ(e.field, "messageId");
}

TEST(ParseCall, UnknownFieldIsRefusedByName) {
  const FieldError e = parse_error({{"type", "track"}, {"userId", "u"}, {"evnet", "typo"}});
  EXPECT_EQ(e.kind, Kind::invalid_value);
  EXPECT_EQ(e.field, "evnet");
  EXPECT_NE(e.problem.find("track"), std::string::npos) << e.problem;
}

TEST(ParseCall, FieldOfAnotherTypeIsRefusedByName) {
  FieldError e = parse_error({{"type", "identify"}, {"userId", "u"}, {"event", "E"}});
  EXPECT_EQ(e.kind, Kind::invalid_value);
  EXPECT_EQ(e.field, "event");
  EXPECT_EQ(e.to_string(), "event: is not a field of identify");
  EXPECT_EQ(parse_error({{"type", "track"}, {"userId", "u"}, {"event", "E"}, {"traits", json::object()}}).field,
            "traits");
  EXPECT_EQ(parse_error({{"type", "alias"}, {"userId", "u"}, {"previousId", "p"}, {"properties", json::object()}}).field,
            "properties");
  EXPECT_EQ(parse_error({{"type", "group"}, {"userId", "u"}, {"groupId", "g"}, {"name", "n"}}).field,
            "name");
  EXPECT_EQ(parse_error({{"type", "screen"}, {"userId", "u"}, {"name", "n"}, {"groupId", "g"}}).field,
            "groupId");
  EXPECT_EQ(parse_error({{"type", "identify"}, {"userId", "u"}, {"previousId", "p"}}).field,
            "previousId");
  EXPECT_EQ(parse_error({{"type", "identify"}, {"userId", "u"}, {"properties", json::object()}}).to_string(),
            "properties: is not a field of identify");
  EXPECT_EQ(parse_error({{"type", "alias"}, {"userId", "u"}, {"previousId", "p"}, {"traits", json::object()}}).to_string(),
            "traits: is not a field of alias");
}

TEST(ParseCall, MissingTypeIsRefused) {
  FieldError e = parse_error({{"userId", "u"}, {"event", "E"}});
  EXPECT_EQ(e.kind, Kind::missing);
  EXPECT_EQ(e.field, "type");
  e = parse_error({{"type", nullptr}, {"userId", "u"}});
  EXPECT_EQ(e.kind, Kind::missing);
  EXPECT_EQ(e.field, "type");
}

TEST(ParseCall, UnknownTypeIsRefused) {
  FieldError e = parse_error({{"type", "click"}, {"userId", "u"}});
  EXPECT_EQ(e.kind, Kind::invalid_value);
  EXPECT_EQ(e.field, "type");
  EXPECT_NE(e.problem.find("click"), std::string::npos) << e.problem;
  EXPECT_EQ(parse_error({{"type", "Track"}, {"userId", "u"}}).field, "type");
  e = parse_error({{"type", 1}, {"userId", "u"}});
  EXPECT_EQ(e.kind, Kind::wrong_type);
  EXPECT_EQ(e.field, "type");
}

TEST(ParseCallText, TextThatIsNotJsonIsInvalidNotOfAnotherType) {
  ParsedCall call;
  for (const char* text : {"xyz", "{\"userId\":", "", "nope", "123abc", "[1,", "\"open"}) {
    const auto e = rudder::core::parse_call_text(MessageType::track, text, call);
    ASSERT_TRUE(e) << text;
    EXPECT_EQ(e->kind, Kind::invalid_value) << text;
    EXPECT_EQ(e->to_string(), "message: is not valid JSON") << text;
  }
  // Well-formed JSON of another kind is told as that kind.
  for (const auto& [text, kind] : std::vector<std::pair<std::string, std::string>>{
           {"null", "null"}, {"[1]", "array"}, {"12", "number"}, {"\"track\"", "string"}, {"true", "boolean"}}) {
    const auto e = rudder::core::parse_call_text(MessageType::track, text, call);
    ASSERT_TRUE(e) << text;
    EXPECT_EQ(e->kind, Kind::wrong_type) << text;
    EXPECT_EQ(e->to_string(), "message: must be a JSON object, not " + kind) << text;
  }
}

TEST(ParseCall, InputMustBeAnObject) {
  for (const json& input : {json::array({1, 2}), json("track"), json(3), json()}) {
    const FieldError e = parse_error(input);
    EXPECT_EQ(e.kind, Kind::wrong_type) << input.dump();
    EXPECT_EQ(e.field, "message") << input.dump();
  }
}

TEST(ParseCall, TimestampAsRfc3339TextWithOffset) {
  const json p = built({{"type", "track"}, {"userId", "u"}, {"event", "E"},
                        {"timestamp", "2024-01-31T14:00:00.250+02:00"}});
  EXPECT_EQ(p["timestamp"], "2024-01-31T12:00:00.250Z");
  ParsedCall call;
  ASSERT_FALSE(parse_call({{"type", "track"}, {"timestamp", "2024-01-31T12:00:00Z"}}, call));
  EXPECT_EQ(call.fields.timestamp_unix_ms, kJan31Noon2024);
}

TEST(ParseCall, TimestampAsMillisecondsSinceTheEpoch) {
  const json p = built({{"type", "track"}, {"userId", "u"}, {"event", "E"},
                        {"timestamp", kJan31Noon2024 + 7}});
  EXPECT_EQ(p["timestamp"], "2024-01-31T12:00:00.007Z");
  ParsedCall call;
  ASSERT_FALSE(parse_call({{"type", "track"}, {"timestamp", 1'706'702'400'007.9}}, call));
  EXPECT_EQ(call.fields.timestamp_unix_ms, kJan31Noon2024 + 7) << "fractions of a ms dropped";
  ASSERT_FALSE(parse_call({{"type", "track"}, {"timestamp", -100'000'000'001}}, call));
  EXPECT_EQ(call.fields.timestamp_unix_ms, -100'000'000'001);
  ASSERT_FALSE(parse_call({{"type", "track"}, {"timestamp", -100'000'000'000.5}}, call));
  EXPECT_EQ(call.fields.timestamp_unix_ms, -100'000'000'001) << "before 1970 too, toward the past";
  // Within 3 years of 1970: seconds taken for milliseconds (see read_timestamp).
  for (const double seconds : {-1.0, 0.0, 1'700'000'000.0}) {
    const std::optional<FieldError> e = parse_call({{"type", "track"}, {"timestamp", seconds}}, call);
    ASSERT_TRUE(e) << seconds;
    EXPECT_EQ(e->field, "timestamp");
  }
}

TEST(ParseCall, UnreadableTimestampIsRefused) {
  for (const json& bad : {json("yesterday"), json("2024-01-31"), json("2024-01-31T12:00:00"),
                          json("1706702400000")}) {
    const FieldError e = parse_error({{"type", "track"}, {"userId", "u"}, {"timestamp", bad}});
    EXPECT_EQ(e.kind, Kind::invalid_value) << bad.dump();
    EXPECT_EQ(e.field, "timestamp") << bad.dump();
  }
  for (const json& bad : {json(true), json::object(), json::array()}) {
    const FieldError e = parse_error({{"type", "track"}, {"userId", "u"}, {"timestamp", bad}});
    EXPECT_EQ(e.kind, Kind::wrong_type) << bad.dump();
    EXPECT_EQ(e.field, "timestamp") << bad.dump();
  }
  const FieldError e = parse_error({{"type", "track"}, {"userId", "u"}, {"timestamp", 1e300}});
  EXPECT_EQ(e.kind, Kind::out_of_range);
  EXPECT_EQ(e.field, "timestamp");
}

// Parses and builds `input`; what was refused, by parse or build, as "field: problem".
std::string refusal(const json& input) {
  ParsedCall call;
  if (auto e = parse_call(input, call)) return e->to_string();
  static const BuildSettings settings(32 * 1024, "server", "rudder-cpp-test", "1.2.3");
  Rng rng(3);
  const auto result = build_message(call.fields, settings, kNow, rng);
  if (result.error) return result.error->to_string();
  ADD_FAILURE() << "accepted: " << input.dump();
  return "<accepted>";
}

json track_at(const json& timestamp) {
  return {{"type", "track"}, {"userId", "u"}, {"event", "E"}, {"timestamp", timestamp}};
}

TEST(ParseCall, TimestampTextAcrossTheWholeRangeIsSentExactly) {
  const std::pair<const char*, const char*> cases[] = {
      {"0001-01-01T00:00:00.000Z", "0001-01-01T00:00:00.000Z"},
      {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"},
      {"9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"},
      {"9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999Z"},
      {"2300-01-01T00:00:00Z", "2300-01-01T00:00:00.000Z"},
      {"1600-01-01T00:00:00Z", "1600-01-01T00:00:00.000Z"},
      {"1600-02-29T12:00:00.000Z", "1600-02-29T12:00:00.000Z"},
      {"2000-02-29T23:59:59.999Z", "2000-02-29T23:59:59.999Z"},
      {"9996-02-29T00:00:00Z", "9996-02-29T00:00:00.000Z"},
      // Offsets that keep the instant inside the range, from either side of its ends.
      {"0000-12-31T23:00:00-01:00", "0001-01-01T00:00:00.000Z"},
      {"0001-01-01T00:00:00-00:01", "0001-01-01T00:01:00.000Z"},
      {"9999-12-31T23:59:59.999+00:01", "9999-12-31T23:58:59.999Z"},
  };
  for (const auto& [given, sent] : cases) {
    EXPECT_EQ(built(track_at(given))["timestamp"], sent) << given;
  }
}

TEST(ParseCall, TimestampMillisecondsAtTheEndsOfTheRangeAreSentExactly) {
  EXPECT_EQ(built(track_at(-62'135'596'800'000))["timestamp"], "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(built(track_at(253'402'300'799'999))["timestamp"], "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(built(track_at(253'402'300'799'999.9))["timestamp"], "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(built(track_at(10'413'792'000'000))["timestamp"], "2300-01-01T00:00:00.000Z");
  EXPECT_EQ(built(track_at(-11'676'096'000'000))["timestamp"], "1600-01-01T00:00:00.000Z");
}

TEST(ParseCall, TimestampOutsideTheRangeIsRefusedNamingIt) {
  const std::string outside = "timestamp: is outside the years 1 to 9999";
  for (const json& bad :
       {json("0000-12-31T23:59:59.999Z"), json("0000-01-01T00:00:00Z"),
        json("9999-12-31T23:59:59.999-00:01"),  // 10000-01-01T00:00:59.999Z
        json("9999-12-31T20:00:00-23:59"),
        json("0001-01-01T00:00:00+00:01"),  // 0000-12-31T23:59:00Z
        json(-62'135'596'800'001), json(253'402'300'800'000), json(-62'135'596'800'000.5),
        json(253'402'300'800'000.0), json(std::numeric_limits<std::int64_t>::min()),
        json(std::numeric_limits<std::uint64_t>::max()), json(1e300), json(-1e300)}) {
    EXPECT_EQ(refusal(track_at(bad)), outside) << bad.dump();
  }
  // Not RFC 3339, whose years have four digits: refused as unreadable, naming the field too.
  for (const json& bad : {json("10000-01-01T00:00:00Z"), json("+010000-01-01T00:00:00.000Z"),
                          json("-000001-01-01T00:00:00.000Z")}) {
    const FieldError e = parse_error(track_at(bad));
    EXPECT_EQ(e.field, "timestamp") << bad.dump();
    EXPECT_EQ(e.kind, Kind::invalid_value) << bad.dump();
  }
}

// The same call given as JSON text (the JavaScript package's form): read without a tree, it
// must send or refuse each timestamp exactly as the tree form does.
std::string built_from_text(const std::string& text, std::string& error) {
  ParsedCall call;
  if (auto e = rudder::core::parse_call_text(MessageType::track, text, call)) {
    error = e->to_string();
    return {};
  }
  static const BuildSettings settings(32 * 1024, "server", "rudder-cpp-test", "1.2.3");
  Rng rng(3);
  const auto result = build_message(call.fields, settings, kNow, rng);
  if (result.error) {
    error = result.error->to_string();
    return {};
  }
  error.clear();
  return result.event.complete_json(kNow);
}

TEST(ParseCallText, TimestampsAcrossTheWholeRangeAreSentExactlyAsFromATree) {
  const std::pair<const char*, const char*> cases[] = {
      {R"("0001-01-01T00:00:00.000Z")", "0001-01-01T00:00:00.000Z"},
      {R"("9999-12-31T23:59:59.999Z")", "9999-12-31T23:59:59.999Z"},
      {R"("2300-01-01T00:00:00Z")", "2300-01-01T00:00:00.000Z"},
      {R"("1600-01-01T00:00:00Z")", "1600-01-01T00:00:00.000Z"},
      {R"("1600-02-29T12:00:00.000Z")", "1600-02-29T12:00:00.000Z"},
      {R"("0000-12-31T23:00:00-01:00")", "0001-01-01T00:00:00.000Z"},
      {R"("9999-12-31T23:59:59.999+00:01")", "9999-12-31T23:58:59.999Z"},
      {"-62135596800000", "0001-01-01T00:00:00.000Z"},
      {"253402300799999", "9999-12-31T23:59:59.999Z"},
      {"2.534023007999999e14", "9999-12-31T23:59:59.999Z"},
      {"10413792000000", "2300-01-01T00:00:00.000Z"},
  };
  for (const auto& [timestamp, sent] : cases) {
    const std::string text =
        R"({"userId":"u","event":"E","timestamp":)" + std::string(timestamp) + "}";
    std::string error;
    const std::string event = built_from_text(text, error);
    ASSERT_EQ(error, "") << text;
    EXPECT_EQ(json::parse(event)["timestamp"], sent) << text;
    json tree = json::parse(text);
    tree["type"] = "track";
    EXPECT_EQ(json::parse(event), built(tree)) << text;
  }
}

TEST(ParseCallText, TimestampsOutsideTheRangeAreRefusedAsFromATree) {
  for (const char* timestamp :
       {R"("0000-12-31T23:59:59.999Z")", R"("9999-12-31T23:59:59.999-00:01")",
        R"("0001-01-01T00:00:00+00:01")", "-62135596800001", "253402300800000", "-62135596800000.5",
        "2.534023008e14", "-9223372036854775808", "18446744073709551615", "1e300", "-1e300",
        R"("10000-01-01T00:00:00Z")", R"("+010000-01-01T00:00:00.000Z")"}) {
    const std::string text =
        R"({"userId":"u","event":"E","timestamp":)" + std::string(timestamp) + "}";
    std::string error;
    built_from_text(text, error);
    json tree = json::parse(text);
    tree["type"] = "track";
    EXPECT_EQ(error.rfind("timestamp: ", 0), 0u) << text << " gave " << error;
    EXPECT_EQ(error, refusal(tree)) << text;
  }
}

TEST(ParseCall, NullMeansNotGiven) {
  const json p = built({{"type", "track"}, {"userId", "u"}, {"anonymousId", nullptr},
                        {"event", "E"}, {"properties", nullptr}, {"timestamp", nullptr},
                        {"messageId", nullptr}, {"context", nullptr}, {"integrations", nullptr}});
  EXPECT_FALSE(p.contains("anonymousId"));
  EXPECT_FALSE(p.contains("timestamp"));
  EXPECT_EQ(p["properties"], json::object());
  EXPECT_EQ(p["integrations"], json({{"All", true}}));
}

TEST(ParseCall, ParsingAgainForgetsTheLastCallsFields) {
  ParsedCall call;
  ASSERT_FALSE(parse_call({{"type", "track"}, {"userId", 5}, {"event", "E"},
                           {"properties", {{"a", 1}}}, {"timestamp", kJan31Noon2024}},
                          call));
  ASSERT_FALSE(parse_call({{"type", "identify"}, {"anonymousId", "a"}}, call));
  EXPECT_EQ(call.fields.type, MessageType::identify);
  EXPECT_TRUE(call.fields.user_id.empty());
  EXPECT_TRUE(call.fields.event.empty());
  EXPECT_EQ(call.fields.properties.tree, nullptr);
  EXPECT_TRUE(call.fields.properties.text.empty());
  EXPECT_FALSE(call.fields.timestamp_unix_ms.has_value());
}

TEST(ParseCallOfType, TypeMayBeLeftOut) {
  ParsedCall call;
  const json input = {{"userId", "u"}, {"event", "E"}};
  ASSERT_FALSE(parse_call_of_type(MessageType::track, input, call));
  EXPECT_EQ(call.fields.type, MessageType::track);
  EXPECT_EQ(call.fields.event, "E");
}

TEST(ParseCallOfType, MatchingTypeIsAccepted) {
  ParsedCall call;
  EXPECT_FALSE(parse_call_of_type(MessageType::page, {{"type", "page"}, {"name", "n"}}, call));
}

TEST(ParseCallOfType, ConflictingTypeIsRefused) {
  ParsedCall call;
  const auto e = parse_call_of_type(MessageType::track, {{"type", "identify"}, {"userId", "u"}}, call);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, Kind::invalid_value);
  EXPECT_EQ(e->field, "type");
  EXPECT_NE(e->problem.find("track"), std::string::npos) << e->problem;
  EXPECT_TRUE(parse_call_of_type(MessageType::track, {{"type", 7}}, call));
}

TEST(ParseCallOfType, ChecksFieldsAgainstTheGivenType) {
  ParsedCall call;
  const auto e = parse_call_of_type(MessageType::identify, {{"userId", "u"}, {"event", "E"}}, call);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->field, "event");
}

}  // namespace

// The C API's submit reads the type from the text itself: every message is accepted or
// refused, with the same field, kind and wording, as the tree form (parse_call) does.
TEST(ParseCallTextWithType, AcceptsAndRefusesExactlyAsTheTreeForm) {
  const char* messages[] = {
      R"({"type":"track","userId":"u","event":"E"})",
      R"({"userId":"u","type":"identify","traits":{"a":1}})",
      R"({"type":"alias","previousId":"p","userId":"u"})",
      R"({"type":"page","anonymousId":7,"name":"Home"})",
      R"({"userId":"u","event":"E"})",
      R"({"type":null,"userId":"u","event":"E"})",
      R"({"type":5,"userId":"u","event":"E"})",
      R"({"type":"bogus","userId":"u"})",
      R"({"type":"track","userId":"u"})",
      R"({"type":"group","userId":"u","groupId":"g","event":"E"})",
      R"([1,2])",
  };
  for (const char* text : messages) {
    ParsedCall from_text;
    ParsedCall from_tree;
    const auto text_error = rudder::core::parse_call_text(std::string_view(text), from_text);
    const auto tree_error = parse_call(json::parse(text), from_tree);
    ASSERT_EQ(text_error.has_value(), tree_error.has_value()) << text;
    if (text_error) {
      EXPECT_EQ(text_error->to_string(), tree_error->to_string()) << text;
      EXPECT_EQ(text_error->kind, tree_error->kind) << text;
    } else {
      EXPECT_EQ(from_text.fields.type, from_tree.fields.type) << text;
    }
  }
  ParsedCall call;
  EXPECT_EQ(rudder::core::parse_call_text(std::string_view(R"({"type":"track",)"), call)->to_string(),
            "message: is not valid JSON");
}
