// rudder-analytics tests: storage segments in memory, for the core's storage paths.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>

#include "core/event_log.hpp"
#include "core/segment.hpp"

namespace rudder::testing {

class MemoryStore : public core::BlockStore {
 public:
  std::optional<Block> create(std::size_t min_capacity, std::string&) override {
    std::string& bytes = segments_.emplace_back(min_capacity, '\0');
    core::segment::write_header(bytes.data(), 0);
    return Block{bytes.data(), bytes.size(), segments_.size()};
  }
  void remove(const Block&) noexcept override { ++removed; }
  void close(const Block&) noexcept override {}
  void set_aside(const Block&) noexcept override { ++set_aside_count; }
  int removed = 0;
  int set_aside_count = 0;

 private:
  std::deque<std::string> segments_;  // a deque: creating one never moves the others
};

}  // namespace rudder::testing
