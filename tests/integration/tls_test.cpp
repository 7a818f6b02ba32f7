// Integration tests: TLS against the local data plane serving HTTPS with a certificate of a
// private CA (tests/dataplane/make-test-certs.sh), as a client behind a company CA or a
// TLS-inspecting proxy meets it. Real libcurl, real OpenSSL, certificates always verified.
// Copyright the rudder-analytics authors. MIT licence.
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "client_fixture.hpp"
#include "local_data_plane.hpp"
#include "rudder/analytics.hpp"

namespace rudder {
namespace {

// Sets an environment variable for one scope (the client reads it when it is constructed).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "rudder-tls-" + std::to_string(getpid()));
    const std::string make = std::string(RUDDER_SOURCE_DIR) + "/tests/dataplane/make-test-certs.sh " + *dir_;
    if (std::system(make.c_str()) != 0) throw std::runtime_error("make-test-certs.sh failed");
    plane_ = new testing::LocalDataPlane({"--tls-cert", *dir_ + "/server.pem", "--tls-key", *dir_ + "/server-key.pem"},
                                         ca());
  }
  static void TearDownTestSuite() {
    delete plane_;
    std::system(("rm -rf " + *dir_).c_str());
    delete dir_;
  }
  void SetUp() override {
    plane_->reset();
    // The machine's own settings must not decide these tests.
    for (const char* name : {"SSL_CERT_FILE", "CURL_CA_BUNDLE", "SSL_CERT_DIR"}) unsetenv(name);
  }

  static std::string ca() { return *dir_ + "/ca.pem"; }

  Config config() {
    Config c;
    c.write_key = testing::LocalDataPlane::kWriteKey;
    c.data_plane_url = plane_->url();
    c.on_error = errors_.handler();
    c.max_retries = 0;
    return c;
  }

  inline static std::string* dir_ = nullptr;
  inline static testing::LocalDataPlane* plane_ = nullptr;
  ErrorLog errors_;
};

TEST_F(TlsTest, ThePrivateCaGivenAsCaFileIsTrusted) {
  ASSERT_EQ(plane_->url().rfind("https://", 0), 0u);
  Config c = config();
  c.ca_file = ca();
  Client client(c);
  ASSERT_TRUE(client.track("u", "Over TLS"));
  EXPECT_TRUE(client.flush(10s));
  EXPECT_EQ(plane_->events().size(), 1u);
  EXPECT_TRUE(errors_.errors.empty());
}

TEST_F(TlsTest, WithoutTheCaTheCertificateIsRefusedAndNothingIsSent) {
  Client client(config());
  ASSERT_TRUE(client.track("u", "Untrusted"));
  const FlushResult r = client.flush(10s);
  EXPECT_EQ(r.delivered, 0u);
  EXPECT_TRUE(plane_->events().empty());
  ASSERT_EQ(errors_.errors.size(), 1u);
  EXPECT_NE(errors_.errors[0].message.find("certificate"), std::string::npos) << errors_.errors[0].message;
}

TEST_F(TlsTest, SslCertFileFromTheEnvironmentIsHonoured) {
  ScopedEnv env("SSL_CERT_FILE", ca());
  Client client(config());
  ASSERT_TRUE(client.track("u", "Trusted by SSL_CERT_FILE"));
  EXPECT_TRUE(client.flush(10s));
  EXPECT_EQ(plane_->events().size(), 1u);
}

TEST_F(TlsTest, CaFileWinsOverTheEnvironment) {
  ScopedEnv env("SSL_CERT_FILE", "/nonexistent/elsewhere.pem");
  Config c = config();
  c.ca_file = ca();
  Client client(c);
  ASSERT_TRUE(client.track("u", "E"));
  EXPECT_TRUE(client.flush(10s));
}

TEST_F(TlsTest, AnUnreadableCaFileIsRefusedNamingWhereItCameFrom) {
  Config c = config();
  c.ca_file = *dir_ + "/missing.pem";
  try {
    Client client(c);
    FAIL() << "constructed with a missing ca_file";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "ca_file: cannot read " + *dir_ + "/missing.pem: No such file or directory");
  }
  ScopedEnv env("SSL_CERT_FILE", *dir_ + "/gone.pem");
  try {
    Client client(config());
    FAIL() << "constructed with a missing $SSL_CERT_FILE";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("$SSL_CERT_FILE (for ca_file): cannot read ", 0), 0u) << e.what();
  }
}

// SSL_CERT_DIR may be a list, as OpenSSL reads it: the client used to refuse to start
// with one ("cannot read /etc/ssl/certs:/usr/local/..."), even for an http:// data plane.
TEST_F(TlsTest, ACaDirectoryListFromTheEnvironmentIsTrustedAsOpenSslReadsIt) {
  const std::string hashed = *dir_ + "/hashed";
  ASSERT_EQ(std::system(("mkdir -p " + hashed + " && cp " + ca() + " " + hashed + "/ && openssl rehash " + hashed +
                         " > /dev/null 2>&1").c_str()),
            0);
  ScopedEnv env("SSL_CERT_DIR", "/nonexistent/certs:" + hashed);
  Client client(config());
  ASSERT_TRUE(client.track("u", "Trusted by the second directory of SSL_CERT_DIR"));
  EXPECT_TRUE(client.flush(10s));
  EXPECT_EQ(plane_->events().size(), 1u);
  ScopedEnv none("SSL_CERT_DIR", "/nonexistent/a:/nonexistent/b");
  try {
    Client refused(config());
    FAIL() << "constructed with no readable directory in $SSL_CERT_DIR";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "$SSL_CERT_DIR (for ca_path): cannot read any of the directories /nonexistent/a:/nonexistent/b");
  }
}

TEST_F(TlsTest, AnHttpDataPlaneIgnoresTheEnvironmentsCaSettings) {
  ScopedEnv file("SSL_CERT_FILE", "/nonexistent/ca.pem");
  ScopedEnv dir("SSL_CERT_DIR", "/nonexistent/certs");
  Config c = config();
  c.data_plane_url = "HTTP://127.0.0.1:1";
  c.send = false;
  EXPECT_NO_THROW(Client{c});
  c.ca_file = "/nonexistent/set-by-the-program.pem";  // a setting is still checked
  EXPECT_THROW(Client{c}, std::invalid_argument);
}

}  // namespace
}  // namespace rudder
