// rudder-analytics CLI: the --help text.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <string>

namespace rudder::cli {

/// The full usage text, with the library's current defaults filled in.
std::string usage();

}  // namespace rudder::cli
