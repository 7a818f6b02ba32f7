// rudder-analytics core: counters, flush results and delivery errors as JSON text, for the
// JavaScript package (whose module carries no JSON library) and anything else that prints them.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <string>
#include <vector>

#include "rudder/types.hpp"

namespace rudder::core {

/// {"queued":n,"delivered":n,"failed":n,"unknown":n,"retried":n,"pending":n,"beaconed":n,
///  "dropped":{"invalid":n,...}}
std::string stats_json(const Stats& stats);

/// {"delivered":n,"failed":n,"unknown":n,"unsent":n,"beaconed":n,"pending":n}
std::string flush_result_json(const FlushResult& result);

/// {"kind":"http_status","status":401,"body":"...","message":"...","attempts":1,"lastAttempt":""}
std::string delivery_error_json(const DeliveryError& error);

/// "[e1,e2,...]" from items that are JSON text already (joined, not parsed again).
std::string json_array(const std::vector<std::string>& items);

/// "http_status", "network", "unknown_outcome", "unsent_at_shutdown"
const char* to_string(DeliveryError::Kind kind) noexcept;

}  // namespace rudder::core
