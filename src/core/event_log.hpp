// rudder-analytics core: where queued events live, in order, until they leave; in memory, or
// in storage that outlives the process.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/crc32.hpp"
#include "core/event.hpp"

namespace rudder::core {

/// One event in the log: a view of its bytes there, valid until the log releases it.
struct LoggedEvent {
  std::string_view json_open;  ///< as EncodedEvent::json_open
  std::int64_t enqueued_at = 0;
  bool stored = false;  ///< its bytes are in storage (see BlockStore), not only in memory

  std::size_t wire_size() const noexcept { return json_open.size() + kEventSuffixSize; }
  std::string complete_json(std::int64_t sent_at_unix_ms) const;
};

/// Storage for the log's blocks, given by a platform that keeps events across process ends
/// (native: memory-mapped segment files; see core/segment.hpp for their format). A block's
/// bytes are writable memory whose writes the platform makes durable (a shared mapping is in
/// the OS's hands the moment it is written).
///
/// Threading: called only by the EventLog, under the driver's lock, except remove() and
/// close(), which may also come from the delivering context (which holds no other lock).
class BlockStore {
 public:
  struct Block {
    char* bytes = nullptr;     ///< a segment header is already written at the start
    std::size_t capacity = 0;  ///< bytes writable from `bytes`
    std::uint64_t id = 0;      ///< the platform's handle
  };

  virtual ~BlockStore() = default;
  /// A new segment of at least `min_capacity` bytes, header written; nullopt when the
  /// platform cannot make one now (disk full, permissions), with `why` set to what failed
  /// (`cannot reserve 1048576 bytes for "<path>": No space left on device`). The log keeps
  /// that event in memory instead and the driver says so once (see EventLog::take_storage_news):
  /// a store neither logs nor decides what a failure means.
  virtual std::optional<Block> create(std::size_t min_capacity, std::string& why) = 0;
  /// Every event in the block has left the pipeline: delete the segment.
  virtual void remove(const Block& block) noexcept = 0;
  /// Events in the block are still pending but this process lets go (shutdown with events
  /// left, or a forked child): keep the segment for a later run.
  virtual void close(const Block& block) noexcept = 0;
  /// A file taken over as a segment is not one (no header, none to repair: no record in it
  /// can be read): let go of it and keep its bytes where no client reads them again, for a
  /// person to look at (natively and in Node, renamed with ".unknown" added; in browsers,
  /// moved to a queue of its own, "<queue> unknown"). Never deleted:
  /// what it holds is not known.
  virtual void set_aside(const Block& block) noexcept = 0;
  /// `length` bytes at `offset` in the block were just written (a record, or the header's
  /// resume offset). A store whose blocks are files' mappings has nothing to do; one whose
  /// blocks are plain memory writes these bytes to its file now. False, with `why`, when that
  /// write failed (a failing disk): the event is still queued in memory and still sent.
  virtual bool written(const Block& block, std::size_t offset, std::size_t length, std::string& why) noexcept {
    (void)block, (void)offset, (void)length, (void)why;
    return true;
  }

  /// The record checksum; the same values on every target (CRC-32). A platform may point
  /// this at a faster implementation of the same function.
  std::uint32_t (*checksum)(std::string_view) noexcept = &crc32;
  /// The source this client's events belong to (segment::destination_tag of its write key),
  /// set by the Driver: create() writes it in each header, and a segment of an earlier run
  /// written for another write key is not adopted (see EventLog::adopt). 0: adopts all.
  std::uint64_t destination = 0;
};

/// Where the log's memory blocks come from when a platform can do better than the heap.
///
/// Why: a queue that grows writes to memory the process never touched, and faulting in a
/// fresh 4 KiB page costs microseconds on virtual machines (12 us measured on this project's
/// test VM, about 1 us per queued event); the native platform hands out blocks backed by
/// transparent huge pages instead, which fault in 2 MiB at a time.
///
/// Threading: called only by the EventLog, under the driver's lock, or from the delivering
/// context when it releases blocks.
class BlockMemory {
 public:
  virtual ~BlockMemory() = default;
  /// The block size this memory hands out best; the log asks for it unless an event is larger.
  virtual std::size_t block_bytes() const noexcept = 0;
  /// At least `bytes` of writable, uninitialized memory, or null when none can be had (the
  /// log then takes it from the heap).
  virtual char* allocate(std::size_t bytes) noexcept = 0;
  /// Gives back what allocate(bytes) returned.
  virtual void release(char* block, std::size_t bytes) noexcept = 0;
};

/// Gives an EventLog's memory block back to where it came from.
struct FreeLogBlock {
  BlockMemory* memory = nullptr;  ///< null: the heap
  std::size_t bytes = 0;
  void operator()(char* block) const noexcept;
};

/// Event bytes packed back to back in large blocks, released oldest first.
///
/// Why: a queue of one heap string per event made every call a malloc on the caller's
/// thread and every delivery a hundred free()s on the delivering one, and glibc serializes
/// a free against the arena that allocated it, so the two threads fought over the arena
/// lock. Events leave the pipeline strictly in the order they came (only the oldest batch is
/// ever sent; splits, beacons and give-ups take prefixes), so a log of blocks fits: a call
/// copies its bytes to the tail, and a block is recycled once every event in it has gone.
/// With a BlockStore the blocks are storage segments, so the same copy that queues an event
/// also stores it, and releasing events moves the segment's resume offset past them.
///
/// Threading: not synchronized. The driver appends and releases under its lock. Bytes once
/// appended never move or change, so the one delivering context may read the events it cut
/// into a batch without the lock while callers append further events; a block is only
/// released by that same context.
class EventLog {
 public:
  /// Segments are `block_bytes` long, and so are memory blocks unless `memory` is given (then
  /// they are its own size); either is one event long when an event is larger. `store`:
  /// where blocks live, or null for memory; `memory`: where memory blocks come from, or null
  /// for the heap. Neither is owned; both outlive the log.
  explicit EventLog(std::size_t block_bytes = kDefaultBlockBytes, BlockStore* store = nullptr,
                    BlockMemory* memory = nullptr);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  static constexpr std::size_t kDefaultBlockBytes = 1 << 20;

