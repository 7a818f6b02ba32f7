// The event log: the bytes of queued events, released oldest first.
#include "core/event_log.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/crc32.hpp"
#include "core/segment.hpp"
#include "counting_memory.hpp"

namespace {

using rudder::core::BlockStore;
using rudder::core::EventLog;
using rudder::core::LoggedEvent;
namespace segment = rudder::core::segment;

// Segments in memory, with what happened to each.
class FakeStore : public BlockStore {
 public:
  std::optional<Block> create(std::size_t min_capacity, std::string& why) override {
    if (fail) {
      why = "cannot reserve " + std::to_string(min_capacity) + " bytes: disk full";
      return std::nullopt;
    }
    auto& bytes = segments[next_id] = std::string(min_capacity, '\0');
    segment::write_header(bytes.data(), 0);
    files[next_id] = bytes.substr(0, segment::kHeaderBytes);  // as HostStore's host does
    return Block{bytes.data(), bytes.size(), next_id++};
  }
  void remove(const Block& b) noexcept override { removed.push_back(b.id); }
  void close(const Block& b) noexcept override { closed.push_back(b.id); }
  void set_aside(const Block& b) noexcept override { set_aside_ids.push_back(b.id); }
  // As a store whose blocks are plain memory does it: only the bytes it is told of reach the
  // "file".
  bool written(const Block& b, std::size_t offset, std::size_t length, std::string& why) noexcept override {
    if (fail_writes) {
      why = "cannot write: I/O error";
      return false;
    }
    std::string& file = files[b.id];
    if (file.size() < offset + length) file.resize(offset + length, '\0');
    file.replace(offset, length, b.bytes + offset, length);
    return true;
  }

  std::map<std::uint64_t, std::string> files;  // what written() was told, per block

  std::map<std::uint64_t, std::string> segments;
  std::vector<std::uint64_t> removed, closed, set_aside_ids;
  std::uint64_t next_id = 1;
  bool fail = false;         // create() fails
  bool fail_writes = false;  // written() fails
};

std::string text_of(int i, std::size_t size) {
  std::string s = "{\"n\":" + std::to_string(i);
  s.resize(size, 'x');
  return s;
}

// The payloads a later run would read from a segment's bytes; none when it has no valid
// header, and a failure for any damaged record.
std::vector<std::string> scanned(const std::string& bytes) {
  const segment::Scan scan = segment::scan(bytes, &rudder::core::crc32);
  EXPECT_TRUE(scan.valid) << "the header is intact";
  EXPECT_EQ(scan.corrupt, 0u);
  std::vector<std::string> payloads;
  for (const segment::Scan::Record& r : scan.records) payloads.emplace_back(r.payload);
  return payloads;
}

TEST(EventLog, EventsKeepTheirBytesWhileLaterOnesFillNewBlocks) {
  EventLog log(256);
  std::vector<LoggedEvent> views;
  for (int i = 0; i < 40; ++i) views.push_back(log.append(text_of(i, 50), i));
  ASSERT_GT(log.reserved_bytes(), 256u * 5) << "40 events of 50 bytes take several blocks";
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(views[i].json_open, text_of(i, 50));
    EXPECT_EQ(views[i].enqueued_at, i);
  }
}

TEST(EventLog, AnEventLargerThanABlockGetsABlockOfItsOwn) {
  EventLog log(64);
  const LoggedEvent small = log.append(text_of(1, 10), 0);
  const LoggedEvent large = log.append(text_of(2, 1000), 0);
  const LoggedEvent after = log.append(text_of(3, 10), 0);
  EXPECT_EQ(small.json_open, text_of(1, 10));
  EXPECT_EQ(large.json_open, text_of(2, 1000));
  EXPECT_EQ(after.json_open, text_of(3, 10));
}

