// rudder-analytics CLI: sends calls to a RudderStack data plane from scripts and cron jobs.
// Copyright the rudder-analytics authors. MIT licence.
//
// One run: read the command line (usage errors exit 2 before anything is sent), hand each
// call to the library as JSON so it validates exactly as it does for programs, wait for
// delivery, print one summary line, exit 0 only if everything arrived. SIGINT / SIGTERM stop
// reading, flush for at most a few seconds, print the summary and exit 130 / 143.
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "dry_run.hpp"
#include "json_input.hpp"
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

// ---- signals -------------------------------------------------------------------------------

volatile std::sig_atomic_t g_signal = 0;  // the SIGINT or SIGTERM that asked the run to stop

extern "C" void on_stop_signal(int signo) {
  g_signal = signo;
  // A read of standard input waiting for a line ends here: libstdc++ retries a read that a
  // signal interrupted, and it now finds the descriptor closed. (close is async-signal-safe.)
  close(STDIN_FILENO);
}

bool interrupted() { return g_signal != 0; }

// The first SIGINT / SIGTERM stops the run gently; a second one (SA_RESETHAND restores the
// default action) ends it at once.
void handle_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESETHAND;  // and no SA_RESTART
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// The threads the client starts (its worker, libcurl's resolver) inherit this mask, so the
// signals reach the main thread, whose blocked read they must interrupt.
void block_stop_signals(bool block) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
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
      [&](std::size_t line, std::string_view call) {
        const Result r = sender.send_json(call);
        if (r) return;
        if (r.status == Status::queue_full) {
          // Only when a signal ended the wait for room (Sender::send waits otherwise): a line
          // read but not accepted, which the library counts as dropped; not an invalid one.
          std::fprintf(stderr, "line %zu: not sent: interrupted while waiting for room in the queue (%s)\n", line,
                       r.error.c_str());
          return;
        }
        // Text that is no JSON at all: where it goes wrong, which the library's refusal
        // ("message: is not valid JSON") does not say.
        if (r.field == "message") {
          if (auto problem = json_syntax_problem(call)) return refuse(line, *problem);
        }
        refuse(line, r.error);
      },
      refuse, interrupted);
}

