// Test harness: runs the project's local data plane as a child process.
#include "local_data_plane.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include <curl/curl.h>

#ifndef RUDDER_SOURCE_DIR
#error "RUDDER_SOURCE_DIR must point at the project's root"
#endif

namespace rudder::testing {
namespace {

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

}  // namespace

LocalDataPlane::LocalDataPlane(std::vector<std::string> extra_args, std::string control_ca_file)
    : control_ca_file_(std::move(control_ca_file)) {
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {"node", RUDDER_SOURCE_DIR "/tests/dataplane/server.mjs",
                                   "--port", "0", "--exit-on-stdin-close"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(to_child[0], STDIN_FILENO);
    dup2(from_child[1], STDOUT_FILENO);
    close(to_child[1]);
    close(from_child[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("node", argv.data());
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  stdin_fd_ = to_child[1];
  // The first line is "dataplane listening on http(s)://127.0.0.1:<port>".
  std::string line;
  char c;
  while (read(from_child[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(from_child[0]);
  const auto colon = line.rfind(':');
  const bool tls = line.find("listening on https://") != std::string::npos;
  if ((!tls && line.find("listening on http://") == std::string::npos) || colon == std::string::npos) {
    throw std::runtime_error("local data plane did not start: '" + line + "'");
  }
  port_ = std::stoi(line.substr(colon + 1));
  url_ = (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
}

LocalDataPlane::~LocalDataPlane() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    close(stdin_fd_);
    waitpid(pid_, nullptr, 0);
  }
}

nlohmann::json LocalDataPlane::control(const std::string& method, const std::string& path,
                                       const nlohmann::json& body) {
  CURL* curl = curl_easy_init();
  std::string answer;
  const std::string url = url_ + path;
  const std::string payload = body.is_null() ? std::string() : body.dump();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if (!control_ca_file_.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, control_ca_file_.c_str());
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK || status != 200) {
    throw std::runtime_error("control " + path + " failed: " + curl_easy_strerror(code) +
                             " HTTP " + std::to_string(status) + " " + answer);
  }
  return nlohmann::json::parse(answer, nullptr, false);
}

void LocalDataPlane::reset() { control("POST", "/_control/reset", nlohmann::json::object()); }
void LocalDataPlane::misbehave(const nlohmann::json& rule) {
  control("POST", "/_control/misbehave", rule);
}
void LocalDataPlane::configure(const nlohmann::json& config) {
  control("POST", "/_control/config", config);
}
nlohmann::json LocalDataPlane::events() { return control("GET", "/_control/events"); }
nlohmann::json LocalDataPlane::requests() { return control("GET", "/_control/requests"); }
nlohmann::json LocalDataPlane::stats() { return control("GET", "/_control/stats"); }

int unused_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace rudder::testing