TEST(EventLog, ReleasedBlocksAreReusedWithoutTouchingLiveEvents) {
  // A steady stream, released in batches of ten while a backlog of ten stays live: memory
  // stays bounded, and the live events read back intact after every reuse.
  EventLog log(200);
  std::vector<std::pair<int, LoggedEvent>> live;
  for (int i = 0; i < 10; ++i) live.emplace_back(i, log.append(text_of(i, 40), 0));
  std::size_t most_reserved = 0;
  for (int round = 1; round < 200; ++round) {
    for (int i = 0; i < 10; ++i) {
      const int n = round * 10 + i;
      live.emplace_back(n, log.append(text_of(n, 40), 0));
    }
    log.release_oldest(10);
    live.erase(live.begin(), live.begin() + 10);
    for (const auto& [n, view] : live) ASSERT_EQ(view.json_open, text_of(n, 40)) << "round " << round;
    most_reserved = std::max(most_reserved, log.reserved_bytes());
  }
  EXPECT_LE(most_reserved, 200u * 6) << "2,000 events through a log never holding more than 20";
}

TEST(EventLog, ABurstsMemoryIsKeptWhileBurstsNeedItThenOnlyASmallReserve) {
  EventLog log(1000);
  for (int i = 0; i < 10'000; ++i) log.append(text_of(i, 100), 100);
  EXPECT_GE(log.reserved_bytes(), 1'000'000u);
  log.release_oldest(10'000);
  EXPECT_GE(log.reserved_bytes(), 1'000'000u) << "the emptied blocks wait for the next burst";
  EXPECT_EQ(log.next_spare_expiry(), 100 + EventLog::kSpareIdleMs);
  log.trim_spares(100 + EventLog::kSpareIdleMs - 1);
  EXPECT_GE(log.reserved_bytes(), 1'000'000u);
  log.trim_spares(100 + EventLog::kSpareIdleMs);
  EXPECT_LE(log.reserved_bytes(), 3000u) << "a burst does not keep its memory once idle";
  EXPECT_EQ(log.next_spare_expiry(), std::nullopt);
  const LoggedEvent next = log.append(text_of(7, 100), 0);
  EXPECT_EQ(next.json_open, text_of(7, 100));
}

TEST(EventLog, SparesLeaveOldestFirstEachAfterItsOwnIdleTime) {
  EventLog log(1000);
  // Two bursts: blocks the first emptied wait since its last append (t=0), the second's
  // since t=3000.
  for (int i = 0; i < 50; ++i) log.append(text_of(i, 100), 0);  // five blocks
  log.release_oldest(50);
  for (int i = 0; i < 80; ++i) log.append(text_of(i, 100), 3000);  // reuses them, and three more
  log.release_oldest(80);
  const std::size_t both = log.reserved_bytes();
  ASSERT_EQ(log.next_spare_expiry(), 3000 + EventLog::kSpareIdleMs)
      << "the second burst reused every block the first emptied";
  log.trim_spares(3000 + EventLog::kSpareIdleMs);
  EXPECT_LT(log.reserved_bytes(), both);
  EXPECT_LE(log.reserved_bytes(), 3000u);
}

TEST(EventLog, ReleasingMoreThanIsHeldStopsAtEmpty) {
  EventLog log(100);
  log.append(text_of(1, 30), 0);
  log.release_oldest(5);
  const LoggedEvent next = log.append(text_of(2, 30), 0);
  EXPECT_EQ(next.json_open, text_of(2, 30));
  log.clear();
  EXPECT_LE(log.reserved_bytes(), 200u);
}

using rudder::testing::CountingMemory;

TEST(EventLogMemory, BlocksComeFromTheGivenMemoryAtItsSizeAndGoBackToIt) {
  CountingMemory memory(512);
  {
    EventLog log(64, nullptr, &memory);  // the memory's block size wins over the argument
    std::vector<LoggedEvent> views;
    for (int i = 0; i < 40; ++i) views.push_back(log.append(text_of(i, 50), 0));
    const LoggedEvent large = log.append(text_of(99, 2000), 0);
    for (int i = 0; i < 40; ++i) ASSERT_EQ(views[i].json_open, text_of(i, 50));
    EXPECT_EQ(large.json_open, text_of(99, 2000));
    // 40 events of 50 bytes fill four 512-byte blocks (ten each); the large one gets its own.
    EXPECT_EQ(memory.allocations, 5);
    ASSERT_EQ(memory.held.size(), 5u);
    std::size_t sized_2000 = 0;
    for (const auto& [block, bytes] : memory.held) {
      EXPECT_TRUE(bytes == 512 || bytes == 2000) << bytes;
      sized_2000 += bytes == 2000;
    }
    EXPECT_EQ(sized_2000, 1u);
    log.release_oldest(41);
    EXPECT_EQ(memory.held.size(), 5u) << "emptied blocks wait for the next burst";
    for (int i = 0; i < 40; ++i) ASSERT_EQ(log.append(text_of(i, 50), 0).json_open, text_of(i, 50));
    EXPECT_EQ(memory.allocations, 5) << "the next burst writes to the blocks already mapped";
    log.release_oldest(40);
    log.trim_spares(EventLog::kSpareIdleMs);
    EXPECT_LE(memory.held.size(), 3u) << "released blocks go back beyond a small reserve once idle";
  }
  EXPECT_TRUE(memory.held.empty()) << "every block is given back when the log ends";
  EXPECT_TRUE(memory.released_sizes_match) << "each block is released with the size it was given";
}

TEST(EventLogMemory, SegmentsKeepTheLogsBlockSizeWhateverTheMemorysIs) {
  // The store makes its spare segments ahead at the log's block size; a segment asked for at
  // the memory's size would never be one of them, and each would be made on a caller's thread.
  CountingMemory memory(4096);
  FakeStore store;
  {
    EventLog log(256, &store, &memory);
    for (int i = 0; i < 20; ++i) log.append(text_of(i, 50), 0);
    store.fail = true;  // now the events wait in memory, in the memory's blocks
    for (int i = 20; i < 25; ++i) log.append(text_of(i, 50), 0);
    ASSERT_GE(store.segments.size(), 4u);
    for (const auto& [id, bytes] : store.segments) EXPECT_EQ(bytes.size(), 256u) << "segment " << id;
    ASSERT_EQ(memory.held.size(), 1u);
    EXPECT_EQ(memory.held.begin()->second, 4096u);
    log.clear();
  }
}

TEST(EventLogMemory, WhenTheMemoryHasNoneTheHeapStandsIn) {
  CountingMemory memory(256);
  memory.refuse = true;
  EventLog log(64, nullptr, &memory);
  std::vector<LoggedEvent> views;
  for (int i = 0; i < 20; ++i) views.push_back(log.append(text_of(i, 50), 0));
  memory.refuse = false;
  for (int i = 20; i < 40; ++i) views.push_back(log.append(text_of(i, 50), 0));
  for (int i = 0; i < 40; ++i) ASSERT_EQ(views[i].json_open, text_of(i, 50));
  EXPECT_GT(memory.allocations, 0) << "blocks come from the memory again once it has some";
  log.clear();
}

TEST(EventLog, CompleteJsonClosesTheEventWithItsSentAt) {
  EventLog log;
  const LoggedEvent e = log.append(R"({"type":"track")", 0);
  EXPECT_EQ(e.complete_json(0), R"({"type":"track","sentAt":"1970-01-01T00:00:00.000Z"})");
  EXPECT_EQ(e.wire_size(), e.complete_json(0).size());
}

TEST(Crc32, MatchesTheStandardCheckValue) {
  EXPECT_EQ(rudder::core::crc32("123456789"), 0xCBF43926u);  // gzip's and zlib's CRC-32
  EXPECT_EQ(rudder::core::crc32(""), 0u);
  const std::string long_text(1000, 'z');
  EXPECT_EQ(rudder::core::crc32(long_text), 0x0C96666Eu) << "the eight-byte steps agree (zlib.crc32)";
}

TEST(EventLogStorage, StoredEventsAreRecordsAnotherProcessCanRead) {
  FakeStore store;
  EventLog log(4096, &store);
  const LoggedEvent a = log.append(text_of(1, 60), 0);
  const LoggedEvent b = log.append(text_of(2, 70), 0);
  EXPECT_TRUE(a.stored && b.stored);
  EXPECT_EQ(a.json_open, text_of(1, 60));
  const segment::Scan scan = segment::scan(store.segments[1], &rudder::core::crc32);
  ASSERT_TRUE(scan.valid);
  ASSERT_EQ(scan.records.size(), 2u);
  EXPECT_EQ(scan.records[0].payload, text_of(1, 60));
  EXPECT_EQ(scan.records[1].payload, text_of(2, 70));
  EXPECT_EQ(scan.corrupt, 0u);
}

TEST(EventLogStorage, EveryByteAScanNeedsIsReportedWritten) {
  // The package in Node writes to its files only what written() reports: a file built from
  // those bytes plus the header the store wrote must scan like the memory.
  FakeStore store;
  EventLog log(4096, &store);
  for (int i = 0; i < 6; ++i) log.append(text_of(i, 30 + i), 0);
  log.release_oldest(2);
  const segment::Scan scan = segment::scan(store.files[1], &rudder::core::crc32);
  ASSERT_TRUE(scan.valid);
  ASSERT_EQ(scan.records.size(), 4u) << "the resume offset was reported too";
  EXPECT_EQ(scan.records[0].payload, text_of(2, 32));
  EXPECT_EQ(scan.records[3].payload, text_of(5, 35));
}

TEST(EventLogStorage, ReleasedEventsAreSkippedByALaterScan) {
  FakeStore store;
  EventLog log(4096, &store);
  for (int i = 0; i < 5; ++i) log.append(text_of(i, 50), 0);
  log.release_oldest(3);
  const segment::Scan scan = segment::scan(store.segments[1], &rudder::core::crc32);
  ASSERT_EQ(scan.records.size(), 2u) << "a crash now would send only the two left";
  EXPECT_EQ(scan.records[0].payload, text_of(3, 50));
}

TEST(EventLogStorage, FullSegmentsAreDeletedOnceEmptyAndKeptWhileEventsArePending) {
  FakeStore store;
  EventLog log(300, &store);  // about three events a segment
  for (int i = 0; i < 9; ++i) log.append(text_of(i, 60), 0);
  ASSERT_GE(store.segments.size(), 3u);
  log.release_oldest(4);
  EXPECT_EQ(store.removed, std::vector<std::uint64_t>{1}) << "only the segment all delivered";
  log.clear();
  EXPECT_EQ(store.removed.size(), 1u) << "pending events are never deleted";
  EXPECT_EQ(store.closed.size(), store.segments.size() - 1);
}

TEST(EventLogStorage, ATailSegmentAllDeliveredGoesOnAfterItsLastRecordWithItsHeaderIntact) {
  // The tail is kept filling once all it holds has been delivered; written from its top, the
  // next records would overwrite the header, and a crash would then lose the segment whole.
  FakeStore store;
  EventLog log(4096, &store);
  for (int i = 0; i < 3; ++i) log.append(text_of(i, 50), 0);
  log.release_oldest(3);
  log.append(text_of(10, 50), 0);
  log.append(text_of(11, 50), 0);
  ASSERT_EQ(store.segments.size(), 1u) << "the tail is reused, not replaced";
  // The header survives, and a crash now would send the two new events, once each.
  EXPECT_EQ(scanned(store.segments[1]), (std::vector<std::string>{text_of(10, 50), text_of(11, 50)}));
}

TEST(EventLogStorage, AnAdoptedSegmentWithNothingLeftToSendIsDeleted) {
  // Delivered in full before the last run ended (or damaged throughout): left on disk it would
  // be scanned again at every start.
  FakeStore old_run;
  {
    EventLog writer(4096, &old_run);
    for (int i = 0; i < 2; ++i) writer.append(text_of(i, 40), 0);
    writer.release_oldest(2);
    writer.forget();
  }
  std::string& bytes = old_run.segments[1];
  FakeStore store;
  EventLog log(4096, &store);
  std::vector<LoggedEvent> events;
  EXPECT_EQ(log.adopt({bytes.data(), bytes.size(), 77}, events).corrupt, 0u);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(store.removed, std::vector<std::uint64_t>{77});
}

TEST(EventLogStorage, AResumeOffsetPointingIntoTheHeaderIsReadFromTheTop) {
  // A damaged header must not turn its own bytes into a "record" and lose what follows.
  FakeStore old_run;
  {
    EventLog writer(4096, &old_run);
    for (int i = 0; i < 3; ++i) writer.append(text_of(i, 40), 0);
    writer.forget();
  }
  std::string& bytes = old_run.segments[1];
  segment::set_resume_offset(bytes.data(), 8);
  EXPECT_EQ(scanned(bytes), (std::vector<std::string>{text_of(0, 40), text_of(1, 40), text_of(2, 40)}));
}

TEST(EventLogStorage, ADamagedRecordIsCountedOnceNotAtEveryStart) {
  // Once the good record before it is delivered, a later run resumes past the damaged one.
  FakeStore old_run;
  {
    EventLog writer(4096, &old_run);
    for (int i = 0; i < 2; ++i) writer.append(text_of(i, 40), 0);
    writer.forget();
  }
  std::string& bytes = old_run.segments[1];
  bytes[segment::kHeaderBytes + segment::record_bytes(40) + segment::kRecordHeaderBytes + 3] ^= 1;
  FakeStore store;
  {
    EventLog log(4096, &store);
    std::vector<LoggedEvent> events;
    EXPECT_EQ(log.adopt({bytes.data(), bytes.size(), 77}, events).corrupt, 1u);
    ASSERT_EQ(events.size(), 1u);
    log.release_oldest(1);
  }
  const segment::Scan again = segment::scan(bytes, &rudder::core::crc32);
  EXPECT_TRUE(again.records.empty());
  EXPECT_EQ(again.corrupt, 0u) << "the next start does not count it again";
}

// Ten records of `size` bytes in one segment, as a run that died left them.
std::string segment_of_ten(std::size_t size) {
  FakeStore run;
  {
    EventLog writer(4096, &run);
    for (int i = 0; i < 10; ++i) writer.append(text_of(i, size), 0);
    writer.forget();
  }
  return run.segments[1];
}

std::vector<std::string> payloads_of(const segment::Scan& scan) {
  std::vector<std::string> payloads;
  for (const segment::Scan::Record& r : scan.records) payloads.emplace_back(r.payload);
  return payloads;
}

std::vector<std::string> texts(int from, int to, std::size_t size, int except = -1) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) {
    if (i != except) out.push_back(text_of(i, size));
  }
  return out;
}

