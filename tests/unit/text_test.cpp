// rudder-analytics tests: UTF-8 validation, blank ids and JSON string escaping.
// Copyright the rudder-analytics authors. MIT licence.
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace {

using namespace std::string_literals;
using rudder::core::append_json_string;
using rudder::core::append_json_string_checked;
using rudder::core::is_blank;
using rudder::core::is_valid_utf8;

std::string as_json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(Utf8, AcceptsEmptyAndAscii) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("user-1"));
  EXPECT_TRUE(is_valid_utf8("a\0b"s));
  EXPECT_TRUE(is_valid_utf8("\x7f"));
}

TEST(Utf8, AcceptsTwoThreeAndFourByteSequences) {
  EXPECT_TRUE(is_valid_utf8("\xC2\x80"));          // U+0080, the smallest 2-byte
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9"));       // é
  EXPECT_TRUE(is_valid_utf8("\xDF\xBF"));          // U+07FF
  EXPECT_TRUE(is_valid_utf8("\xE0\xA0\x80"));      // U+0800, the smallest 3-byte
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC"));      // €
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
  EXPECT_TRUE(is_valid_utf8("\xEE\x80\x80"));      // U+E000, just above them
  EXPECT_TRUE(is_valid_utf8("\xEF\xBF\xBF"));      // U+FFFF
  EXPECT_TRUE(is_valid_utf8("\xF0\x90\x80\x80"));  // U+10000, the smallest 4-byte
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));  // 😀
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the largest
  EXPECT_TRUE(is_valid_utf8("日本語のテキスト, Ελληνικά, עברית, 😀😀😀"));
}

TEST(Utf8, RejectsOverlongEncodings) {
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // '/' in two bytes
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));          // NUL in two bytes
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // '/' in three bytes
  EXPECT_FALSE(is_valid_utf8("\xE0\x9F\xBF"));      // U+07FF in three bytes
  EXPECT_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));  // '/' in four bytes
  EXPECT_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in four bytes
}

TEST(Utf8, RejectsSurrogates) {
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));  // U+D800
  EXPECT_FALSE(is_valid_utf8("\xED\xAF\xBF"));  // U+DBFF
  EXPECT_FALSE(is_valid_utf8("\xED\xB0\x80"));  // U+DC00
  EXPECT_FALSE(is_valid_utf8("\xED\xBF\xBF"));  // U+DFFF
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\xBD\xED\xB8\x80"));  // CESU-8 pair for 😀
}

TEST(Utf8, RejectsCodePointsAboveU10FFFF) {
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF7\xBF\xBF\xBF"));
  EXPECT_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));  // old 5-byte form
  EXPECT_FALSE(is_valid_utf8("\xFE"));
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(Utf8, RejectsTruncatedSequences) {
  EXPECT_FALSE(is_valid_utf8("\xC3"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));
  EXPECT_FALSE(is_valid_utf8("\xF0\x9F\x98"));
  EXPECT_FALSE(is_valid_utf8("caf\xC3"));         // cut at the end of the text
  EXPECT_FALSE(is_valid_utf8("\xE2\x82" "a"));    // interrupted by ASCII
  EXPECT_FALSE(is_valid_utf8("\xF0\x9F\x98 "));
  EXPECT_FALSE(is_valid_utf8("\xC3\xC3\xA9"));    // interrupted by another lead byte
}

TEST(Utf8, RejectsLoneContinuationBytes) {
  EXPECT_FALSE(is_valid_utf8("\x80"));
  EXPECT_FALSE(is_valid_utf8("\xBF"));
  EXPECT_FALSE(is_valid_utf8("abc\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC3\xA9\xA9"));  // one continuation too many
}

// The validator skips ASCII eight bytes at a time; a bad byte must be found at any offset.
TEST(Utf8, FindsABadByteAtEveryPositionOfALongText) {
  for (std::size_t pos = 0; pos < 40; ++pos) {
    std::string text(40, 'a');
    text[pos] = '\xFF';
    EXPECT_FALSE(is_valid_utf8(text)) << "bad byte at " << pos;
    std::string good(40, 'a');
    good.replace(pos, 1, "\xE2\x82\xAC");
    EXPECT_TRUE(is_valid_utf8(good)) << "euro sign at " << pos;
    std::string cut(40, 'a');
    cut.resize(pos);
    cut += "\xE2\x82";
    EXPECT_FALSE(is_valid_utf8(cut)) << "cut sequence after " << pos << " bytes";
  }
}

TEST(Blank, EmptyAndAsciiWhiteSpaceAreBlank) {
  EXPECT_TRUE(is_blank(""));
  EXPECT_TRUE(is_blank(" "));
  EXPECT_TRUE(is_blank(" \t\n\r\v\f "));
}

TEST(Blank, UnicodeWhiteSpaceIsBlankAsTheDataPlaneTrimsIt) {
  EXPECT_TRUE(is_blank("\u3000"));           // ideographic space
  EXPECT_TRUE(is_blank("\u00A0"));           // no-break space
  EXPECT_TRUE(is_blank("\xC2\x85"));         // next line (U+0085)
  EXPECT_TRUE(is_blank("\u1680"));
  EXPECT_TRUE(is_blank("\u2000\u2003\u200A"));
  EXPECT_TRUE(is_blank("\u2028\u2029"));
  EXPECT_TRUE(is_blank("\u202F\u205F"));
  EXPECT_TRUE(is_blank(" \u3000\t\u00A0 "));
}

