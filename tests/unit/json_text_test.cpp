// rudder-analytics tests: a caller's JSON given as text is checked and written exactly as the
// same value given as a tree would be, without building the tree.
// Copyright the rudder-analytics authors. MIT licence.
#include <limits>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/json_check.hpp"
#include "core/json_text.hpp"
#include "core/message.hpp"

namespace {

using json = nlohmann::json;
using rudder::core::BuildResult;
using rudder::core::BuildSettings;
using rudder::core::check_json_text;
using rudder::core::decode_json_string;
using rudder::core::json_text_integer;
using rudder::core::json_text_members;
using rudder::core::json_text_number;
using rudder::core::JsonTextMember;
using rudder::core::MessageType;
using rudder::core::ParsedCall;
using rudder::core::Rng;
using rudder::core::write_checked_json_text;

std::string written(const std::string& text) {
  std::string out;
  EXPECT_TRUE(write_checked_json_text(text, out)) << text;
  return out;
}

std::string problem(const std::string& text, const std::string& field = "properties") {
  std::string out;
  EXPECT_FALSE(write_checked_json_text(text, out)) << text;
  const auto e = check_json_text(text, field);
  return e ? e->to_string() : "(no problem found)";
}

TEST(JsonText, WritesTheValueWithoutWhiteSpaceKeepingEscapesAndNumbers) {
  EXPECT_EQ(written(" { \"a\" : [ 1 , 2.5e-3 , -0 ] ,\n\t\"b\\n\\u00e9\" : { } , \"c\" : [ ] } "),
            R"({"a":[1,2.5e-3,-0],"b\n\u00e9":{},"c":[]})");
  EXPECT_EQ(written(R"("Gr\u00fc\u00dfe \ud83d\udc4b 日本 \/ \" \\")"), R"("Gr\u00fc\u00dfe \ud83d\udc4b 日本 \/ \" \\")");
  EXPECT_EQ(written("true"), "true");
  EXPECT_EQ(written("null"), "null");
}

TEST(JsonText, ReadsTheSameValueATreeWouldHold) {
  for (const std::string text : {R"({"revenue":19.99,"items":[{"sku":"a","qty":2}],"ok":true,"none":null})",
                                 R"({"text":"Grüße 👋 \"q\" \\ \n \u0001 日本","big":1e21,"small":5e-7})",
                                 R"([[[]],{},"",0,-1.5,1E+2])"}) {
    EXPECT_EQ(json::parse(written(text)), json::parse(text)) << text;
  }
}

TEST(JsonText, RefusesStringsThatAreNotUnicodeNamingTheField) {
  EXPECT_EQ(problem("{\"a\":\"\xff\"}"), "properties.a: string is not valid UTF-8");
  EXPECT_EQ(problem("{\"k\xc3\":1}"), "properties: object key is not valid UTF-8");
  EXPECT_EQ(problem("{\"a\":\"\xed\xa0\x80\"}"), "properties.a: string is not valid UTF-8")
      << "a surrogate's own bytes are no UTF-8 (only the escape is text JSON.stringify writes)";
}

TEST(JsonText, HalfASurrogatePairIsWrittenAsTheReplacementCharacter) {
  // What JSON.stringify writes for a string cut inside an emoji ('\u{1F600}'.slice(0, 1)):
  // refused, it lost the event, which the peers' SDKs send; U+FFFD is what TextEncoder and the
  // data plane's decoder make of it. A pair stays as it is.
  EXPECT_EQ(written(R"({"a":"\ud800"})"), R"({"a":"\ufffd"})");
  EXPECT_EQ(written(R"({"a":"\udc00x"})"), R"({"a":"\ufffdx"})");
  EXPECT_EQ(written(R"({"a":["\ud800\u0041"]})"), R"({"a":["\ufffd\u0041"]})");
  EXPECT_EQ(written(R"({"a":{"\udfff":1}})"), R"({"a":{"\ufffd":1}})");
  EXPECT_EQ(written(R"(["Great \ud83d", "\ud83d\ude00", "\ude00\ud83d"])"),
            R"(["Great \ufffd","\ud83d\ude00","\ufffd\ufffd"])");
  EXPECT_EQ(json::parse(written(R"({"t":"a\ud83d"})")).at("t"), "a\xEF\xBF\xBD");
}

