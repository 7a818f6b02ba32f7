// rudder-analytics tests: Config::validate(), which both targets run before a client starts,
// and the data plane URL's rules in particular.
// Copyright the rudder-analytics authors. MIT licence.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/settings_json.hpp"
#include "core/text.hpp"
#include "rudder/analytics.hpp"

namespace {

using rudder::Config;
using rudder::core::quoted_url_for_message;

constexpr const char* kWriteKey = "2ag7WriteKeyForTests0xyz";

std::string problem_with_url(const std::string& url) {
  Config config;
  config.write_key = kWriteKey;
  config.data_plane_url = url;
  return config.validate();
}

// The problem must name the setting, say `expected`, and never show a secret.
void expect_refused(const std::string& url, const std::string& expected) {
  const std::string problem = problem_with_url(url);
  EXPECT_EQ(problem.rfind("data_plane_url: ", 0), 0u) << url << " gave " << problem;
  EXPECT_NE(problem.find(expected), std::string::npos) << url << " gave " << problem;
  EXPECT_EQ(problem.find("secret"), std::string::npos) << problem;
  EXPECT_EQ(problem.find(kWriteKey), std::string::npos) << problem;
}

TEST(ConfigDataPlaneUrl, BaseUrlsOfHttpAndHttpsAreAccepted) {
  for (const char* url : {
           "http://localhost",
           "https://example.dataplane.rudderstack.com",
           "HTTPS://Example.com",
           "Http://example.com",  // the scheme in any case
           "http://127.0.0.1:8080",
           "https://host:1",
           "https://host:65535",
           "http://[::1]",
           "http://[::1]:8080",
           "https://[2001:db8::7]/",
           "http://[::ffff:127.0.0.1]:9",
           "https://host/",
           "https://host/rudder",
           "https://host/rudder/",  // a prefix path
           "https://host/v1/batch",
           "https://host/prefix/v1/batch/",
           "https://my_host-1.example~x",
           "https://host/a%20b/@me/(x);y=1,z:2",
       }) {
    EXPECT_EQ(problem_with_url(url), "") << url;
  }
}

TEST(ConfigDataPlaneUrl, IsRequired) {
  EXPECT_EQ(problem_with_url(""), "data_plane_url: is required");
}

TEST(ConfigDataPlaneUrl, OnlyHttpAndHttpsSchemes) {
  for (const char* url : {"ftp://example.com", "example.com", "//example.com", "http:/example.com",
                          "https:example.com", "httpx://example.com", "file:///etc/passwd",
                          "ws://example.com", "localhost:8080"}) {
    expect_refused(url, "must start with http:// or https://");
  }
  EXPECT_EQ(problem_with_url("ftp://example.com"),
            "data_plane_url: must start with http:// or https:// (got \"ftp://example.com\")");
}

TEST(ConfigDataPlaneUrl, AHostIsRequired) {
  for (const char* url :
       {"http://", "https:///v1/batch", "https://:8080", "http://:8080/x", "https://::1"}) {
    expect_refused(url, "must name a host");
  }
  EXPECT_EQ(problem_with_url("https://:8080/x"),
            "data_plane_url: must name a host (got \"https://:8080/x\")");
}

TEST(ConfigDataPlaneUrl, TheHostIsANameOrAnIpv6AddressInBrackets) {
  for (const char* url :
       {"https://exa!mple.com", "https://host,x", "https://ho%41st", "https://[::1", "https://[]",
        "https://[::1]x", "https://[fe80::1%25eth0]", "https://host\\path", "https://ho{s}t",
        "https://h*st"}) {
    expect_refused(url, "must name a host by");
  }
}

TEST(ConfigDataPlaneUrl, APortGivenMustBeFrom1To65535) {
  for (const char* url :
       {"https://host:", "https://host:0", "https://host:65536", "https://host:99999",
        "https://host:123456", "https://host:000080", "https://host:8o", "https://host:-1",
        "http://[::1]:", "https://host:80:80", "https://host:+80/"}) {
    expect_refused(url, "must have a port from 1 to 65535");
  }
}

TEST(ConfigDataPlaneUrl, NoQuery) {
  for (const char* url : {"https://host?", "https://host/?a=1", "https://host/v1/batch?writeKey=k",
                          "https://host?#"}) {
    expect_refused(url, "must not have a query ('?')");
  }
}

TEST(ConfigDataPlaneUrl, NoFragment) {
  for (const char* url : {"https://host#", "https://host/#top", "https://host/v1/batch#x"}) {
    expect_refused(url, "must not have a fragment ('#')");
  }
}

TEST(ConfigDataPlaneUrl, NoWhiteSpaceOrControlCharacters) {
  const std::string urls[] = {"https://host/a b",
                              " https://host",
                              "https://host ",
                              "https://host\t",
                              "https://host\n",
                              "https://host\r\n",
                              std::string("https://host/\0x", 15),
                              "https://ho\x01st",
                              "https://host/\x7F"};
  for (const std::string& url : urls) {
    expect_refused(url, "must not contain white space or control characters");
  }
  // And nothing of them is echoed raw into the message.
  EXPECT_EQ(problem_with_url("https://host/a\nb"),
            "data_plane_url: must not contain white space or control characters "
            "(got \"https://host/a\\x0Ab\")");
}

TEST(ConfigDataPlaneUrl, OnlyAscii) {
  // U+00A0 (no-break space), U+2003 (em space), an IDN host, a path in Unicode.
  for (const char* url : {"https://host/\xC2\xA0", "https://host\xE2\x80\x83",
                          "https://b\xC3\xBC"
                          "cher.de",
                          "https://host/gr\xC3\xBC\xC3\x9F"
                          "e",
                          "https://host/\xFF"}) {
    expect_refused(url, "must be ASCII");
  }
}

TEST(ConfigDataPlaneUrl, ThePathIsPercentEncoded) {
  for (const char* url :
       {"https://host/a%", "https://host/a%2", "https://host/a%zz", "https://host/a\\b",
        "https://host/{x}", "https://host/a|b", "https://host/\"q\"", "https://host/<x>",
        "https://host/a^b", "https://host/`x`", "https://host/[x]"}) {
    expect_refused(url, "must have a percent-encoded path");
  }
}

// A browser's fetch() refuses credentials in a URL, and the write key takes the Authorization
// header natively: user info could work on neither target.
TEST(ConfigDataPlaneUrl, NoUserNameOrPassword) {
  for (const char* url : {"https://user:secret@host", "https://user@host/x", "https://:secret@host",
                          "https://user:secret@host:8080/v1/batch"}) {
    expect_refused(url, "must not contain a user name or password");
  }
}

TEST(ConfigDataPlaneUrl, MessagesShowTheUrlWithoutItsPassword) {
  EXPECT_EQ(problem_with_url("https://user:secret@host"),
            "data_plane_url: must not contain a user name or password: the write key is the data "
            "plane's credential (got \"https://***@host\")");
  EXPECT_EQ(problem_with_url("https://user:secret@host/x?y=1"),
            "data_plane_url: must not have a query ('?'): the SDK adds what the data plane needs "
            "(got \"https://***@host/x?***\")");
  EXPECT_EQ(problem_with_url("ftp://user:secret@host/"),
            "data_plane_url: must start with http:// or https:// (got \"ftp://***@host/\")");
  // Whatever else is broken, and however odd the URL, the password stays out.
  for (const char* url :
       {"https://u:secret@host:0", "https://u:secret@host/a b", "u:secret@host",
        "https://u:sec/ret@host?x", "https://u:secret@ho st@x", "https://u:se:cret@host#f",
        "HTTPS://u:secret@[::1]:99999", "https://u:secret@"}) {
    const std::string problem = problem_with_url(url);
    EXPECT_NE(problem, "") << url;
    EXPECT_EQ(problem.find("secret"), std::string::npos) << problem;
    EXPECT_EQ(problem.find("ret"), std::string::npos) << problem;
  }
}

TEST(ConfigDataPlaneUrl, MessagesNeverShowTheWriteKey) {
  const std::string key = kWriteKey;
  for (const std::string& url :
       {"https://host/v1/batch?writeKey=" + key, "https://" + key + "@host",
        "https://" + key + ":@host", "ftp://host/" + key, "https://host/" + key + "#" + key}) {
    const std::string problem = problem_with_url(url);
    EXPECT_NE(problem, "") << url;
    EXPECT_EQ(problem.find(key), std::string::npos) << problem;
  }
  EXPECT_EQ(problem_with_url("https://host/v1/batch?writeKey=" + key),
            "data_plane_url: must not have a query ('?'): the SDK adds what the data plane needs "
            "(got \"https://host/v1/batch?***\")");
}

TEST(ConfigDataPlaneUrl, ALongUrlIsCutInTheMessage) {
  const std::string problem = problem_with_url("ftp://host/" + std::string(5000, 'a'));
  EXPECT_LT(problem.size(), 300u);
  EXPECT_NE(problem.find("aaa...\")"), std::string::npos) << problem;
}

TEST(QuotedUrlForMessage, RedactsTheUserInfoTheQueryAndTheSecretEscapesTheRest) {
  EXPECT_EQ(quoted_url_for_message("https://user:secret@host/x", ""),
            "\"https://***@host/x\"");
  EXPECT_EQ(quoted_url_for_message("https://user:@host", ""), "\"https://***@host\"");
  // A user name alone is often a token.
  EXPECT_EQ(quoted_url_for_message("https://TOKEN@host:8080", ""), "\"https://***@host:8080\"");
  EXPECT_EQ(quoted_url_for_message("https://host:8080/x", ""), "\"https://host:8080/x\"");
  // So are a query and a fragment: their marks stay, to show what was wrong.
  EXPECT_EQ(quoted_url_for_message("https://host/x?token=QT#frag", ""), "\"https://host/x?***#***\"");
  EXPECT_EQ(quoted_url_for_message("https://host/x?", ""), "\"https://host/x?\"");
  // Over-redacting when unsure: the user info is taken to end at the last '@'.
  EXPECT_EQ(quoted_url_for_message("https://u:p/w@host/a@b", ""), "\"https://***@b\"");
  EXPECT_EQ(quoted_url_for_message("https://h/key123/key123", "key123"), "\"https://h/***/***\"");
  EXPECT_EQ(quoted_url_for_message("https://h/\"\\\x01\xC3\xBC", ""),
            "\"https://h/\\\"\\\\\\x01\\xC3\\xBC\"");
  EXPECT_EQ(quoted_url_for_message("https://h/\x7F~", ""), "\"https://h/\\x7F~\"") << "DEL is shown as its code";
}

// The settings beside the URL keep their rules.
TEST(ConfigValidate, WriteKeyRules) {
  Config config;
  config.data_plane_url = "https://host";
  EXPECT_EQ(config.validate(), "write_key: is required");
  config.write_key = "a:b";
  EXPECT_EQ(config.validate(), "write_key: must not contain ':' or line breaks");
  config.write_key = kWriteKey;
  EXPECT_EQ(config.validate(), "");
  // A key of white space is no key (the data plane trims it); a carriage return would split
  // the Authorization header; the header is text.
  for (const auto& [key, problem] : std::vector<std::pair<std::string, std::string>>{
           {" \t", "write_key: is required"},
           {"ab\rc", "write_key: must not contain ':' or line breaks"},
           {"ab\nc", "write_key: must not contain ':' or line breaks"},
           {"\xFF", "write_key: is not valid UTF-8"}}) {
    config.write_key = key;
    EXPECT_EQ(config.validate(), problem) << key;
  }
}

using Edit = std::function<void(Config&)>;

// Each edit made to a valid config, and what validate() then says ("" : accepted).
void expect_validate(const std::vector<std::pair<Edit, std::string>>& cases) {
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Config config;
    config.write_key = kWriteKey;
    config.data_plane_url = "https://host";
    cases[i].first(config);
    EXPECT_EQ(config.validate(), cases[i].second) << "case " << i;
  }
}

