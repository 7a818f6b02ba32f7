// The event log: the bytes of queued events, released oldest first.
#include "core/event_log.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using rudder::core::EventLog;
using rudder::core::LoggedEvent;

std::string text_of(int i, std::size_t size) {
  std::string s = "{\"n\":" + std::to_string(i);
  s.resize(size, 'x');
  return s;
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

TEST(EventLog, ReleasingEverythingKeepsOnlyASmallReserve) {
  EventLog log(1000);
  for (int i = 0; i < 10'000; ++i) log.append(text_of(i, 100), 0);
  EXPECT_GE(log.reserved_bytes(), 1'000'000u);
  log.release_oldest(10'000);
  EXPECT_LE(log.reserved_bytes(), 3000u) << "a burst does not keep its memory once delivered";
  const LoggedEvent next = log.append(text_of(7, 100), 0);
  EXPECT_EQ(next.json_open, text_of(7, 100));
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

TEST(EventLog, CompleteJsonClosesTheEventWithItsSentAt) {
  EventLog log;
  const LoggedEvent e = log.append(R"({"type":"track")", 0);
  EXPECT_EQ(e.complete_json(0), R"({"type":"track","sentAt":"1970-01-01T00:00:00.000Z"})");
  EXPECT_EQ(e.wire_size(), e.complete_json(0).size());
}

}  // namespace