TEST(EventLogStorage, ARecordWithADamagedSizeCostsNothingAndTheRestOfTheFileIsRead) {
  // A flipped bit in a size field used to end the scan: every later record was lost.
  for (const std::uint32_t flip : {1u, 0x100u, 0x10000u, 0x1000000u}) {
    std::string bytes = segment_of_ten(40);
    const std::size_t seventh = segment::kHeaderBytes + 7 * segment::record_bytes(40);
    bytes[seventh + (flip == 1 ? 0 : flip == 0x100 ? 1 : flip == 0x10000 ? 2 : 3)] ^= 1;
    const segment::Scan scan = segment::scan(bytes, &rudder::core::crc32);
    EXPECT_EQ(scan.corrupt, 0u) << flip;
    EXPECT_EQ(payloads_of(scan), texts(0, 10, 40)) << "its payload ends where the next record starts; " << flip;
  }
  // The last record's size hit: it ends at the end marker (JSON holds no NUL byte).
  std::string bytes = segment_of_ten(40);
  bytes[segment::kHeaderBytes + 9 * segment::record_bytes(40)] ^= 4;
  const segment::Scan scan = segment::scan(bytes, &rudder::core::crc32);
  EXPECT_EQ(scan.corrupt, 0u);
  EXPECT_EQ(payloads_of(scan), texts(0, 10, 40));
  EXPECT_EQ(scan.records.back().next, segment::kHeaderBytes + 10 * segment::record_bytes(40));
}