// Each rule at its edge: the last value accepted and the first refused, by its message.
TEST(ConfigValidate, EachLimitAcceptsItsEdgeAndRefusesOnePast) {
  const std::vector<std::pair<Edit, std::string>> cases = {
      {[](Config& c) { c.max_queue_bytes = 1024; }, ""},
      {[](Config& c) { c.max_queue_bytes = 1023; }, "max_queue_bytes: must be at least 1024"},
      {[](Config& c) { c.max_storage_bytes = 1024; }, ""},
      {[](Config& c) { c.max_storage_bytes = 1023; }, "max_storage_bytes: must be at least 1024"},
      {[](Config& c) { c.upload_size = 1; }, ""},
      {[](Config& c) { c.upload_size = 0; }, "upload_size: must be at least 1"},
      {[](Config& c) { c.timeout = std::chrono::milliseconds(1); }, ""},
      {[](Config& c) { c.timeout = std::chrono::milliseconds(0); }, "timeout: must be positive"},
      {[](Config& c) { c.upload_interval = std::chrono::milliseconds(0); }, ""},
      {[](Config& c) { c.upload_interval = std::chrono::milliseconds(-1); }, "upload_interval: must not be negative"},
      {[](Config& c) { c.max_retries = 0; }, ""},
      {[](Config& c) { c.max_retries = -1; }, "max_retries: must be a whole number from 0 to 1000"},
      // As the JSON settings (maxRetries) have always said: one bound for both forms.
      {[](Config& c) { c.max_retries = 1001; }, "max_retries: must be a whole number from 0 to 1000"},
      {[](Config& c) { c.shutdown_timeout = std::chrono::milliseconds(0); }, ""},
      {[](Config& c) { c.shutdown_timeout = std::chrono::milliseconds(-1); }, "shutdown_timeout: must not be negative"},
      {[](Config& c) { c.storage_sync_interval = std::chrono::milliseconds(0); }, ""},
      {[](Config& c) { c.storage_sync_interval = std::chrono::milliseconds(-1); },
       "storage_sync_interval: must not be negative"},
      {[](Config& c) { c.max_message_bytes = 256; }, ""},
      {[](Config& c) { c.max_message_bytes = 255; }, "max_message_bytes: must be at least 256"},
      {[](Config& c) { c.max_batch_bytes = 2048; c.max_message_bytes = 2000; }, ""},
      {[](Config& c) { c.max_batch_bytes = 2048; c.max_message_bytes = 2001; },
       "max_message_bytes: must leave room for the batch envelope: at most 2000 with max_batch_bytes 2048"},
      // Above the gateway's limit the batch is cut to it, and so is the room for a message.
      {[](Config& c) { c.max_batch_bytes = 10'000'000; c.max_message_bytes = 4'095'952; }, ""},
      {[](Config& c) { c.max_batch_bytes = 10'000'000; c.max_message_bytes = 4'500'000; },
       "max_message_bytes: must leave room for the batch envelope: at most 4095952 with max_batch_bytes 4096000"},
      {[](Config& c) { c.channel = "\xFF"; }, "channel: must be non-empty UTF-8"},
      {[](Config& c) { c.channel = ""; }, "channel: must be non-empty UTF-8"},
      {[](Config& c) { c.storage_dir = std::string("a\0b", 3); }, "storage_dir: must not contain NUL"},
  };
  expect_validate(cases);
}

