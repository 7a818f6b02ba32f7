// rudder-analytics core: where queued events live, in order, until they leave.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"

namespace rudder::core {

/// One event in the log: a view of its bytes there, valid until the log releases it.
struct LoggedEvent {
  std::string_view json_open;  ///< as EncodedEvent::json_open
  std::int64_t enqueued_at = 0;

  std::size_t wire_size() const noexcept { return json_open.size() + kEventSuffixSize; }
  std::string complete_json(std::int64_t sent_at_unix_ms) const;
};

/// Event bytes packed back to back in large blocks, released oldest first.
///
/// Why: a queue of one heap string per event made every call a malloc on the caller's
/// thread and every delivery a hundred free()s on the delivering one, and glibc serializes
/// a free against the arena that allocated it, so the two threads fought over the arena
/// lock. Events leave the pipeline strictly in the order they came (only the oldest batch is
/// ever sent; splits, beacons and give-ups take prefixes), so a log of blocks fits: a call
/// copies its bytes to the tail, and a block is recycled once every event in it has gone.
///
/// Threading: not synchronized. The driver appends and releases under its lock. Bytes once
/// appended never move or change, so the one delivering context may read the events it cut
/// into a batch without the lock while callers append further events; a block is only
/// released by that same context.
class EventLog {
 public:
  /// Blocks are `block_bytes` long, or one event long when an event is larger.
  explicit EventLog(std::size_t block_bytes = kDefaultBlockBytes);
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  static constexpr std::size_t kDefaultBlockBytes = 1 << 20;

  /// Copies `json_open` to the tail and returns its view there.
  LoggedEvent append(std::string_view json_open, std::int64_t enqueued_at);

  /// The `count` oldest events have left (delivered, given up on, beaconed, abandoned): their
  /// views die, and blocks holding nothing else are recycled.
  void release_oldest(std::size_t count) noexcept;

  /// Forgets every event; all views die.
  void clear() noexcept;

  /// Bytes held in blocks, spare ones included.
  std::size_t reserved_bytes() const noexcept;

 private:
  struct Block {
    std::unique_ptr<char[]> bytes;
    std::size_t capacity = 0;
    std::size_t used = 0;
    std::size_t events = 0;    // appended to this block
    std::size_t released = 0;  // of those, gone
  };

  Block& block_for(std::size_t size);
  void retire_front() noexcept;

  std::size_t block_bytes_;
  std::deque<Block> blocks_;  // oldest first; the back one takes appends
  // Emptied standard-size blocks kept for reuse: the pages are already mapped, so a steady
  // stream of events writes to warm memory instead of faulting in fresh pages.
  std::vector<Block> spare_;
};

}  // namespace rudder::core