// An error the library reports by its setting's name ("ca_file: cannot read ..."), with the
// flag the user typed instead.
std::string in_flag_terms(const std::string& what) {
  const std::string setting = what.substr(0, what.find(':'));
  const std::string_view flag = flag_for_setting(setting);
  return flag.empty() ? what : std::string(flag) + what.substr(setting.size());
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

  // flush delivers what earlier runs left: a directory that is not there is a mistyped path,
  // not an empty queue (the client would create it and report success).
  if (options.mode == Mode::flush) {
    std::error_code ec;
    const auto status = std::filesystem::status(options.config.storage_dir, ec);
    if (!std::filesystem::is_directory(status)) {
      print_error("--storage-dir: \"" + options.config.storage_dir + "\" " +
                  (std::filesystem::exists(status) ? "is not a directory" : "does not exist") +
                  " (flush delivers what earlier runs left in one)");
      return 2;
    }
  }

  Config config = options.config;
  // Without --debug only the library's warnings and errors are shown: a failure reaches the
  // CLI through on_error and Stats and is reported once, below (so the library never logs
  // it), but a warning says what nothing else would (storage that cannot be written, stored
  // events the data plane keeps refusing, and why). Except a full queue: the CLI waits for
  // room instead of dropping the line, so the library's "dropping events" would be untrue
  // (tests/cli checks that a run through a small queue prints nothing).
  // The library's errors are what Stats cannot count (a stored file this user may not read):
  // each makes the run unclean, exit 1.
  auto library_errors = std::make_shared<std::atomic<std::uint64_t>>(0);
  config.logger = [library_errors, debug = config.debug](LogLevel level, std::string_view message) {
    static constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
    if (level == LogLevel::error) library_errors->fetch_add(1);
    if (debug) {  // every line, as the library itself prints them
      std::fprintf(stderr, "[rudder-analytics] %s: %.*s\n", kNames[static_cast<int>(level)],
                   static_cast<int>(message.size()), message.data());
      return;
    }
    if (level < LogLevel::warning || message.rfind("queue is full", 0) == 0) return;
    std::fprintf(stderr, "%s: %.*s\n", kNames[static_cast<int>(level)],
                 static_cast<int>(message.size()), message.data());
  };
  if (options.dry_run) {
    // The library runs as for real; its requests go to standard output instead.
    config.gzip = false;
    config.transport = std::make_shared<DryRunTransport>(stdout);
  }

  std::unique_ptr<Sender> sender;
  block_stop_signals(true);
  try {
    sender = std::make_unique<Sender>(std::move(config), interrupted);
  } catch (const std::exception& e) {
    // An unreadable CA file, an unusable storage directory: the command line names a thing
    // that cannot be used. The library names its setting (ca_file); the user typed the flag.
    block_stop_signals(false);
    print_error(in_flag_terms(e.what()));
    return 2;
  }
  block_stop_signals(false);

  std::uint64_t invalid = 0;
  bool read_failed = false;
  if (options.mode == Mode::flush) {
    // Nothing to send: the client took over what the storage directory holds when it started.
  } else if (options.mode == Mode::call) {
    if (const Result r = sender->send(options.call); !r) {
      // The flags make a call the library refuses: a usage error like any other, nothing sent.
      const std::string command = options.call.value("type", std::string("call"));
      print_error("invalid " + command + " call: " + explain_refusal(r.error));
      std::fprintf(stderr, "(rudder-analytics %s --help lists its flags)\n", command.c_str());
      return 2;
    }
  } else {
    std::istream& in = from_stdin ? std::cin : static_cast<std::istream&>(file);
    read_failed = !send_ndjson(in, *sender, invalid);
  }

  const Outcome outcome = sender->finish(options.flush_timeout);
  Report report = make_report(outcome, invalid, options.flush_timeout,
                              !options.config.storage_dir.empty());
  if (const std::uint64_t errors = library_errors->load(); errors > 0) {
    report.errors.push_back("error: " + std::to_string(errors) +
                            (errors == 1 ? " error was" : " errors were") +
                            " reported above: what they name was not delivered by this run");
    report.exit_code = 1;
  }
  if (options.dry_run) {
    // Standard output holds the events; what the transport took was built, not delivered.
    std::fprintf(stderr, "built %llu, invalid %llu (dry run: nothing was sent)\n",
                 static_cast<unsigned long long>(outcome.stats.delivered),
                 static_cast<unsigned long long>(invalid));
  } else {
    std::printf("%s\n", report.summary.c_str());
  }
  std::fflush(stdout);
  for (const auto& line : report.errors) std::fprintf(stderr, "%s\n", line.c_str());
  if (const int signo = g_signal; signo != 0) {
    std::fprintf(stderr, "interrupted by %s: stopped reading, flushed for at most %lld s\n",
                 signo == SIGINT ? "SIGINT" : "SIGTERM",
                 static_cast<long long>(Sender::kInterruptedFlush.count() / 1000));
    return 128 + signo;
  }
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
  handle_stop_signals();
  // Under a file-size limit (ulimit -f) a segment that cannot be reserved would kill the run
  // with SIGXFSZ; ignored, the reservation fails with EFBIG and --storage-dir is refused (exit 2).
  std::signal(SIGXFSZ, SIG_IGN);
  // A log reader that went away (stderr or stdout a pipe whose reader exited) would otherwise
  // end the run with SIGPIPE at its next line, losing every event still queued without a
  // word; ignored, such a write fails (EPIPE) and the run delivers, then exits as usual.
  std::signal(SIGPIPE, SIG_IGN);
  const Parsed parsed =
      parse_options(args, [](const char* name) -> const char* { return std::getenv(name); });
  if (!parsed.error.empty()) {
    print_error(parsed.error);
    std::fputs("(rudder-analytics --help lists the commands and flags)\n", stderr);
    return 2;
  }
  switch (parsed.options.mode) {
    case Mode::help:
      std::fputs((parsed.options.help_command.empty() ? usage() : command_usage(parsed.options.help_command)).c_str(),
                 stdout);
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