TEST(Blank, InvisibleCharactersAreBlankAsTheDataPlaneRemovesThemFromIds) {
  // rudder-server checks strings.TrimSpace(sanitize.Unicode(id)): an id of any of these alone
  // got its whole batch refused (400 "request neither has anonymousId nor userId").
  for (const std::string invisible :
       {"\x00"s, "\x01"s, "\x7F"s, "\u00AD"s, "\u034F"s, "\u061C"s, "\u115F"s, "\u1160"s, "\u17B4"s,
        "\u180E"s, "\u200B"s, "\u200C"s, "\u200D"s, "\u200E"s, "\u200F"s, "\u202A"s, "\u2060"s,
        "\u2064"s, "\u2066"s, "\u206F"s, "\u2800"s, "\u3164"s, "\uFEFF"s, "\uFFA0"s, "\uFFF9"s,
        "\uE000"s, "\uF8FF"s, "\uFDD0"s, "\uFFFE"s, "\U0001FFFF"s, "\U000E0001"s, "\U000E007F"s,
        "\U000F0000"s, "\U0010FFFD"s, "\U0001D173"s, "\U000110BD"s}) {
    EXPECT_TRUE(is_blank(invisible)) << testing::PrintToString(invisible);
    EXPECT_TRUE(is_blank(" " + invisible + "\u3000" + invisible)) << testing::PrintToString(invisible);
  }
}

TEST(Blank, AnyOtherCharacterIsNotBlank) {
  EXPECT_FALSE(is_blank("a"));
  EXPECT_FALSE(is_blank("  a  "));
  EXPECT_FALSE(is_blank("\u3000x\u3000"));
  EXPECT_FALSE(is_blank("0"));
  EXPECT_FALSE(is_blank("\u200Bx\uFEFF"));  // one printable character is an id
  // Printable neighbours of the invisible ones, at each range's edges.
  for (const char* printable : {"!", "~", "\u00A1", "\u00AC", "\u00AE", "\u034E", "\u0350", "\u0606",
                                "\u115E", "\u1161", "\u17B6", "\u2010", "\u2027", "\u2030", "\u2070",
                                "\u27FF", "\u2801", "\u3001", "\u3163", "\u3165", "\uF900", "\uFDCF",
                                "\uFDF0", "\uFEFE", "\uFF9F", "\uFFA1", "\uFFFC", "\U0001F600",
                                "\U0001D17B", "\U000E0100", "\U000EFFFD"}) {
    EXPECT_FALSE(is_blank(printable)) << testing::PrintToString(std::string(printable));
  }
}

TEST(JsonString, PlainTextIsQuotedAsItIs) {
  EXPECT_EQ(as_json_string(""), "\"\"");
  EXPECT_EQ(as_json_string("user-1"), "\"user-1\"");
  EXPECT_EQ(as_json_string("caf\xC3\xA9 \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
  EXPECT_EQ(as_json_string("a/b\x7f"), "\"a/b\x7f\"");
}

TEST(JsonString, QuotesBackslashesAndControlCharactersAreEscaped) {
  EXPECT_EQ(as_json_string("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(as_json_string("C:\\path"), R"("C:\\path")");
  EXPECT_EQ(as_json_string("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(as_json_string("\x01"), R"("\u0001")");
  EXPECT_EQ(as_json_string("\x1f"), R"("\u001f")");
  EXPECT_EQ(as_json_string("a\0b"s), R"("a\u0000b")");
}

TEST(JsonString, AppendsToWhatIsAlreadyThere) {
  std::string out = "{\"k\":";
  append_json_string(out, "v\"");
  EXPECT_EQ(out, R"({"k":"v\"")");
}

TEST(JsonString, EveryAsciiByteRoundTripsThroughAJsonParser) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  all += "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  const std::string text = as_json_string(all);
  EXPECT_EQ(nlohmann::json::parse(text).get<std::string>(), all);
}

TEST(JsonString, CheckedAppendWritesTheSameAsUnchecked) {
  for (std::string_view s : {"", "plain", "quote\" back\\slash \n\x01", "caf\xC3\xA9 \xF0\x9F\x98\x80"}) {
    std::string checked;
    EXPECT_TRUE(append_json_string_checked(checked, s));
    EXPECT_EQ(checked, as_json_string(s));
  }
}

TEST(JsonString, EveryByteThatNeedsAnEscapeIsFoundAtEveryPositionOfALongText) {
  // Plain text is skipped a word at a time; a byte to escape (or a non-ASCII one) must be
  // seen wherever it falls in a word, and so must a bad UTF-8 byte.
  const std::string plain(40, 'a');
  for (const std::string special : {"\""s, "\\"s, "\n"s, "\x01"s, "\x1f"s, "\0"s, "\xC3\xA9"s,
                                    "\x7f"s, " "s}) {
    for (std::size_t at = 0; at <= plain.size(); ++at) {
      const std::string text = plain.substr(0, at) + special + plain.substr(at);
      const std::string expected = nlohmann::json(text).dump();
      EXPECT_EQ(as_json_string(text), expected) << "at " << at;
      std::string checked;
      EXPECT_TRUE(append_json_string_checked(checked, text));
      EXPECT_EQ(checked, expected) << "at " << at;
    }
  }
  for (std::size_t at = 0; at <= plain.size(); ++at) {
    std::string out;
    EXPECT_FALSE(append_json_string_checked(out, plain.substr(0, at) + "\xFF" + plain.substr(at)))
        << "at " << at;
  }
}

TEST(JsonString, CheckedAppendRefusesInvalidUtf8) {
  std::string out;
  EXPECT_FALSE(append_json_string_checked(out, "ab\xFF"));
  out.clear();
  EXPECT_FALSE(append_json_string_checked(out, "\xED\xA0\x80"));
  out.clear();
  EXPECT_FALSE(append_json_string_checked(out, "\"quoted\" then cut \xE2\x82"));
  out.clear();
  EXPECT_FALSE(append_json_string_checked(out, "\xC0\xAF"));
}

}  // namespace
