// rudder-analytics CLI: the --help text.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <string>
#include <string_view>

namespace rudder::cli {

/// The full usage text, with the library's current defaults filled in.
std::string usage();

/// One command's help (`rudder-analytics track --help`): its flags and what each sets.
std::string command_usage(std::string_view command);

}  // namespace rudder::cli
