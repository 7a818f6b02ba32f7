// rudder-analytics CLI: the command line, read into what one run should do.
// Copyright the rudder-analytics authors. MIT licence.
//
// Hand-written and strict on purpose: a cron job with a typo in a flag must fail loudly
// (exit 2, nothing sent) rather than send half a call. No parser library in Debian fits
// (strict per-command flags, values that start with '-', JSON values), and this is small.
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

}  // namespace rudder::cli
