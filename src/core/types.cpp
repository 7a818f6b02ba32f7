// rudder-analytics core: names of the public enums, and Stats helpers.
// Copyright the rudder-analytics authors. MIT licence.
#include <numeric>

#include "rudder/types.hpp"

namespace rudder {

const char* to_string(DropReason reason) noexcept {
  switch (reason) {
    case DropReason::invalid: return "invalid";
    case DropReason::queue_full: return "queue_full";
    case DropReason::shut_down: return "shut_down";
    case DropReason::unsent_at_shutdown: return "unsent_at_shutdown";
    case DropReason::by_plugin: return "by_plugin";
    case DropReason::count_: break;
  }
  return "unknown";
}

const char* to_string(Status status) noexcept {
  switch (status) {
    case Status::accepted: return "accepted";
    case Status::invalid: return "invalid";
    case Status::queue_full: return "queue_full";
    case Status::shut_down: return "shut_down";
    case Status::not_initialized: return "not_initialized";
    case Status::dropped: return "dropped";
  }
  return "unknown";
}

std::uint64_t Stats::dropped_total() const noexcept {
  return std::accumulate(dropped.begin(), dropped.end(), std::uint64_t{0});
}

}  // namespace rudder