#ifndef __EMSCRIPTEN__  // the package has no proxy setting, and its .wasm no proxy check
// A proxy libcurl would refuse on every batch is refused at once, by name.
TEST(ConfigValidate, AProxyLibcurlCannotUseIsRefusedByName) {
  const std::vector<std::pair<Edit, std::string>> cases = {
      {[](Config& c) { c.proxy = "http://proxy.example:3128"; }, ""},
      {[](Config& c) { c.proxy = "proxy.example:3128"; }, ""},
      {[](Config& c) { c.proxy = "SOCKS5H://user:pw@[::1]:1080/"; }, ""},
      {[](Config& c) { c.proxy = "https://10.0.0.1"; }, ""},
      {[](Config& c) { c.proxy = "not a url"; },
       "proxy: must be a URL such as http://proxy.example:3128, with no white space or non-ASCII (got \"not a url\")"},
      {[](Config& c) { c.proxy = "ftp://proxy.example"; },
       "proxy: the scheme must be http, https, socks4, socks4a, socks5 or socks5h (got \"ftp://proxy.example\")"},
      {[](Config& c) { c.proxy = "http://proxy.example:99999"; },
       "proxy: the port must be a number from 1 to 65535 (got \"http://proxy.example:99999\")"},
      {[](Config& c) { c.proxy = "http://"; }, "proxy: needs a host, such as http://proxy.example:3128 (got \"http://\")"},
      {[](Config& c) { c.proxy = "http://user:secret@:8080"; },
       "proxy: needs a host, such as http://proxy.example:3128 (got \"http://***@:8080\")"},
  };
  expect_validate(cases);
}
#endif

