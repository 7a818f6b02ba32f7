// rudder-analytics CLI: sends calls to a RudderStack data plane from scripts and cron jobs.
// Copyright the rudder-analytics authors. MIT licence.
//
// One run: read the command line (usage errors exit 2 before anything is sent), hand each
// call to the library as JSON so it validates exactly as it does for programs, wait for
// delivery, print one summary line, exit 0 only if everything arrived.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ndjson.hpp"
#include "options.hpp"
#include "report.hpp"
#include "sender.hpp"
#include "usage.hpp"

namespace {

using namespace rudder;
using namespace rudder::cli;

void print_error(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
}

// The library names the payload field it refused ("properties.price: ..."); in call mode the
// user typed a flag, so point at it too.
std::string explain_refusal(const std::string& error) {
  const std::string field = error.substr(0, error.find_first_of(".[:"));
  const std::string_view flag = flag_for_field(field);
  return flag.empty() ? error : error + " (see " + std::string(flag) + ")";
}

// Reads the calls of an NDJSON input into `sender`. False when the input could not be read.
bool send_ndjson(std::istream& in, Sender& sender, std::uint64_t& invalid) {
  const auto refuse = [&](std::size_t line, const std::string& why) {
    ++invalid;
    std::fprintf(stderr, "line %zu: %s\n", line, why.c_str());
  };
  return read_ndjson(
      in,
      [&](std::size_t line, const nlohmann::json& call) {
        if (const Result r = sender.send(call); !r) refuse(line, r.error);
      },
      refuse);
}

int run(const Options& options) {
  // Open the input before starting the client: a missing file is a usage error, exit 2.
  std::ifstream file;
  const bool from_stdin = options.ndjson_path == "-";
  if (options.mode == Mode::ndjson && !from_stdin) {
    std::error_code ec;
    if (std::filesystem::is_directory(options.ndjson_path, ec)) {  // opens, then fails to read
      print_error("--ndjson: " + options.ndjson_path + " is a directory");
      return 2;
    }
    file.open(options.ndjson_path, std::ios::binary);
    if (!file) {
      print_error("--ndjson: cannot open " + options.ndjson_path + ": " + std::strerror(errno));
      return 2;
    }
  }

  Config config = options.config;
  // Without --debug the library's own log lines are silenced: every failure it would log
  // reaches the CLI through on_error and Stats and is reported once, below, in CLI terms.
  if (!config.debug) config.logger = [](LogLevel, std::string_view) {};

  std::unique_ptr<Sender> sender;
  try {
    sender = std::make_unique<Sender>(std::move(config));
  } catch (const std::invalid_argument& e) {  // not expected: parse_options validated it
    print_error(e.what());
    return 2;
  } catch (const std::runtime_error& e) {  // the storage directory cannot be used
    // The library names its setting (storage_dir); the user typed the flag.
    const std::string what = e.what();
    const std::string setting = "storage_dir:";
    print_error(what.rfind(setting, 0) == 0 ? "--storage-dir:" + what.substr(setting.size()) : what);
    return 2;
  }

  std::uint64_t invalid = 0;
  bool read_failed = false;
  if (options.mode == Mode::flush) {
    // Nothing to send: the client took over what the storage directory holds when it started.
  } else if (options.mode == Mode::call) {
    if (const Result r = sender->send(options.call); !r) {
      ++invalid;
      print_error("invalid " + options.call.value("type", std::string("call")) +
                  " call: " + explain_refusal(r.error));
    }
  } else {
    std::istream& in = from_stdin ? std::cin : static_cast<std::istream&>(file);
    read_failed = !send_ndjson(in, *sender, invalid);
  }

  const Outcome outcome = sender->finish(options.flush_timeout);
  const Report report = make_report(outcome, invalid, options.flush_timeout,
                                    !options.config.storage_dir.empty());
  std::printf("%s\n", report.summary.c_str());
  std::fflush(stdout);
  for (const auto& line : report.errors) std::fprintf(stderr, "%s\n", line.c_str());
  if (read_failed) {
    print_error("reading " + (from_stdin ? std::string("standard input") : options.ndjson_path) +
                " failed; the calls after the last line read were not sent");
    return 1;
  }
  return report.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);  // NDJSON can be large; stdio is not mixed with std::cin
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(usage().c_str(), stderr);
    return 2;
  }
  const Parsed parsed =
      parse_options(args, [](const char* name) -> const char* { return std::getenv(name); });
  if (!parsed.error.empty()) {
    print_error(parsed.error);
    std::fputs("(rudder-analytics --help lists the commands and flags)\n", stderr);
    return 2;
  }
  switch (parsed.options.mode) {
    case Mode::help:
      std::fputs(usage().c_str(), stdout);
      return 0;
    case Mode::version:
      std::printf("rudder-analytics %s\n", kLibraryVersion);
      return 0;
    case Mode::call:
    case Mode::ndjson:
    case Mode::flush:
      break;
  }
  return run(parsed.options);
}
