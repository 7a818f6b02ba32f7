// rudder-analytics tests: queue memory blocks from the heap, with a ledger of what the event
// log took and gave back.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <map>

#include "core/event_log.hpp"

namespace rudder::testing {

class CountingMemory : public core::BlockMemory {
 public:
  explicit CountingMemory(std::size_t block) : block_(block) {}
  std::size_t block_bytes() const noexcept override { return block_; }
  char* allocate(std::size_t bytes) noexcept override {
    if (refuse) return nullptr;
    char* block = new char[bytes];
    held[block] = bytes;
    ++allocations;
    return block;
  }
  void release(char* block, std::size_t bytes) noexcept override {
    released_sizes_match &= held.count(block) == 1 && held[block] == bytes;
    held.erase(block);
    delete[] block;
  }

  std::map<char*, std::size_t> held;  // what the log has now
  int allocations = 0;
  bool refuse = false;
  bool released_sizes_match = true;

 private:
  std::size_t block_;
};

}  // namespace rudder::testing
