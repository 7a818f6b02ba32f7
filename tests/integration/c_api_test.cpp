// Integration tests: the C API from a C99 program (tests/c_api/check.c) against the local data
// plane: its own checks pass, and what it sent arrived as the six calls and submit.
// Copyright the rudder-analytics authors. MIT licence.
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "client_fixture.hpp"

namespace rudder {
namespace {

using CApiTest = ClientTest;

TEST_F(CApiTest, ACProgramSendsTheSixCallsAndSubmitAndItsChecksHold) {
  const std::string command = std::string(RUDDER_C_API_CHECK) + " " + plane_->url() + " 2>&1";
  FILE* program = popen(command.c_str(), "r");
  ASSERT_NE(program, nullptr);
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, program) != nullptr) output += buffer;
  const int status = pclose(program);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_NE(output.find("c api: all checks held"), std::string::npos) << output;

  const json events = plane_->events();
  std::vector<std::string> seen;
  for (const json& e : events) {
    if (e.value("userId", "") == "c-user") seen.push_back(e.value("event", e.at("type").get<std::string>()));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"identify", "From C", "page", "screen", "group", "alias",
                                            "Submitted", "No detail wanted"}));
  for (const json& e : events) {
    if (e.value("event", "") == "From C") {
      EXPECT_EQ(e.at("properties"), json({{"n", 1}}));
      EXPECT_EQ(e.at("context").at("library").at("name"), kLibraryName);
    }
    if (e.at("type") == "alias") EXPECT_EQ(e.at("messageId"), "c-alias-1");
  }
}

}  // namespace
}  // namespace rudder
