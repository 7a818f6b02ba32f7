// rudder-analytics tests: Config::validate(), which both targets run before a client starts,
// and the data plane URL's rules in particular.
// Copyright the rudder-analytics authors. MIT licence.
#include <string>

#include <gtest/gtest.h>

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
        "https://host:123456", "https://host:8o", "https://host:-1",
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
            "plane's credential (got \"https://user:***@host\")");
  EXPECT_EQ(problem_with_url("https://user:secret@host/x?y=1"),
            "data_plane_url: must not have a query ('?'): the SDK adds what the data plane needs "
            "(got \"https://user:***@host/x?y=1\")");
  EXPECT_EQ(problem_with_url("ftp://user:secret@host/"),
            "data_plane_url: must start with http:// or https:// (got \"ftp://user:***@host/\")");
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
            "(got \"https://host/v1/batch?writeKey=***\")");
}

TEST(ConfigDataPlaneUrl, ALongUrlIsCutInTheMessage) {
  const std::string problem = problem_with_url("ftp://host/" + std::string(5000, 'a'));
  EXPECT_LT(problem.size(), 300u);
  EXPECT_NE(problem.find("aaa...\")"), std::string::npos) << problem;
}

TEST(QuotedUrlForMessage, RedactsThePasswordAndTheSecretEscapesTheRest) {
  EXPECT_EQ(quoted_url_for_message("https://user:secret@host/x", ""),
            "\"https://user:***@host/x\"");
  EXPECT_EQ(quoted_url_for_message("https://user:@host", ""), "\"https://user:***@host\"");
  EXPECT_EQ(quoted_url_for_message("https://user@host:8080", ""), "\"https://user@host:8080\"");
  EXPECT_EQ(quoted_url_for_message("https://host:8080/x", ""), "\"https://host:8080/x\"");
  // Over-redacting when unsure: the user info is taken to end at the last '@'.
  EXPECT_EQ(quoted_url_for_message("https://u:p/w@host/a@b", ""), "\"https://u:***@b\"");
  EXPECT_EQ(quoted_url_for_message("https://h/key123/key123", "key123"), "\"https://h/***/***\"");
  EXPECT_EQ(quoted_url_for_message("https://h/\"\\\x01\xC3\xBC", ""),
            "\"https://h/\\\"\\\\\\x01\\xC3\\xBC\"");
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
}

}  // namespace
