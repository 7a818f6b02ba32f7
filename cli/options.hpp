// rudder-analytics CLI: the command line, read into what one run should do.
// Copyright the rudder-analytics authors. MIT licence.
//
// Hand-written and strict on purpose: a cron job with a typo in a flag must fail loudly
// (exit 2, nothing sent) rather than send half a call. Debian's CLI11 was considered: its
// subcommands would give per-command flags and help, but its messages name its own concepts
// ("The following argument was not expected"), it takes "--user-id --event" as a value, and
// the rules here (a flag of another command, flush with call flags, where a value came from:
// a flag or $RUDDER_*) would still be code of ours around it. This is small and says exactly
// what is wrong, with a suggestion for a typo.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "rudder/analytics.hpp"

namespace rudder::cli {

enum class Mode {
  help,     ///< print the usage and stop
  version,  ///< print the version and stop
  call,     ///< send the one call built from flags (`call`)
  ndjson,   ///< send one call per line of `ndjson_path`
  flush,    ///< deliver what config.storage_dir holds, send nothing new (`flush`)
};

struct Options {
  Mode mode = Mode::help;
  /// Write key, data plane and tuning; library defaults for whatever no flag set.
  /// Already checked with Config::validate(). on_error and logger are left for the caller.
  Config config;
  /// How long to wait for delivery before giving up on what is still queued.
  std::chrono::milliseconds flush_timeout{30'000};
  /// Mode::call: the call with the payload's field names, e.g. {"type":"track","userId":"42"}.
  /// Only syntax is checked here (JSON flag values parse); the library validates the rest.
  nlohmann::json call;
  /// Mode::ndjson: a file name, or "-" for standard input.
  std::string ndjson_path;
  /// --dry-run: validate and build the events and print them, send nothing.
  bool dry_run = false;
  /// Mode::help: the command whose help to print (`track --help`); empty for the whole usage.
  std::string help_command;
};

/// What parse_options() found: options, or a usage error (exit 2) that names the flag.
struct Parsed {
  Options options;
  std::string error;  ///< empty when the command line is usable
};

/// Reads the arguments after the program name. `getenv` supplies RUDDER_WRITE_KEY and
/// RUDDER_DATA_PLANE_URL (flags win); it is a parameter so tests need no real environment.
Parsed parse_options(const std::vector<std::string>& args,
                     const std::function<const char*(const char*)>& getenv);

/// The flag that sets a payload field ("properties" -> "--properties"), or empty. Lets an
/// error the library reports by payload field name point the user at the flag to fix.
std::string_view flag_for_field(std::string_view field);

/// One flag of a command, for its --help.
struct CommandFlag {
  std::string_view flag;   ///< "--event"
  std::string_view value;  ///< "NAME", "JSON", "ID", "TIME"
  std::string_view help;   ///< one line: what it sets ("required" first when it is)
};
/// The flags `command` takes (its own first, then those every call takes); empty for a word
/// that is no command.
std::vector<CommandFlag> command_flags(std::string_view command);

/// The CLI flag for a setting the library names in an error ("ca_file" -> "--ca-file"), or
/// empty when no flag sets it.
std::string_view flag_for_setting(std::string_view setting);

}  // namespace rudder::cli