TEST(EventLogStorage, ADamagedRecordCostsItselfAloneWhereverTheDamageIs) {
  const std::size_t fourth = segment::kHeaderBytes + 4 * segment::record_bytes(40);
  // Its size and its payload both hit: that event is lost, counted, and the rest is read.
  std::string bytes = segment_of_ten(40);
  bytes[fourth + 1] ^= 0x40;
  bytes[fourth + segment::kRecordHeaderBytes + 9] ^= 1;
  segment::Scan scan = segment::scan(bytes, &rudder::core::crc32);
  EXPECT_EQ(scan.corrupt, 1u);
  EXPECT_EQ(payloads_of(scan), texts(0, 10, 40, 4));
  EXPECT_EQ(scan.records[3].next, fourth + segment::record_bytes(40)) << "delivering the one before skips it";
  // Its checksum field hit.
  bytes = segment_of_ten(40);
  bytes[fourth + 5] ^= 1;
  scan = segment::scan(bytes, &rudder::core::crc32);
  EXPECT_EQ(scan.corrupt, 1u);
  EXPECT_EQ(payloads_of(scan), texts(0, 10, 40, 4));
}

TEST(EventLogStorage, AResumeOffsetDamagedIntoARecordIsReadFromTheTopNotFromThere) {
  // A resume offset in the middle of a record used to end the scan at once (everything lost);
  // read from the top, the two events delivered before come again, which messageIds absorb.
  std::string bytes = segment_of_ten(40);
  std::uint64_t offset = segment::kHeaderBytes + 2 * segment::record_bytes(40);  // two delivered
  segment::set_resume_offset(bytes.data(), offset + 7);
  segment::Scan scan = segment::scan(bytes, &rudder::core::crc32);
  EXPECT_EQ(scan.corrupt, 0u);
  EXPECT_EQ(payloads_of(scan), texts(0, 10, 40));
  // An intact one is honoured.
  segment::set_resume_offset(bytes.data(), offset);
  scan = segment::scan(bytes, &rudder::core::crc32);
  EXPECT_EQ(payloads_of(scan), texts(2, 10, 40));
}

