// rudder-analytics fuzzing: segment::scan(), which reads storage files a crashed process (or a
// damaged disk) left behind, and EventLog::adopt(), which queues what it finds.
// Copyright the rudder-analytics authors. MIT licence.
//
// Why: the bytes come from outside the process's control (a write torn by a crash, a disk
// error, a file someone copied in), and what the scan accepts is sent to the data plane. It
// must never read outside the file, accept only records whose checksum holds, and hand the
// log exactly what it found, each once.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/crc32.hpp"
#include "core/event_log.hpp"
#include "core/segment.hpp"
#include "fuzz_support.hpp"

namespace {

namespace segment = rudder::core::segment;

// Blocks in memory; deletions and closes counted.
class MemoryStore : public rudder::core::BlockStore {
 public:
  std::optional<Block> create(std::size_t min_capacity, std::string&) override {
    std::string& bytes = made[next] = std::string(min_capacity, '\0');
    segment::write_header(bytes.data(), 0);
    return Block{bytes.data(), bytes.size(), next++};
  }
  void remove(const Block&) noexcept override { ++removed; }
  void close(const Block&) noexcept override { ++closed; }
  void set_aside(const Block&) noexcept override { ++set_aside_count; }

  std::map<std::uint64_t, std::string> made;
  std::uint64_t next = 1;
  int removed = 0;
  int closed = 0;
  int set_aside_count = 0;
};

void check(const std::string& file) {
  const segment::Scan scan = segment::scan(file, &rudder::core::crc32);
  if (!scan.valid) {
    FUZZ_CHECK(scan.records.empty() && scan.corrupt == 0, "an invalid file yields nothing");
    return;
  }
  FUZZ_CHECK(scan.end <= file.size(), "the end lies in the file");
  std::size_t last = 0;
  for (const auto& r : scan.records) {
    const auto at = static_cast<std::size_t>(r.payload.data() - file.data());
    FUZZ_CHECK(at >= segment::kHeaderBytes + segment::kRecordHeaderBytes &&
                   at + r.payload.size() <= file.size(),
               "a record lies in the file");
    FUZZ_CHECK(!r.payload.empty(), "no empty record");
    FUZZ_CHECK(r.next > last && r.next <= scan.end, "records go forward");
    last = r.next;
  }

  // The log adopts exactly what the scan found, and a fresh segment written from those
  // events scans back to the same payloads, none corrupt.
  MemoryStore store;
  std::vector<rudder::core::LoggedEvent> events;
  {
    std::string copy = file;  // the log's adopted block: outlives it
    rudder::core::EventLog log(1 << 16, &store);
    const std::size_t corrupt = log.adopt({copy.data(), copy.size(), 1000}, events).corrupt;
    FUZZ_CHECK(corrupt == scan.corrupt, "adopt counts what the scan counts");
    FUZZ_CHECK(events.size() == scan.records.size(), "adopt queues every good record");
    for (std::size_t i = 0; i < events.size(); ++i) {
      FUZZ_CHECK(events[i].json_open == scan.records[i].payload, "adopt queues them as read");
    }
    std::vector<std::string> payloads;
    for (const auto& e : events) payloads.emplace_back(e.json_open);
    rudder::core::EventLog fresh(1 << 16, &store);
    for (const std::string& p : payloads) fresh.append(p, 0);
    fresh.forget();
    std::size_t seen = 0;
    for (const auto& [id, bytes] : store.made) {
      const segment::Scan again = segment::scan(bytes, &rudder::core::crc32);
      FUZZ_CHECK(again.valid && again.corrupt == 0, "a segment the log wrote is whole");
      for (const auto& r : again.records) {
        FUZZ_CHECK(seen < payloads.size() && r.payload == payloads[seen], "written back in order");
        ++seen;
      }
    }
    FUZZ_CHECK(seen == payloads.size(), "every event written back");
    log.release_oldest(events.size());  // all delivered: the adopted segment is deleted
    FUZZ_CHECK(events.empty() || store.removed == 1, "a delivered segment is deleted");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  check(input);  // as a whole file: the header itself may be damaged
  // And behind a good header, so the records are always read.
  std::string file(segment::kHeaderBytes, '\0');
  segment::write_header(file.data(), 0);
  check(file + input);
  return 0;
}