  /// Copies `json_open` to the tail (stored, when there is a store that can take it) and
  /// returns its view there.
  LoggedEvent append(std::string_view json_open, std::int64_t enqueued_at);

  /// What adopt() made of a segment.
  struct Adoption {
    std::size_t corrupt = 0;  ///< records skipped as corrupt
    bool foreign = false;     ///< written for another write key: closed untouched, left for a client with that key
    bool repaired = false;    ///< its header was damaged and is repaired (see segment::repair_header)
    bool set_aside = false;   ///< not a segment: handed to BlockStore::set_aside, nothing read
    bool from_top = false;    ///< its resume offset was damaged: read from its first record
  };
  /// Takes over a segment an earlier process left (see core/segment.hpp): its good records
  /// join the log's tail as events (enqueued_at 0: due at once), appended to `events`. The
  /// segment takes no new events. A segment written for another write key than the store's
  /// is closed untouched instead; a damaged header is repaired when records follow it, and a
  /// file that is no segment at all is set aside.
  Adoption adopt(const BlockStore::Block& segment, std::vector<LoggedEvent>& events);

  /// The `count` oldest events have left (delivered, given up on, beaconed, abandoned): their
  /// views die, and blocks holding nothing else are recycled (segments deleted).
  void release_oldest(std::size_t count) noexcept;

  /// Lets go of every event; all views die. Segments with events still pending are closed,
  /// not deleted, so a later run delivers them.
  void clear() noexcept;

  /// For a forked child: lets go of every event without deleting any segment, since they
  /// are the parent's, who still delivers them.
  void forget() noexcept;

  /// Makes the segment the next events go to now, rather than at the first event: a store
  /// that cannot make one (a full or tiny disk) is found out when the client starts. True when
  /// there is one (or no store); false leaves the reason in take_storage_news().
  bool open_storage(std::int64_t now);

  /// A change in whether events reach storage, for the driver to say once in words: the
  /// store failed (events go to memory only until it works again) or works again.
  struct StorageNews {
    enum class Kind { failed, works_again } kind = Kind::failed;
    std::string why;  ///< the store's words, for `failed`
  };
  /// The change since the last call, if any (a failure after a failure is no news).
  std::optional<StorageNews> take_storage_news() noexcept { return std::exchange(storage_news_, std::nullopt); }

  /// Bytes held in blocks, spare ones included.
  std::size_t reserved_bytes() const noexcept;

  /// Memory blocks the released events emptied stay as spares, so that the next burst writes
  /// to memory already mapped instead of faulting in fresh pages (on the project's test VM
  /// that cost a caller more than the copy of its event) and no block is unmapped under the
  /// driver's lock while callers wait for it. Two are kept whatever the time; any more are
  /// released once none has been reused for kSpareIdleMs since the last append before it
  /// was emptied. `now`: the clock appends are stamped with.
  void trim_spares(std::int64_t now) noexcept;
  /// When trim_spares() will next release a block, if there is one beyond the two kept.
  std::optional<std::int64_t> next_spare_expiry() const noexcept;
  /// Releases every spare block now, and the tail block when no event is left in it (a
  /// segment is then deleted): for a closed client, which will queue nothing more.
  void release_idle_memory() noexcept;
  static constexpr std::int64_t kSpareIdleMs = 5'000;
  /// After the store fails to make a segment (a full disk), how long events go to memory
  /// before it is tried again.
  static constexpr std::int64_t kStoreRetryMs = 1'000;

 private:
  struct Block {
    std::unique_ptr<char[], FreeLogBlock> owned;  // a memory block's bytes
    char* bytes = nullptr;
    std::size_t capacity = 0;
    std::size_t used = 0;
    std::size_t events = 0;    // appended to this block
    std::size_t released = 0;  // of those, gone
    std::optional<BlockStore::Block> segment;  // set when the block is in storage
    std::vector<std::uint32_t> resume_after;  // segment: the resume offset after each event
    bool sealed = false;  // takes no appends: adopted from a past run, or memory the store replaced
    std::int64_t spare_since = 0;             // a spare: the last append before it emptied
  };

  Block& block_for(std::size_t record_size, std::int64_t now);
  std::optional<Block> stored_block(std::size_t record_size, std::int64_t now);
  Block new_memory_block(std::size_t size);
  void retire_front() noexcept;
  void let_go(Block& block) noexcept;

  std::size_t block_bytes_;         // a segment's size in storage (the store makes spares of it)
  std::size_t memory_block_bytes_;  // a memory block's: the BlockMemory's own, if given
  BlockStore* store_;
  BlockMemory* memory_;
  std::deque<Block> blocks_;  // oldest first; the back one takes appends
  // Emptied standard-size memory blocks kept for reuse: the pages are already mapped, so a
  // steady stream of events writes to warm memory instead of faulting in fresh pages.
  std::deque<Block> spare_;       // oldest first
  std::int64_t last_append_at_ = 0;
  std::int64_t retry_store_at_ = 0;  // when the store, having failed, is tried again
  bool storage_failing_ = false;     // the store's last create or write failed
  std::optional<StorageNews> storage_news_;

  void storage_failed(std::string why);
  void storage_worked();
};

}  // namespace rudder::core
