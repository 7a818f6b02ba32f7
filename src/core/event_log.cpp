// rudder-analytics core: where queued events live, in order, until they leave.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/event_log.hpp"

#include <algorithm>
#include <cstring>

namespace rudder::core {
namespace {

// Spare blocks kept for reuse; beyond these, emptied blocks are freed, so a burst that once
// filled the queue does not keep its memory.
constexpr std::size_t kMaxSpareBlocks = 2;

}  // namespace

std::string LoggedEvent::complete_json(std::int64_t sent_at_unix_ms) const {
  std::string out;
  out.reserve(wire_size());
  out.append(json_open);
  append_sent_at_suffix(out, sent_at_unix_ms);
  return out;
}

EventLog::EventLog(std::size_t block_bytes) : block_bytes_(std::max<std::size_t>(block_bytes, 1)) {}

EventLog::Block& EventLog::block_for(std::size_t size) {
  if (!blocks_.empty()) {
    Block& tail = blocks_.back();
    if (tail.capacity - tail.used >= size) return tail;
  }
  if (size <= block_bytes_ && !spare_.empty()) {
    blocks_.push_back(std::move(spare_.back()));
    spare_.pop_back();
    return blocks_.back();
  }
  Block block;
  block.capacity = std::max(size, block_bytes_);
  block.bytes.reset(new char[block.capacity]);  // uninitialized: every byte read is written first
  blocks_.push_back(std::move(block));
  return blocks_.back();
}

LoggedEvent EventLog::append(std::string_view json_open, std::int64_t enqueued_at) {
  Block& block = block_for(json_open.size());
  char* at = block.bytes.get() + block.used;
  if (!json_open.empty()) std::memcpy(at, json_open.data(), json_open.size());
  block.used += json_open.size();
  ++block.events;
  return {std::string_view(at, json_open.size()), enqueued_at};
}

void EventLog::retire_front() noexcept {
  Block block = std::move(blocks_.front());
  blocks_.pop_front();
  if (block.capacity == block_bytes_ && spare_.size() < kMaxSpareBlocks) {
    block.used = block.events = block.released = 0;
    spare_.push_back(std::move(block));
  }
}

void EventLog::release_oldest(std::size_t count) noexcept {
  while (count > 0 && !blocks_.empty()) {
    Block& front = blocks_.front();
    const std::size_t here = std::min(count, front.events - front.released);
    front.released += here;
    count -= here;
    if (front.released < front.events) break;
    if (blocks_.size() == 1) {
      // The tail holds nothing live: start it over instead of giving it back.
      front.used = front.events = front.released = 0;
      break;
    }
    retire_front();
  }
}

void EventLog::clear() noexcept {
  while (!blocks_.empty()) retire_front();
}

std::size_t EventLog::reserved_bytes() const noexcept {
  std::size_t bytes = 0;
  for (const Block& b : blocks_) bytes += b.capacity;
  for (const Block& b : spare_) bytes += b.capacity;
  return bytes;
}

}  // namespace rudder::core