TEST(JsonText, RefusesNumbersThatOverflowADoubleAndKeepsTheLargestThatDoNot) {
  EXPECT_EQ(problem(R"({"x":1e309})"), "properties.x: number is not finite");
  EXPECT_EQ(problem(R"({"x":[-1E400]})"), "properties.x[0]: number is not finite");
  EXPECT_EQ(problem(R"({"x":1.7976931348623159e308})"), "properties.x: number is not finite");
  EXPECT_EQ(written("1.7976931348623157e308"), "1.7976931348623157e308");
  EXPECT_EQ(written("179769313486231580793728971405303415079934132710037826936173778980439e240"),
            "179769313486231580793728971405303415079934132710037826936173778980439e240");
  EXPECT_EQ(written("0.0000000000000000000001e330"), "0.0000000000000000000001e330");
  EXPECT_EQ(written("1e-400"), "1e-400");
  EXPECT_EQ(written("0e999999999999999999"), "0e999999999999999999");
}

// Found by fuzzing (tests/fuzz/json_text.cpp, against nlohmann/json): the boundary is the exact
// midpoint between DBL_MAX and 2^1024, all 309 digits of it; a number between a prefix of those
// digits and the midpoint is finite (it rounds down to DBL_MAX) and a tree holds it.
TEST(JsonText, OnlyNumbersFromTheMidpointAboveTheLargestDoubleAreNotFinite) {
  const std::string midpoint =  // 2^1024 - 2^970: rounds to even, which is 2^1024
      "17976931348623158079372897140530341507993413271003782693617377898044496829276475"
      "09466490179775872070963302864166928879109465555478519404026306574886715058206819"
      "08902000708383676273854845817711531764475730270069855571366959622842914819860834"
      "936475292719074168444365510704342711559699508093042880177904174497792";
  const std::string below_midpoint =
      "17976931348623158079372897140530341507993413271003782693617377898044496829276475"
      "09466490179775872070963302864166928879109465555478519404026306574886715058206819"
      "08902000708383676273854845817711531764475730270069855571366959622842914819860834"
      "936475292719074168444365510704342711559699508093042880177904174497791";
  EXPECT_EQ(problem(R"({"x":)" + midpoint + "}"), "properties.x: number is not finite");
  EXPECT_EQ(problem(R"({"x":)" + midpoint + ".000001}"), "properties.x: number is not finite");
  for (const std::string finite :
       {below_midpoint, below_midpoint + ".999999", midpoint.substr(0, 68) + "e241",
        std::string("17976931348623158079372897140530341507993413271003782693617377898044") +
            "49e239"}) {
    EXPECT_EQ(written(finite), finite);
    EXPECT_EQ(json::parse(finite).get<double>(), std::numeric_limits<double>::max()) << finite;
  }
}

TEST(JsonText, RefusesMalformedJson) {
  for (const std::string text : {"{", "{\"a\":}", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "01", "1.", "-",
                                 "\"abc", "\"a\tb\"", "tru", "nul", "{} {}", "\"\\x\"", "1e", "+1"}) {
    std::string out;
    EXPECT_FALSE(write_checked_json_text(text, out)) << text;
    const auto e = check_json_text(text, "properties");
    ASSERT_TRUE(e) << text;
    EXPECT_EQ(e->problem, "is not valid JSON") << text;
  }
}

TEST(JsonText, NestingIsLimitedAndTheErrorNamesTheOutermostMember) {
  auto nested = [](int levels) {
    std::string s = R"({"tree":)";
    for (int i = 1; i < levels; ++i) s += "[";
    for (int i = 1; i < levels; ++i) s += "]";
    return s + "}";
  };
  std::string out;
  EXPECT_TRUE(write_checked_json_text(nested(rudder::core::kMaxJsonDepth), out));
  EXPECT_EQ(problem(nested(rudder::core::kMaxJsonDepth + 1)), "properties.tree: is nested deeper than 256 levels");
  // Far deeper than any stack could take if it were walked recursively without a limit.
  EXPECT_EQ(problem(nested(200'000)), "properties.tree: is nested deeper than 256 levels");
  // A member's value starts one level down.
  EXPECT_EQ(check_json_text(std::string(300, '[') + std::string(300, ']'), "context.x", 2)->to_string(),
            "context.x: is nested deeper than 256 levels");
}

TEST(JsonText, MembersComeInOrderWithDecodedKeys) {
  std::vector<JsonTextMember> members;
  ASSERT_TRUE(json_text_members(R"( {"b" : [1,{"x":"}"}], "a\u00e9":"v\"", "c":null} )", members));
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].key, "b");
  EXPECT_EQ(members[0].value, R"([1,{"x":"}"}])");
  EXPECT_EQ(members[1].key, "aé");
  EXPECT_EQ(members[1].value, R"("v\"")");
  EXPECT_EQ(members[2].value, "null");
  EXPECT_TRUE(json_text_members("{}", members));
  EXPECT_TRUE(members.empty());
  for (const char* bad : {"[]", "{\"a\"}", "{\"a\":1", "{\"a\":1}x", "{a:1}", "{\"\\u12\":1}"}) {
    EXPECT_FALSE(json_text_members(bad, members)) << bad;
  }
  ASSERT_TRUE(json_text_members("{\"\\ud800\":1}", members));  // half a pair: U+FFFD, as in values
  EXPECT_EQ(members[0].key, "\xEF\xBF\xBD");
}

