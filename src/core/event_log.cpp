// rudder-analytics core: where queued events live, in order, until they leave.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/event_log.hpp"

#include <algorithm>
#include <cstring>

#include "core/segment.hpp"

namespace rudder::core {
namespace {

// Spare memory blocks kept for reuse whatever the time; the blocks a burst emptied beyond
// these stay only while bursts keep needing them (see EventLog::trim_spares).
constexpr std::size_t kKeptSpareBlocks = 2;

}  // namespace

std::string LoggedEvent::complete_json(std::int64_t sent_at_unix_ms) const {
  return complete_event_json(json_open, sent_at_unix_ms);
}

EventLog::EventLog(std::size_t block_bytes, BlockStore* store, BlockMemory* memory)
    : block_bytes_(std::max<std::size_t>(block_bytes, 1)),
      memory_block_bytes_(std::max<std::size_t>(memory ? memory->block_bytes() : block_bytes, 1)),
      store_(store),
      memory_(memory) {}

void FreeLogBlock::operator()(char* block) const noexcept {
  if (memory != nullptr) {
    memory->release(block, bytes);
  } else {
    delete[] block;
  }
}

EventLog::~EventLog() { clear(); }

EventLog::Block EventLog::new_memory_block(std::size_t size) {
  if (size <= memory_block_bytes_ && !spare_.empty()) {
    Block block = std::move(spare_.back());
    spare_.pop_back();
    return block;
  }
  Block block;
  block.capacity = std::max(size, memory_block_bytes_);
  // Uninitialized either way: every byte read is written first.
  char* bytes = memory_ != nullptr ? memory_->allocate(block.capacity) : nullptr;
  if (bytes != nullptr) {
    block.owned = {bytes, FreeLogBlock{memory_, block.capacity}};
  } else {
    block.owned = {new char[block.capacity], FreeLogBlock{nullptr, block.capacity}};
  }
  block.bytes = block.owned.get();
  return block;
}

std::optional<EventLog::Block> EventLog::stored_block(std::size_t record_size, std::int64_t now) {
  const std::size_t wanted = std::max(block_bytes_, segment::kHeaderBytes + record_size);
  std::string why;
  std::optional<BlockStore::Block> made = store_->create(wanted, why);
  if (!made) {
    // Events wait in memory (not counted as stored) until a retry.
    retry_store_at_ = now + kStoreRetryMs;
    storage_failed(std::move(why));
    return std::nullopt;
  }
  storage_worked();
  Block block;
  block.bytes = made->bytes;
  block.capacity = made->capacity;
  block.used = segment::kHeaderBytes;
  block.segment = made;
  block.resume_after.reserve(made->capacity / 256);
  return block;
}

EventLog::Block& EventLog::block_for(std::size_t record_size, std::int64_t now) {
  if (!blocks_.empty()) {
    Block& tail = blocks_.back();
    if (!tail.sealed && tail.capacity - tail.used >= record_size) {
      // A memory block standing in for a segment the store could not make: the store is tried
      // again every kStoreRetryMs (a full disk may have room again), not only once the block
      // fills, which a client of a few events a minute would wait hours for.
      if (store_ == nullptr || tail.segment || now < retry_store_at_) return tail;
      std::optional<Block> stored = stored_block(record_size, now);
      if (!stored) return tail;
      tail.sealed = true;  // its events leave from memory; new ones go to storage again
      blocks_.push_back(std::move(*stored));
      return blocks_.back();
    }
  }
  if (store_ != nullptr) {
    if (std::optional<Block> stored = stored_block(record_size, now)) {
      blocks_.push_back(std::move(*stored));
      return blocks_.back();
    }
  }
  blocks_.push_back(new_memory_block(record_size));
  return blocks_.back();
}

LoggedEvent EventLog::append(std::string_view json_open, std::int64_t enqueued_at) {
  last_append_at_ = enqueued_at;
  // A record needs its header only in storage; the first guess at the block decides.
  const bool to_store = store_ != nullptr;
  Block* block = &block_for(to_store ? segment::record_bytes(json_open.size()) : json_open.size(), enqueued_at);
  // (A memory block standing in for a segment the store could not make is large enough too.)
  if (block->segment) {
    char* at = block->bytes + block->used;
    segment::write_record(at, json_open, store_->checksum(json_open));
    std::string why;
    if (store_->written(*block->segment, block->used, segment::record_bytes(json_open.size()), why)) {
      storage_worked();
    } else {
      storage_failed(std::move(why));
    }
    block->used += segment::record_bytes(json_open.size());
    block->resume_after.push_back(static_cast<std::uint32_t>(block->used));
    ++block->events;
    return {std::string_view(at + segment::kRecordHeaderBytes, json_open.size()), enqueued_at, true};
  }
  char* at = block->bytes + block->used;
  if (!json_open.empty()) std::memcpy(at, json_open.data(), json_open.size());
  block->used += json_open.size();
  ++block->events;
  return {std::string_view(at, json_open.size()), enqueued_at, false};
}

bool EventLog::open_storage(std::int64_t now) {
  if (store_ == nullptr) return true;
  if (!blocks_.empty() && blocks_.back().segment && !blocks_.back().sealed) return true;
  std::optional<Block> stored = stored_block(0, now);
  if (!stored) return false;
  // An empty tail: the first event goes into it (release_oldest keeps a lone empty tail, and
  // clear() deletes it unused).
  blocks_.push_back(std::move(*stored));
  return true;
}

void EventLog::storage_failed(std::string why) {
  if (storage_failing_) return;  // said once, until it works again
  storage_failing_ = true;
  storage_news_ = StorageNews{StorageNews::Kind::failed, std::move(why)};
}

void EventLog::storage_worked() {
  if (!storage_failing_) return;
  storage_failing_ = false;
  // A failure not yet said and already over is no news either.
  if (storage_news_ && storage_news_->kind == StorageNews::Kind::failed) {
    storage_news_.reset();
  } else {
    storage_news_ = StorageNews{StorageNews::Kind::works_again, {}};
  }
}

EventLog::Adoption EventLog::adopt(const BlockStore::Block& seg, std::vector<LoggedEvent>& events) {
  const auto checksum = store_ ? store_->checksum : &crc32;
  Adoption adopted;
  // A damaged magic or header size costs none of the file's whole records (each has its own
  // checksum). Decided here, once for every platform.
  adopted.repaired = segment::repair_header(seg.bytes, seg.capacity, checksum);
  if (!segment::has_header({seg.bytes, seg.capacity})) {
    // Not a segment, and nothing in it reads as a record: not ours to delete.
    if (store_ != nullptr) store_->set_aside(seg);
    adopted.set_aside = true;
    return adopted;
  }
  if (store_ != nullptr) {
    const std::uint64_t written_for = segment::destination(seg.bytes);
    if (written_for != 0 && store_->destination != 0 && written_for != store_->destination) {
      store_->close(seg);
      adopted.foreign = true;
      return adopted;
    }
  }
  const segment::Scan scan = segment::scan(std::string_view(seg.bytes, seg.capacity), checksum);
  adopted.corrupt = scan.corrupt;
  adopted.from_top = scan.from_top;
  if (scan.records.empty()) {
    if (store_ != nullptr) store_->remove(seg);
    return adopted;
  }
  Block block;
  block.bytes = seg.bytes;
  block.capacity = seg.capacity;
  block.used = scan.end;
  block.sealed = true;
  block.segment = seg;
  block.events = scan.records.size();
  block.resume_after.reserve(scan.records.size());
  for (const segment::Scan::Record& r : scan.records) {
    block.resume_after.push_back(static_cast<std::uint32_t>(r.next));
    events.push_back({r.payload, 0, true});
  }
  blocks_.push_back(std::move(block));
  return adopted;
}

void EventLog::let_go(Block& block) noexcept {
  if (!block.segment) return;
  if (store_ == nullptr) return;
  if (block.released == block.events) {
    store_->remove(*block.segment);
  } else {
    store_->close(*block.segment);
  }
  block.segment.reset();
}

void EventLog::retire_front() noexcept {
  Block block = std::move(blocks_.front());
  blocks_.pop_front();
  if (block.segment) {
    let_go(block);
    return;
  }
  if (block.capacity == memory_block_bytes_) {
    block.used = block.events = block.released = 0;
    block.sealed = false;  // sealed when the store came back (block_for): a spare takes appends
    block.spare_since = last_append_at_;
    spare_.push_back(std::move(block));
  }
}

void EventLog::trim_spares(std::int64_t now) noexcept {
  // The oldest spares are at the front (new_memory_block reuses from the back).
  while (spare_.size() > kKeptSpareBlocks && now - spare_.front().spare_since >= kSpareIdleMs) {
    spare_.pop_front();
  }
}

void EventLog::release_idle_memory() noexcept {
  spare_.clear();
  if (blocks_.size() == 1 && blocks_.front().released == blocks_.front().events) {
    let_go(blocks_.front());
    blocks_.pop_front();
  }
}

std::optional<std::int64_t> EventLog::next_spare_expiry() const noexcept {
  if (spare_.size() <= kKeptSpareBlocks) return std::nullopt;
  return spare_.front().spare_since + kSpareIdleMs;
}

void EventLog::release_oldest(std::size_t count) noexcept {
  while (count > 0 && !blocks_.empty()) {
    Block& front = blocks_.front();
    const std::size_t here = std::min(count, front.events - front.released);
    front.released += here;
    count -= here;
    if (front.segment && front.released > 0) {
      // A later run starts after what has left (delivered events are not sent twice).
      segment::set_resume_offset(front.bytes, front.resume_after[front.released - 1]);
      std::string why;  // a resume offset not written sends events again after a crash, no loss
      (void)store_->written(*front.segment, segment::kResumeOffsetAt, 8, why);
    }
    if (front.released < front.events) break;
    if (blocks_.size() == 1 && !front.sealed) {
      // The tail holds nothing live: keep filling it instead of making a new one. A segment
      // goes on after its last record rather than over it: a record written over an old one
      // could leave the old one's tail readable after a crash, and send it again.
      if (!front.segment) front.used = 0;
      front.events = front.released = 0;
      front.resume_after.clear();
      break;
    }
    retire_front();
  }
}

void EventLog::clear() noexcept {
  while (!blocks_.empty()) {
    let_go(blocks_.front());
    blocks_.pop_front();
  }
}

void EventLog::forget() noexcept {
  while (!blocks_.empty()) {
    if (blocks_.front().segment && store_ != nullptr) store_->close(*blocks_.front().segment);
    blocks_.pop_front();
  }
}

std::size_t EventLog::reserved_bytes() const noexcept {
  std::size_t bytes = 0;
  for (const Block& b : blocks_) bytes += b.capacity;
  for (const Block& b : spare_) bytes += b.capacity;
  return bytes;
}

}  // namespace rudder::core