TEST(EventLogStorage, ASegmentWhoseHeaderIsDamagedIsReadAllTheSame) {
  // A damaged magic used to set every event of the file aside.
  for (const std::size_t at : {std::size_t{0}, std::size_t{7}, std::size_t{8}}) {
    std::string bytes = segment_of_ten(40);
    bytes[at] ^= 0x11;
    FakeStore store;
    EventLog log(4096, &store);
    std::vector<LoggedEvent> events;
    const EventLog::Adoption adopted = log.adopt({bytes.data(), bytes.size(), 5}, events);
    EXPECT_EQ(adopted.corrupt, 0u) << at;
    EXPECT_TRUE(adopted.repaired) << at;
    EXPECT_FALSE(adopted.set_aside) << at;
    std::vector<std::string> payloads;
    for (const LoggedEvent& e : events) payloads.emplace_back(e.json_open);
    EXPECT_EQ(payloads, texts(0, 10, 40)) << at;
  }
  // A file of no records is not made a segment.
  std::string junk(4096, 'j');
  EXPECT_FALSE(segment::repair_header(junk.data(), junk.size(), &rudder::core::crc32));
  EXPECT_EQ(junk, std::string(4096, 'j'));
}

TEST(EventLogStorage, AFileThatIsNoSegmentIsSetAsideNeverDeleted) {
  // Whatever it holds is not known: another program's file, or one damaged past reading.
  std::string junk(4096, 'j');
  FakeStore store;
  EventLog log(4096, &store);
  std::vector<LoggedEvent> events;
  const EventLog::Adoption adopted = log.adopt({junk.data(), junk.size(), 9}, events);
  EXPECT_TRUE(adopted.set_aside);
  EXPECT_FALSE(adopted.repaired);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(store.set_aside_ids, std::vector<std::uint64_t>{9});
  EXPECT_TRUE(store.removed.empty()) << "not deleted";
  EXPECT_TRUE(store.closed.empty());
  // An intact segment is neither repaired nor set aside.
  std::string bytes = segment_of_ten(40);
  const EventLog::Adoption intact = log.adopt({bytes.data(), bytes.size(), 10}, events);
  EXPECT_FALSE(intact.repaired);
  EXPECT_FALSE(intact.set_aside);
  EXPECT_EQ(events.size(), 10u);
  EXPECT_EQ(store.set_aside_ids, std::vector<std::uint64_t>{9});
}

