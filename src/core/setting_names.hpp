// rudder-analytics core: the one table of setting names, C++ style (max_queue_size) and
// JavaScript style (maxQueueSize), so a message names a setting the way its reader wrote it.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <string>
#include <string_view>

namespace rudder::core {

enum class Naming : unsigned char { cpp, js };

/// `cpp_name` as the given API spells it; unknown names come back unchanged.
std::string_view setting_name(std::string_view cpp_name, Naming naming) noexcept;

/// For a name that is not a setting of the JavaScript API but is one of a peer SDK's (flushAt)
/// or a setting spelled in another case (dataPlaneURL): what this API calls it, as the tail of
/// "is not a setting (...)". Empty when there is nothing to suggest. `package_options`: the
/// npm package's own options (onError, logger...) count as settings too.
std::string suggest_setting(std::string_view name, bool package_options);

/// A "setting: problem" message (Config::validate's) with its leading setting name spelled
/// for `naming`.
std::string with_setting_names(std::string message, Naming naming);

}  // namespace rudder::core
