// rudder-analytics CLI: what a finished run prints, and its exit code.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "sender.hpp"

namespace rudder::cli {

struct Report {
  /// The one line for standard output, e.g. "delivered 3, failed 0, dropped 0, invalid 0":
  /// stable wording, so scripts can parse it.
  std::string summary;
  /// Lines for standard error ("error: ..."), saying why the run did not fully succeed.
  std::vector<std::string> errors;
  /// 0 only when every call was delivered and no input was invalid; otherwise 1.
  int exit_code = 0;
};

/// `invalid`: the inputs refused before sending (bad JSON or refused by validation).
/// `storage`: the run used --storage-dir, so the summary also says how many events were
/// recovered from it and how many stay in it for the next run.
Report make_report(const Outcome& outcome, std::uint64_t invalid,
                   std::chrono::milliseconds flush_timeout, bool storage = false);

}  // namespace rudder::cli