TEST(EventLogStorage, AForkedChildDeletesNoSegment) {
  FakeStore store;
  EventLog log(300, &store);
  for (int i = 0; i < 3; ++i) log.append(text_of(i, 60), 0);
  log.release_oldest(3);  // the tail, all delivered: a clear() would delete it
  log.forget();
  EXPECT_TRUE(store.removed.empty());
}

TEST(EventLogStorage, WhenTheStoreFailsEventsWaitInMemory) {
  FakeStore store;
  store.fail = true;
  EventLog log(4096, &store);
  const LoggedEvent e = log.append(text_of(1, 60), 0);
  EXPECT_FALSE(e.stored);
  EXPECT_EQ(e.json_open, text_of(1, 60));
}

TEST(EventLogStorage, AStoreThatFailedIsTriedAgainEverySecondNotOnlyWhenMemoryFills) {
  // A full disk that has room again: events were kept in memory only until the memory block
  // standing in for the segment filled, hours for a client of a few events a minute.
  FakeStore store;
  store.fail = true;
  EventLog log(4096, &store);
  EXPECT_FALSE(log.append(text_of(0, 60), 0).stored);
  store.fail = false;  // room again
  EXPECT_FALSE(log.append(text_of(1, 60), EventLog::kStoreRetryMs - 1).stored) << "not tried at every event";
  EXPECT_TRUE(log.append(text_of(2, 60), EventLog::kStoreRetryMs).stored) << "tried again a second on";
  EXPECT_TRUE(log.append(text_of(3, 60), EventLog::kStoreRetryMs + 1).stored);
  ASSERT_EQ(store.segments.size(), 1u);
  // In order, from memory then from the segment; a crash now would lose only the first two.
  std::vector<std::string> segment_payloads;
  for (const auto& r : segment::scan(store.segments[1], &rudder::core::crc32).records) segment_payloads.emplace_back(r.payload);
  EXPECT_EQ(segment_payloads, (std::vector<std::string>{text_of(2, 60), text_of(3, 60)}));
  // The memory block, its events gone, becomes a spare that takes appends again when the
  // store fails anew and the segment is full: consecutive events, one after the other in it.
  log.release_oldest(2);
  store.fail = true;
  const std::int64_t later = 10 * EventLog::kStoreRetryMs;
  LoggedEvent first_in_memory = log.append(text_of(4, 60), later);
  for (int i = 5; first_in_memory.stored; ++i) {
    ASSERT_LT(i, 200) << "the segment fills";
    first_in_memory = log.append(text_of(i, 60), later);
  }
  const LoggedEvent next = log.append(text_of(1000, 60), later);
  EXPECT_FALSE(next.stored);
  EXPECT_EQ(next.json_open.data(), first_in_memory.json_open.data() + first_in_memory.json_open.size())
      << "in the same block";
}