// The settings as JSON text (the npm package's and the C API's): each kind of value at its
// edges, the native library's settings refused in the package, and each refusal's kind, which
// the package turns into a TypeError or a RangeError.
TEST(ReadSettings, ValuesAtTheirEdgesAndTheKindOfEachRefusal) {
  using rudder::core::FieldError;
  using rudder::core::SettingsFor;
  using Kind = FieldError::Kind;
  struct Case {
    std::string extra;  // members added to a valid object
    SettingsFor reader;
    std::optional<Kind> kind;  // none: accepted
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"("maxRetries":1000)", SettingsFor::wasm, std::nullopt, ""},
      {R"("maxRetries":1001)", SettingsFor::wasm, Kind::out_of_range, "maxRetries: must be a whole number from 0 to 1000"},
      {R"("timeoutMs":2147483647)", SettingsFor::wasm, std::nullopt, ""},
      {R"("timeoutMs":2147483648)", SettingsFor::wasm, Kind::out_of_range,
       "timeoutMs: must be a whole number from 1 to 2147483647"},
      {R"("timeoutMs":0)", SettingsFor::wasm, Kind::out_of_range, "timeoutMs: must be a whole number from 1 to 2147483647"},
      {R"("uploadIntervalMs":0)", SettingsFor::wasm, std::nullopt, ""},
      {R"("maxQueueSize":9007199254740991)", SettingsFor::wasm, std::nullopt, ""},
      {R"("maxQueueSize":-1)", SettingsFor::wasm, Kind::out_of_range,
       "maxQueueSize: must be a whole number from 0 to 9007199254740991"},
      {R"("maxQueueSize":9007199254740992)", SettingsFor::wasm, Kind::out_of_range,
       "maxQueueSize: must be a whole number from 0 to 9007199254740991"},
      {R"("shutdownTimeoutMs":5)", SettingsFor::wasm, Kind::invalid_value,
       "shutdownTimeoutMs: is a setting of the native library, not of this package"},
      {R"("storageDir":"x")", SettingsFor::wasm, Kind::invalid_value,
       "storageDir: is a setting of the native library, not of this package"},
      {R"("shutdownTimeoutMs":5)", SettingsFor::native, std::nullopt, ""},
      {R"("before_send":1)", SettingsFor::wasm, Kind::invalid_value, "before_send: is not a setting (check its spelling)"},
      // A hook from another SDK: the package's plugins, which the native readers (the C API's
      // JSON settings) do not have.
      {R"("beforeSend":1)", SettingsFor::wasm, Kind::invalid_value, "beforeSend: is not a setting (another SDK's name: here it is plugins)"},
      {R"("beforeSend":1)", SettingsFor::native, Kind::invalid_value,
       "beforeSend: is not a setting (another SDK's name: a hook, which JSON settings cannot carry (C++: Config::before_send))"},
      {R"("dataPlaneUrl":"ftp://h")", SettingsFor::wasm, Kind::invalid_value, ""},
      // -1 and 0 are refused with the same sentence, naming the setting's own smallest value.
      {R"("uploadSize":0)", SettingsFor::wasm, Kind::out_of_range, "uploadSize: must be a whole number from 1 to 9007199254740991"},
      {R"("uploadSize":-1)", SettingsFor::wasm, Kind::out_of_range, "uploadSize: must be a whole number from 1 to 9007199254740991"},
      {R"("uploadSize":1)", SettingsFor::wasm, std::nullopt, ""},
      {R"("maxBatchBytes":1023)", SettingsFor::wasm, Kind::out_of_range, "maxBatchBytes: must be a whole number from 1024 to 9007199254740991"},
      {R"("maxQueueBytes":1023)", SettingsFor::wasm, Kind::out_of_range, "maxQueueBytes: must be a whole number from 1024 to 9007199254740991"},
      {R"("maxStorageBytes":1023)", SettingsFor::wasm, Kind::out_of_range, "maxStorageBytes: must be a whole number from 1024 to 9007199254740991"},
      {R"("maxMessageBytes":255)", SettingsFor::wasm, Kind::out_of_range, "maxMessageBytes: must be a whole number from 256 to 9007199254740991"},
      {R"("maxQueueSize":0)", SettingsFor::wasm, std::nullopt, ""},
  };
  for (const Case& c : cases) {
    Config config;
    const std::string text = R"({"writeKey":"k","dataPlaneUrl":"https://h",)" + c.extra + "}";
    const auto problem = rudder::core::read_settings(text, c.reader, config);
    if (!c.kind) {
      EXPECT_FALSE(problem) << text << ": " << (problem ? problem->message : "");
      continue;
    }
    ASSERT_TRUE(problem) << text;
    EXPECT_EQ(problem->kind, *c.kind) << text << ": " << problem->message;
    if (!c.message.empty()) EXPECT_EQ(problem->message, c.message) << text;
  }
  Config config;
  const auto missing = rudder::core::read_settings(R"({"dataPlaneUrl":"https://h"})", SettingsFor::wasm, config);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->kind, Kind::missing);
  EXPECT_EQ(missing->message, "writeKey: is required");
  const auto garbled = rudder::core::read_settings(R"({"writeKey":"k",)", SettingsFor::wasm, config);
  ASSERT_TRUE(garbled);
  EXPECT_EQ(garbled->kind, Kind::invalid_value);
  EXPECT_EQ(garbled->message, "settings: is not valid JSON");
  for (const char* text : {"xyz", "nope", "[1,"}) {
    const auto not_json = rudder::core::read_settings(text, SettingsFor::wasm, config);
    ASSERT_TRUE(not_json) << text;
    EXPECT_EQ(not_json->kind, Kind::invalid_value) << text;
    EXPECT_EQ(not_json->message, "settings: is not valid JSON") << text;
  }
  const auto listed = rudder::core::read_settings("[1]", SettingsFor::wasm, config);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->kind, Kind::wrong_type);
  EXPECT_EQ(listed->message, "settings: must be an object, not array");
}

}  // namespace