TEST(JsonText, StringsDecodeToUtf8) {
  std::string out;
  ASSERT_TRUE(decode_json_string(R"("a\"\\\/\b\f\n\r\t\u00e9\ud83d\udc4b")", out));
  EXPECT_EQ(out, "a\"\\/\b\f\n\r\té👋");
  for (const char* bad : {R"("\u12")", R"("\q")", "\"a", "\"a\nb\""}) {
    EXPECT_FALSE(decode_json_string(bad, out)) << bad;
  }
  // Half a surrogate pair (text cut inside an emoji) is U+FFFD, the replacement character.
  ASSERT_TRUE(decode_json_string(R"("\ud83d")", out));
  EXPECT_EQ(out, "\xEF\xBF\xBD");
  ASSERT_TRUE(decode_json_string(R"("x\udc4b\ud83d")", out));
  EXPECT_EQ(out, "x\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(JsonText, NumbersReadAsIntegersWhenTheyAreAndNearEnoughOtherwise) {
  EXPECT_EQ(json_text_integer("42"), 42);
  EXPECT_EQ(json_text_integer("-9007199254740993"), -9007199254740993LL);
  EXPECT_FALSE(json_text_integer("4.0"));
  EXPECT_FALSE(json_text_integer("1e3"));
  EXPECT_FALSE(json_text_integer("99999999999999999999"));
  EXPECT_DOUBLE_EQ(*json_text_number("1706702400000.5"), 1706702400000.5);
  EXPECT_DOUBLE_EQ(*json_text_number("-1.5e3"), -1500.0);
  EXPECT_DOUBLE_EQ(*json_text_number("17067024e5"), 1706702400000.0);
  EXPECT_FALSE(json_text_number("\"1\""));
  EXPECT_FALSE(json_text_number("1e999"));
  // Seventeen significant digits past 2^53: rounded once, as a tree's parser reads it (a
  // millisecond timestamp came out one late when the digits were rounded twice).
  EXPECT_EQ(*json_text_number("17067024000009.999"), 17067024000009.999);
  EXPECT_EQ(std::floor(*json_text_number("17067024000009.999")), 17067024000009.0);
}

// ---- whole calls: the text form gives the tree form's events and errors -------------------

struct Outcome {
  std::string error;  // "field: problem", or empty
  std::string event;  // the built event, when accepted
};

Outcome build(const ParsedCall& call) {
  const BuildSettings settings(2'000, "server", "lib", "1.0");
  Rng rng(7);
  BuildResult built = rudder::core::build_message(call.fields, settings, 1'706'702'400'000, rng);
  if (built.error) return {built.error->to_string(), ""};
  return {"", built.event.complete_json(1'706'702'400'100)};
}

Outcome build_from_tree(MessageType type, const std::string& text) {
  const json input = json::parse(text);
  ParsedCall call;
  if (auto e = rudder::core::parse_call_of_type(type, input, call)) return {e->to_string(), ""};
  return build(call);
}

Outcome build_from_text(MessageType type, const std::string& text) {
  ParsedCall call;
  if (auto e = rudder::core::parse_call_text(type, text, call)) return {e->to_string(), ""};
  return build(call);
}

TEST(CallText, EveryCallBuildsTheSameEventAsFromATree) {
  const std::vector<std::pair<MessageType, std::string>> calls = {
      {MessageType::identify, R"({"userId":"u1","traits":{"email":"a@b.c","n":2},"context":{"ip":"1.2.3.4"}})"},
      {MessageType::identify, R"({"userId":7,"traits":{"plan":"pro","n":2},"context":{"traits":{"plan":"free","old":true},"library":{"name":"x"}}})"},
      {MessageType::track, R"({"userId":"u","anonymousId":"a","event":"E","properties":{"p":[1,{"q":null}],"s":"é"},"integrations":{"All":false},"messageId":"m-1","timestamp":"2024-01-02T03:04:05.006Z"})"},
      {MessageType::track, R"({"anonymousId":-12,"event":"E","timestamp":1704164645006})"},
      {MessageType::page, R"({"userId":"u","name":"Home","category":"Docs","properties":{}})"},
      {MessageType::screen, R"({"userId":"u","name":"Main","context":{}})"},
      {MessageType::group, R"({"userId":"u","groupId":42,"traits":{"seats":10}})"},
      {MessageType::alias, R"({"userId":"u","previousId":"p","type":"alias"})"},
  };
  for (const auto& [type, text] : calls) {
    const Outcome tree = build_from_tree(type, text);
    const Outcome from_text = build_from_text(type, text);
    EXPECT_EQ(from_text.error, "") << text;
    // The same JSON; the text keeps the caller's key order where a tree sorts keys.
    EXPECT_EQ(json::parse(from_text.event), json::parse(tree.event)) << text;
  }
}

TEST(CallText, NumbersWithMoreThan17DigitsRoundAsATreesParserDoes) {
  // Cutting the digits past the 17th (instead of rounding) put this timestamp 1 ms early.
  for (const std::string ms : {"100000120257.99999999999999999999", "1704164645006.4999999999999999",
                               "1704164645006.5000000000000001", "100000000000.99999999999999999999"}) {
    const std::string text = R"({"userId":"u","event":"E","timestamp":)" + ms + "}";
    const Outcome tree = build_from_tree(MessageType::track, text);
    const Outcome from_text = build_from_text(MessageType::track, text);
    ASSERT_EQ(from_text.error, tree.error) << text;
    EXPECT_EQ(json::parse(from_text.event)["timestamp"], json::parse(tree.event)["timestamp"]) << text;
  }
}

TEST(CallText, RefusalsAreWordedAsForATree) {
  const std::vector<std::pair<MessageType, std::string>> calls = {
      {MessageType::track, R"({"event":"E"})"},
      {MessageType::track, R"({"userId":"u"})"},
      {MessageType::track, R"({"userId":"u","event":""})"},
      {MessageType::track, R"({"userId":" ","event":"E"})"},
      {MessageType::track, R"({"userId":1.5,"event":"E"})"},
      {MessageType::track, R"({"userId":"u","event":7})"},
      {MessageType::track, R"({"userId":"u","event":"E","properties":[1]})"},
      {MessageType::track, R"({"userId":"u","event":"E","properties":"x"})"},
      {MessageType::track, R"({"userId":"u","event":"E","traits":{}})"},
      {MessageType::track, R"({"userId":"u","event":"E","evnt":1})"},
      {MessageType::track, R"({"userId":"u","event":"E","type":"page"})"},
      {MessageType::track, R"({"userId":"u","event":"E","timestamp":"soon"})"},
      {MessageType::track, R"({"userId":"u","event":"E","timestamp":true})"},
      {MessageType::track, R"({"userId":"u","event":"E","timestamp":1e300})"},
      {MessageType::track, R"({"userId":"u","event":"E","timestamp":900000000000000})"},
      {MessageType::track, R"({"userId":"u","event":"E","timestamp":1700000000})"},
      {MessageType::track, R"({"userId":"u","event":"E","timestamp":-0.5})"},
      {MessageType::track, R"({"userId":"u","event":"E","context":[]})"},
      {MessageType::track, R"({"userId":"u","event":"E","integrations":3})"},
      {MessageType::track, R"({"userId":"u","event":"E","messageId":"  "})"},
      {MessageType::track, R"({"userId":"u","event":"E","properties":{"big":")" + std::string(3'000, 'x') + "\"}}"},
      {MessageType::screen, R"({"userId":"u"})"},
      {MessageType::group, R"({"userId":"u","groupId":""})"},
      {MessageType::alias, R"({"previousId":"p"})"},
  };
  for (const auto& [type, text] : calls) {
    const Outcome tree = build_from_tree(type, text);
    EXPECT_NE(tree.error, "") << text;
    EXPECT_EQ(build_from_text(type, text).error, tree.error) << text;
  }
}

TEST(CallText, ATimestampOfSecondsSince1970IsRefusedNotSentAsATimeIn1970) {
  // time.time() and date +%s give seconds; read as milliseconds they were January 1970.
  for (const std::string seconds : {"1700000000", "1700000000.25", "0", "-1", "99999999999", "-99999999999"}) {
    const std::string text = R"({"userId":"u","event":"E","timestamp":)" + seconds + "}";
    for (const Outcome& built : {build_from_text(MessageType::track, text), build_from_tree(MessageType::track, text)}) {
      EXPECT_EQ(built.error,
                "timestamp: is milliseconds since 1970 and this is within 3 years of 1970: seconds must be "
                "multiplied by 1000 (a time that early goes as an RFC 3339 string)")
          << text;
    }
  }
  for (const auto& [ms, iso] : {std::pair{"100000000000", "1973-03-03T09:46:40.000Z"},
                                {"-100000000000", "1966-10-31T14:13:20.000Z"},
                                {"1700000000000", "2023-11-14T22:13:20.000Z"}}) {
    const std::string text = R"({"userId":"u","event":"E","timestamp":)" + std::string(ms) + "}";
    const Outcome built = build_from_text(MessageType::track, text);
    ASSERT_EQ(built.error, "") << text;
    EXPECT_EQ(json::parse(built.event)["timestamp"], iso);
  }
}

// Found by fuzzing (tests/fuzz/call_differential.cpp): ids a tree holds as unsigned
// integers, and a zero whose exponent would overflow, read alike from text.
TEST(CallText, IdsTakeEveryIntegerATreeHolds) {
  for (const std::string id :
       {"18446744073709551615", "9223372036854775808", "-9223372036854775808"}) {
    const std::string text = R"({"userId":"u","groupId":)" + id + "}";
    const Outcome from_text = build_from_text(MessageType::group, text);
    EXPECT_EQ(from_text.error, "") << text;
    EXPECT_EQ(json::parse(from_text.event)["groupId"], id);
    EXPECT_EQ(from_text.event, build_from_tree(MessageType::group, text).event);
  }
  for (const std::string id : {"18446744073709551616", "-9223372036854775809", "1e3"}) {
    const std::string text = R"({"userId":"u","groupId":)" + id + "}";
    const std::string error = build_from_text(MessageType::group, text).error;
    EXPECT_EQ(error, "groupId: must be a string or an integer of at most 64 bits, not another number (give it as a string)") << text;
    EXPECT_EQ(error, build_from_tree(MessageType::group, text).error) << text;
  }
}

TEST(CallText, ZeroIsZeroWhateverItsExponent) {
  EXPECT_EQ(json_text_number("0e999999"), 0.0);
  EXPECT_EQ(json_text_number("-0.000e3900"), 0.0);
  const std::string text = R"({"userId":"u","event":"E","properties":{"n":-0e3900}})";
  const Outcome from_text = build_from_text(MessageType::track, text);
  EXPECT_EQ(from_text.error, "");
  EXPECT_EQ(json::parse(from_text.event)["properties"]["n"], 0.0);
  EXPECT_EQ(json::parse(from_text.event), json::parse(build_from_tree(MessageType::track, text).event));
  // As a timestamp, 1970 itself: refused alike (seconds mistaken for milliseconds).
  const std::string at_1970 = R"({"userId":"u","event":"E","timestamp":-0e3900})";
  EXPECT_NE(build_from_text(MessageType::track, at_1970).error, "");
  EXPECT_EQ(build_from_text(MessageType::track, at_1970).error, build_from_tree(MessageType::track, at_1970).error);
}

// A tree cannot even hold this (nlohmann's parser refuses it); the text names where it is.
TEST(CallText, ANumberTooLargeForADoubleIsRefusedByName) {
  EXPECT_EQ(build_from_text(MessageType::identify, R"({"userId":"u","traits":{"a":{"b":[1e999]}}})").error,
            "traits.a.b[0]: number is not finite");
}

TEST(CallText, HalfASurrogatePairIsSentAsTheReplacementCharacterInEveryField) {
  const Outcome track = build_from_text(MessageType::track, R"({"userId":"\ud800","event":"Cut \ud83d"})");
  ASSERT_EQ(track.error, "");
  const json event = json::parse(track.event);
  EXPECT_EQ(event.at("userId"), "\xEF\xBF\xBD");
  EXPECT_EQ(event.at("event"), "Cut \xEF\xBF\xBD");
  const Outcome identify = build_from_text(MessageType::identify, R"({"userId":"u","context":{"x":"\ud800"}})");
  ASSERT_EQ(identify.error, "");
  EXPECT_EQ(json::parse(identify.event).at("context").at("x"), "\xEF\xBF\xBD");
}

TEST(CallText, TextThatIsNotAnObjectIsRefused) {
  EXPECT_EQ(build_from_text(MessageType::track, "[1]").error, "message: must be a JSON object, not array");
  EXPECT_EQ(build_from_text(MessageType::track, "{\"userId\":").error, "message: is not valid JSON");
}

}  // namespace