TEST(EventLogStorage, AStoreThatFailsIsNewsOnceAndAgainOnlyWhenItWorksAgain) {
  using Kind = EventLog::StorageNews::Kind;
  FakeStore store;
  EventLog log(4096, &store);
  log.append(text_of(0, 60), 0);
  EXPECT_FALSE(log.take_storage_news()) << "working storage is no news";
  // The segment fills; the store cannot make the next one.
  store.fail = true;
  std::int64_t now = 0;
  while (log.append(text_of(1, 60), now).stored) {}
  std::optional<EventLog::StorageNews> news = log.take_storage_news();
  ASSERT_TRUE(news);
  EXPECT_EQ(news->kind, Kind::failed);
  EXPECT_EQ(news->why, "cannot reserve 4096 bytes: disk full") << "the store's words";
  // Tried again a second later, failing again: said once, not at every try.
  for (int i = 0; i < 5; ++i) {
    now += EventLog::kStoreRetryMs;
    EXPECT_FALSE(log.append(text_of(2, 60), now).stored);
    EXPECT_FALSE(log.take_storage_news());
  }
  store.fail = false;
  now += EventLog::kStoreRetryMs;
  EXPECT_TRUE(log.append(text_of(3, 60), now).stored);
  news = log.take_storage_news();
  ASSERT_TRUE(news);
  EXPECT_EQ(news->kind, Kind::works_again);
  EXPECT_FALSE(log.take_storage_news());
}

TEST(EventLogStorage, AFailedWriteIsNewsOnceAndTheEventStaysQueued) {
  using Kind = EventLog::StorageNews::Kind;
  FakeStore store;
  EventLog log(4096, &store);
  store.fail_writes = true;
  const LoggedEvent first = log.append(text_of(0, 60), 0);
  EXPECT_EQ(first.json_open, text_of(0, 60)) << "queued all the same";
  log.append(text_of(1, 60), 0);
  std::optional<EventLog::StorageNews> news = log.take_storage_news();
  ASSERT_TRUE(news);
  EXPECT_EQ(news->kind, Kind::failed);
  EXPECT_EQ(news->why, "cannot write: I/O error");
  EXPECT_FALSE(log.take_storage_news()) << "the second failed write is no news";
  store.fail_writes = false;
  log.append(text_of(2, 60), 0);
  news = log.take_storage_news();
  ASSERT_TRUE(news);
  EXPECT_EQ(news->kind, Kind::works_again);
}

TEST(EventLogStorage, OpenStorageMakesTheFirstSegmentAtOnceAndEventsGoIntoIt) {
  FakeStore store;
  EventLog log(4096, &store);
  EXPECT_TRUE(log.open_storage(0));
  ASSERT_EQ(store.segments.size(), 1u) << "made before any event";
  EXPECT_TRUE(log.open_storage(0));
  EXPECT_EQ(store.segments.size(), 1u) << "once";
  EXPECT_TRUE(log.append(text_of(0, 60), 0).stored);
  EXPECT_EQ(store.segments.size(), 1u) << "the event went into it";
  log.release_oldest(1);
  log.clear();
  EXPECT_EQ(store.removed, (std::vector<std::uint64_t>{1})) << "delivered: deleted";

  FakeStore unused;
  {
    EventLog idle(4096, &unused);
    ASSERT_TRUE(idle.open_storage(0));
  }
  EXPECT_EQ(unused.removed, (std::vector<std::uint64_t>{1})) << "a segment never used is deleted at the end";

  FakeStore full;
  full.fail = true;
  EventLog refused(4096, &full);
  EXPECT_FALSE(refused.open_storage(0));
  const std::optional<EventLog::StorageNews> news = refused.take_storage_news();
  ASSERT_TRUE(news);
  EXPECT_EQ(news->why, "cannot reserve 4096 bytes: disk full");
  EXPECT_TRUE(EventLog(4096, nullptr).open_storage(0)) << "no store: nothing to open";
}

TEST(EventLogStorage, AdoptedSegmentsYieldTheirGoodRecordsAndCountTheRest) {
  FakeStore old_run;
  {
    EventLog writer(4096, &old_run);
    for (int i = 0; i < 4; ++i) writer.append(text_of(i, 40), 0);
    writer.release_oldest(1);
    writer.forget();
  }
  std::string& bytes = old_run.segments[1];
  // Damage the third record's payload: its checksum no longer holds.
  bytes[segment::kHeaderBytes + 2 * segment::record_bytes(40) + segment::kRecordHeaderBytes + 5] ^= 1;
  FakeStore store;
  EventLog log(4096, &store);
  std::vector<LoggedEvent> events;
  const std::size_t corrupt = log.adopt({bytes.data(), bytes.size(), 77}, events).corrupt;
  EXPECT_EQ(corrupt, 1u);
  ASSERT_EQ(events.size(), 2u) << "one was delivered before, one is damaged";
  EXPECT_EQ(events[0].json_open, text_of(1, 40));
  EXPECT_EQ(events[1].json_open, text_of(3, 40));
  const LoggedEvent next = log.append(text_of(9, 40), 0);
  EXPECT_NE(next.json_open.data(), nullptr);
  EXPECT_EQ(store.segments.size(), 1u) << "new events go to a new segment, not the adopted one";
  log.release_oldest(2);
  EXPECT_EQ(store.removed, std::vector<std::uint64_t>{77});
}

}  // namespace
