// rudder-analytics tests: the delivery state machine, driven by a fake clock (the `now` passed
// in) and a fake transport (scripted Response values passed to on_response).
// Copyright the rudder-analytics authors. MIT licence.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/event.hpp"
#include "core/iso_time.hpp"
#include "core/message.hpp"
#include "core/pipeline.hpp"
#include "core/segment.hpp"
#include "memory_store.hpp"

namespace {

using json = nlohmann::json;
using rudder::DeliveryError;
using rudder::DropReason;
using rudder::Stats;
using rudder::core::batch_body_size;
using rudder::core::build_batch_body;
using rudder::core::EncodedEvent;
using rudder::core::Failure;
using rudder::core::kBatchEnvelopeSize;
using rudder::core::Pipeline;
using rudder::core::PipelineSettings;
using rudder::core::Response;
using rudder::core::Step;
using Enqueued = Pipeline::Enqueued;

// The platform's wall clock, for sentAt: a fixed offset from the monotonic `now`.
constexpr std::int64_t kUnixBase = 1'706'702'400'000;  // 2024-01-31T12:00:00.000Z
std::int64_t unix_at(std::int64_t now) { return kUnixBase + now; }

std::string iso(std::int64_t unix_ms) {
  std::string out(rudder::core::kIsoTimeLength, '?');
  rudder::core::format_iso_time(unix_ms, out.data());
  return out;
}

// An event as build_message leaves it (an open JSON object), `pad` bytes of filler larger.
EncodedEvent event(const std::string& id, std::int64_t enqueued_at = 0, std::size_t pad = 0) {
  EncodedEvent e;
  e.json_open = R"({"type":"track","messageId":")" + id + R"(","userId":"u","event":"E")";
  if (pad > 0) e.json_open += R"(,"pad":")" + std::string(pad, 'x') + "\"";
  e.enqueued_at = enqueued_at;
  return e;
}

// An event whose wire_size() is exactly `wire` bytes.
EncodedEvent event_of_size(const std::string& id, std::size_t wire, std::int64_t enqueued_at = 0) {
  const std::size_t base = event(id).wire_size();
  EXPECT_GE(wire, base + 10) << "too small for an event with filler";
  EncodedEvent e = event(id, enqueued_at, wire >= base + 10 ? wire - base - 9 : 1);
  EXPECT_EQ(e.wire_size(), wire);
  return e;
}

std::string id(int n) { return "m" + std::to_string(n); }

std::vector<std::string> ids_in(const json& body) {
  std::vector<std::string> ids;
  for (const auto& e : body.at("batch")) ids.push_back(e.at("messageId").get<std::string>());
  return ids;
}

std::vector<std::string> ids_of(const Failure& f) {
  std::vector<std::string> ids;
  for (const auto& text : f.events) ids.push_back(json::parse(text).at("messageId").get<std::string>());
  return ids;
}

std::vector<std::string> range_ids(int first, int count) {
  std::vector<std::string> ids;
  for (int i = first; i < first + count; ++i) ids.push_back(id(i));
  return ids;
}

Response answer(int status, std::string body = "", std::string retry_after = "") {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.retry_after = std::move(retry_after);
  return r;
}

// `not_sent`: the transport knows nothing left (a refused connection); otherwise the request
// may have arrived (a timeout waiting for the answer).
Response network_error(std::string what = "Connection refused", bool not_sent = true) {
  Response r;
  r.network_error = std::move(what);
  r.not_sent = not_sent;
  return r;
}

Response timed_out() { return network_error("Operation timed out after 15000 ms", false); }

PipelineSettings settings_with(std::size_t upload_size = 100, int max_retries = 10) {
  PipelineSettings s;
  s.upload_size = upload_size;
  s.max_retries = max_retries;
  s.upload_interval_ms = 500;
  s.backoff_base_ms = 500;
  s.backoff_cap_ms = 30'000;
  return s;
}

void enqueue_all(Pipeline& p, int first, int count, std::int64_t at = 0) {
  for (int i = first; i < first + count; ++i) {
    ASSERT_NE(p.enqueue(event(id(i), at)), Enqueued::queue_full);
  }
}

// One request as the fake transport saw it.
struct Attempt {
  std::int64_t at;         // monotonic ms it left
  std::string body;        // exactly as built
  json parsed;
  int status;              // the scripted answer
  int attempt;             // request_attempt() when it left
};

struct Trace {
  std::vector<Attempt> attempts;
  std::vector<Failure> failures;
  std::int64_t finished_at = 0;

  // Ids acknowledged with 2xx, in the order the data plane stored them.
  std::vector<std::string> delivered() const {
    std::vector<std::string> ids;
    for (const auto& a : attempts) {
      if (a.status >= 200 && a.status < 300) {
        for (auto& i : ids_in(a.parsed)) ids.push_back(i);
      }
    }
    return ids;
  }
};

// Drives the pipeline as the platform does until it is idle: sends when told to, answers each
// request with the next scripted response (200 once the script runs out), and jumps the clock
// to wake_at when told to wait.
Trace drive(Pipeline& p, const std::vector<Response>& script, std::int64_t now = 0,
          bool flushing = true) {
  Trace run;
  std::size_t next = 0;
  for (int guard = 0; guard < 100'000; ++guard) {
    const Step step = p.next_step(now, flushing);
    switch (step.kind) {
      case Step::Kind::idle:
        run.finished_at = now;
        return run;
      case Step::Kind::in_flight:
        ADD_FAILURE() << "in flight with no request out";
        return run;
      case Step::Kind::wait:
        if (step.wake_at <= now) {
          ADD_FAILURE() << "asked to wait until " << step.wake_at << " at " << now;
          return run;
        }
        now = step.wake_at;
        break;
      case Step::Kind::send: {
        std::string body = p.build_request(unix_at(now));
        const Response response = next < script.size() ? script[next++] : answer(200, "ok\n");
        json parsed = json::parse(body);
        run.attempts.push_back({now, std::move(body), std::move(parsed), response.status,
                                p.request_attempt()});
        if (auto failure = p.on_response(response, now, unix_at(now))) {
          run.failures.push_back(std::move(*failure));
        }
        break;
      }
    }
  }
  ADD_FAILURE() << "the pipeline never became idle";
  return run;
}

// --- Idle and wake hints ---------------------------------------------------------------------

TEST(Pipeline, StartsIdleWithNothingCounted) {
  Pipeline p(settings_with(), 1);
  EXPECT_TRUE(p.idle());
  EXPECT_EQ(p.next_step(0, false).kind, Step::Kind::idle);
  EXPECT_EQ(p.next_step(0, true).kind, Step::Kind::idle);
  const Stats s = p.stats();
  EXPECT_EQ(s.queued + s.delivered + s.failed + s.retried + s.pending + s.dropped_total(), 0u);
}

TEST(Pipeline, FirstEventAsksToWakeTheDriverAndTheNextDoNot) {
  Pipeline p(settings_with(10), 1);
  EXPECT_EQ(p.enqueue(event("a", 0)), Enqueued::accepted_wake);
  EXPECT_EQ(p.enqueue(event("b", 1)), Enqueued::accepted);
  EXPECT_EQ(p.enqueue(event("c", 2)), Enqueued::accepted);
  EXPECT_FALSE(p.idle());
}

TEST(Pipeline, ReachingUploadSizeAsksToWakeTheDriver) {
  Pipeline p(settings_with(3), 1);
  EXPECT_EQ(p.enqueue(event("a")), Enqueued::accepted_wake);
  EXPECT_EQ(p.enqueue(event("b")), Enqueued::accepted);
  EXPECT_EQ(p.enqueue(event("c")), Enqueued::accepted_wake);
  EXPECT_EQ(p.enqueue(event("d")), Enqueued::accepted);
}

TEST(Pipeline, FirstEventAfterTheQueueEmptiedWakesTheDriverAgain) {
  Pipeline p(settings_with(10), 1);
  p.enqueue(event("a"));
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  EXPECT_EQ(p.enqueue(event("b", 5)), Enqueued::accepted_wake)
      << "a new upload_interval deadline starts";
}

// --- Batching --------------------------------------------------------------------------------

TEST(Pipeline, WaitsUploadIntervalFromTheOldestEvent) {
  Pipeline p(settings_with(), 1);
  p.enqueue(event("a", 1000));
  p.enqueue(event("b", 1200));
  Step s = p.next_step(1100, false);
  EXPECT_EQ(s.kind, Step::Kind::wait);
  EXPECT_EQ(s.wake_at, 1500);
  s = p.next_step(1499, false);
  EXPECT_EQ(s.kind, Step::Kind::wait);
  EXPECT_EQ(s.wake_at, 1500);
  s = p.next_step(1500, false);
  ASSERT_EQ(s.kind, Step::Kind::send);
  EXPECT_EQ(ids_in(json::parse(p.build_request(unix_at(1500)))),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.request_event_count(), 2u);
  EXPECT_EQ(p.request_attempt(), 1);
}

TEST(Pipeline, UploadIntervalRestartsWithTheNextEventAfterASend) {
  Pipeline p(settings_with(), 1);
  p.enqueue(event("a", 0));
  ASSERT_EQ(p.next_step(500, false).kind, Step::Kind::send);
  p.enqueue(event("b", 600));
  EXPECT_FALSE(p.on_response(answer(200), 650, unix_at(650)));
  const Step s = p.next_step(650, false);
  EXPECT_EQ(s.kind, Step::Kind::wait);
  EXPECT_EQ(s.wake_at, 1100);
  EXPECT_EQ(p.next_step(1100, false).kind, Step::Kind::send);
}

TEST(Pipeline, AfterABurstItWakesOnceMoreToLetGoOfTheMemoryNoBurstReused) {
  // 40 events of 100 KB fill four of the log's 1 MiB blocks; once delivered they are kept
  // for the next burst, and let go after EventLog::kSpareIdleMs without one.
  Pipeline p(settings_with(100), 1);
  for (int i = 0; i < 40; ++i) ASSERT_NE(p.enqueue(event_of_size(id(i), 100'000, 1000)), Enqueued::queue_full);
  std::int64_t now = 2000;
  for (Step s = p.next_step(now, true); s.kind == Step::Kind::send; s = p.next_step(now, true)) {
    EXPECT_FALSE(p.on_response(answer(200), now, unix_at(now)));
  }
  ASSERT_EQ(p.stats().delivered, 40u);
  Step s = p.next_step(now, false);
  ASSERT_EQ(s.kind, Step::Kind::wait) << "nothing to send, but memory to let go of later";
  EXPECT_EQ(s.wake_at, 1000 + rudder::core::EventLog::kSpareIdleMs);
  EXPECT_EQ(p.next_step(s.wake_at - 1, false).kind, Step::Kind::wait);
  EXPECT_EQ(p.next_step(s.wake_at, false).kind, Step::Kind::idle) << "let go: nothing more to wake for";
}

TEST(Pipeline, AFullBatchIsSentWithoutWaiting) {
  Pipeline p(settings_with(3), 1);
  enqueue_all(p, 0, 3, 1000);
  const Step s = p.next_step(1000, false);
  ASSERT_EQ(s.kind, Step::Kind::send);
  EXPECT_EQ(ids_in(json::parse(p.build_request(unix_at(1000)))), range_ids(0, 3));
}

TEST(Pipeline, FlushingSendsAPartialBatchAtOnce) {
  Pipeline p(settings_with(), 1);
  enqueue_all(p, 0, 2, 1000);
  EXPECT_EQ(p.next_step(1000, false).kind, Step::Kind::wait);
  const Step s = p.next_step(1000, true);
  ASSERT_EQ(s.kind, Step::Kind::send);
  EXPECT_EQ(p.request_event_count(), 2u);
}

TEST(Pipeline, BatchesHoldAtMostUploadSizeEvents) {
  Pipeline p(settings_with(10), 1);
  enqueue_all(p, 0, 25);
  const Trace run = drive(p, {});
  ASSERT_EQ(run.attempts.size(), 3u);
  EXPECT_EQ(ids_in(run.attempts[0].parsed), range_ids(0, 10));
  EXPECT_EQ(ids_in(run.attempts[1].parsed), range_ids(10, 10));
  EXPECT_EQ(ids_in(run.attempts[2].parsed), range_ids(20, 5));
  EXPECT_EQ(p.stats().delivered, 25u);
}

TEST(Pipeline, FullBatchesGoWithoutFlushingAndTheRestWaitsForTheInterval) {
  Pipeline p(settings_with(10), 1);
  enqueue_all(p, 0, 25, 0);
  const Trace run = drive(p, {}, 0, /*flushing=*/false);
  ASSERT_EQ(run.attempts.size(), 3u);
  EXPECT_EQ(run.attempts[0].at, 0);
  EXPECT_EQ(run.attempts[1].at, 0);
  EXPECT_EQ(run.attempts[2].at, 500);
  EXPECT_EQ(ids_in(run.attempts[2].parsed), range_ids(20, 5));
}

TEST(Pipeline, BatchBodySizeIsTheBuiltBodysSize) {
  std::vector<EncodedEvent> events;
  std::size_t bytes = 0;
  for (int n = 0; n <= 6; ++n) {
    const std::string body = build_batch_body(events, unix_at(n));
    EXPECT_EQ(body.size(), batch_body_size(events.size(), bytes)) << n << " events";
    const json parsed = json::parse(body);
    EXPECT_EQ(parsed["batch"].size(), events.size());
    EXPECT_EQ(parsed["sentAt"], iso(unix_at(n)));
    events.push_back(event(id(n), 0, static_cast<std::size_t>(n * 37)));
    bytes += events.back().wire_size();
  }
  EXPECT_EQ(build_batch_body(std::vector<EncodedEvent>{}, 0).size(), kBatchEnvelopeSize);
}

TEST(Pipeline, RequestBodiesNeverExceedMaxBatchBytes) {
  PipelineSettings s = settings_with(1000);
  s.max_batch_bytes = 2000;
  Pipeline p(s, 1);
  // Events of widely varied sizes, up to the largest that fits a request on its own.
  rudder::core::Rng sizes(77);
  const std::size_t smallest = event("m000").wire_size() + 10;
  const std::size_t largest = s.max_batch_bytes - kBatchEnvelopeSize;
  std::map<std::string, std::size_t> wire;
  for (int i = 0; i < 300; ++i) {
    const std::size_t size =
        i % 10 == 0 ? largest : smallest + sizes.up_to(i % 3 == 0 ? largest - smallest : 300);
    EncodedEvent e = event_of_size(id(i), size);
    wire[id(i)] = e.wire_size();
    ASSERT_NE(p.enqueue(std::move(e)), Enqueued::queue_full);
  }
  const Trace run = drive(p, {});
  ASSERT_TRUE(run.failures.empty());
  for (std::size_t k = 0; k < run.attempts.size(); ++k) {
    const Attempt& a = run.attempts[k];
    const auto ids = ids_in(a.parsed);
    std::size_t bytes = 0;
    for (const auto& i : ids) bytes += wire[i];
    EXPECT_LE(a.body.size(), s.max_batch_bytes) << "request " << k;
    EXPECT_EQ(a.body.size(), batch_body_size(ids.size(), bytes)) << "request " << k;
    if (k + 1 < run.attempts.size()) {
      // Cut tight: the next event would not have fitted.
      const std::string following = ids_in(run.attempts[k + 1].parsed).front();
      EXPECT_GT(a.body.size() + 1 + wire[following], s.max_batch_bytes) << "request " << k;
    }
  }
  EXPECT_EQ(run.delivered(), range_ids(0, 300));
  EXPECT_GT(run.attempts.size(), 30u);
}

TEST(Pipeline, EventsFillingABodyExactlyShareOneRequest) {
  PipelineSettings s = settings_with();
  s.max_batch_bytes = 1000;
  // Two events whose body is exactly 1000 bytes: 48 (envelope) + 1 (comma) + 951.
  Pipeline p(s, 1);
  p.enqueue(event_of_size("a", 475));
  p.enqueue(event_of_size("b", 476));
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  EXPECT_EQ(p.build_request(unix_at(0)).size(), 1000u);
  EXPECT_EQ(p.request_event_count(), 2u);

  // One byte more and they go separately.
  Pipeline q(s, 1);
  q.enqueue(event_of_size("a", 475));
  q.enqueue(event_of_size("b", 477));
  const Trace run = drive(q, {});
  ASSERT_EQ(run.attempts.size(), 2u);
  EXPECT_EQ(ids_in(run.attempts[0].parsed), std::vector<std::string>{"a"});
  EXPECT_EQ(ids_in(run.attempts[1].parsed), std::vector<std::string>{"b"});
}

TEST(Pipeline, AnEventAsLargeAsABodyAllowsIsSentAlone) {
  PipelineSettings s = settings_with();
  s.max_batch_bytes = 1000;
  Pipeline p(s, 1);
  p.enqueue(event_of_size("small", 150));
  p.enqueue(event_of_size("huge", 1000 - kBatchEnvelopeSize));
  p.enqueue(event_of_size("small2", 150));
  const Trace run = drive(p, {});
  ASSERT_EQ(run.attempts.size(), 3u);
  EXPECT_EQ(run.attempts[1].body.size(), 1000u);
  EXPECT_EQ(run.delivered(), (std::vector<std::string>{"small", "huge", "small2"}));
}

TEST(Pipeline, ReachingMaxBatchBytesAsksToWakeTheDriverAndSendsAtOnce) {
  PipelineSettings s = settings_with();
  s.max_batch_bytes = 1000;
  Pipeline p(s, 1);
  EXPECT_EQ(p.enqueue(event_of_size("a", 300, 0)), Enqueued::accepted_wake);
  EXPECT_EQ(p.enqueue(event_of_size("b", 300, 0)), Enqueued::accepted);
  EXPECT_EQ(p.enqueue(event_of_size("c", 300, 0)), Enqueued::accepted);  // body 950: fits
  EXPECT_EQ(p.next_step(0, false).kind, Step::Kind::wait);
  EXPECT_EQ(p.enqueue(event_of_size("d", 300, 0)), Enqueued::accepted_wake);  // no room left
  ASSERT_EQ(p.next_step(0, false).kind, Step::Kind::send) << "a full batch does not wait";
  EXPECT_EQ(p.request_event_count(), 3u);
}

TEST(Pipeline, ABatchThatCannotGrowIsSentWithoutWaitingForTheInterval) {
  // Two events of 476 bytes make a 1001-byte body: the first one's batch is already as full
  // as it can be, although their sizes add up to less than max_batch_bytes.
  PipelineSettings s = settings_with();
  s.max_batch_bytes = 1000;
  Pipeline p(s, 1);
  EXPECT_EQ(p.enqueue(event_of_size("a", 476, 0)), Enqueued::accepted_wake);
  EXPECT_EQ(p.enqueue(event_of_size("b", 476, 0)), Enqueued::accepted_wake);
  ASSERT_EQ(p.next_step(0, false).kind, Step::Kind::send);
  EXPECT_EQ(p.request_event_count(), 1u);
}

// --- Queue bound -----------------------------------------------------------------------------

TEST(Pipeline, ByDefaultOnlyBytesBoundTheQueueSoABurstOfSmallEventsIsAccepted) {
  Pipeline p(settings_with(100), 1);
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_EQ(p.enqueue(event(id(i))) == Enqueued::queue_full, false) << "event " << i;
  }
  EXPECT_EQ(p.stats().queued, 100'000u);
  EXPECT_EQ(p.stats().dropped_total(), 0u);
}

TEST(Pipeline, QueueIsBoundedByMaxQueueBytesAndHasRoomAgainOnceEventsLeave) {
  PipelineSettings s = settings_with(2);
  const std::size_t each = event(id(0)).json_open.size();
  s.max_queue_bytes = each * 5 + each / 2;  // five events fit, a sixth does not
  Pipeline p(s, 1);
  for (int i = 0; i < 5; ++i) ASSERT_NE(p.enqueue(event(id(i))), Enqueued::queue_bytes_full);
  EXPECT_EQ(p.enqueue(event(id(5))), Enqueued::queue_bytes_full);
  EXPECT_EQ(p.stats().dropped_for(DropReason::queue_full), 1u);
  // Cut into batches and in flight still counts: those bytes are still held.
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  EXPECT_EQ(p.enqueue(event(id(6))), Enqueued::queue_bytes_full);
  ASSERT_FALSE(p.on_response(answer(200), 0, 0).has_value());  // two events delivered
  EXPECT_NE(p.enqueue(event(id(7))), Enqueued::queue_bytes_full);
  EXPECT_NE(p.enqueue(event(id(8))), Enqueued::queue_bytes_full);
  EXPECT_EQ(p.enqueue(event(id(9))), Enqueued::queue_bytes_full) << "room for exactly two";
}

TEST(Pipeline, QueueIsBoundedByMaxQueueSize) {
  PipelineSettings s = settings_with(10);
  s.max_queue_size = 3;
  Pipeline p(s, 1);
  for (int i = 0; i < 3; ++i) EXPECT_NE(p.enqueue(event(id(i))), Enqueued::queue_full);
  EXPECT_EQ(p.enqueue(event("over-1")), Enqueued::queue_full);
  EXPECT_EQ(p.enqueue(event("over-2")), Enqueued::queue_full);
  Stats st = p.stats();
  EXPECT_EQ(st.queued, 3u);
  EXPECT_EQ(st.pending, 3u);
  EXPECT_EQ(st.dropped_for(DropReason::queue_full), 2u);
  EXPECT_EQ(st.dropped_total(), 2u);

  const Trace run = drive(p, {});
  EXPECT_EQ(run.delivered(), range_ids(0, 3)) << "the refused events are never sent";
  EXPECT_EQ(p.enqueue(event("later")), Enqueued::accepted_wake) << "room again once sent";
}

TEST(Pipeline, CountsCallsRefusedBeforeTheQueue) {
  Pipeline p(settings_with(), 1);
  p.count_refused(DropReason::invalid);
  p.count_refused(DropReason::invalid);
  p.count_refused(DropReason::shut_down);
  const Stats s = p.stats();
  EXPECT_EQ(s.dropped_for(DropReason::invalid), 2u);
  EXPECT_EQ(s.dropped_for(DropReason::shut_down), 1u);
  EXPECT_EQ(s.dropped_total(), 3u);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_TRUE(p.idle());
}

// --- Retries ---------------------------------------------------------------------------------

TEST(Pipeline, ServiceUnavailableThriceThenOkDeliversEachEventOnce) {
  Pipeline p(settings_with(), 1);
  enqueue_all(p, 0, 5);
  const Trace run = drive(p, {answer(503, "Service Unavailable\n"), answer(503), answer(503)});
  ASSERT_EQ(run.attempts.size(), 4u);
  for (std::size_t k = 0; k < run.attempts.size(); ++k) {
    EXPECT_EQ(ids_in(run.attempts[k].parsed), range_ids(0, 5)) << "attempt " << k + 1;
    EXPECT_EQ(run.attempts[k].attempt, static_cast<int>(k) + 1);
  }
  EXPECT_TRUE(run.failures.empty());
  EXPECT_EQ(run.delivered(), range_ids(0, 5));
  const Stats s = p.stats();
  EXPECT_EQ(s.queued, 5u);
  EXPECT_EQ(s.delivered, 5u);
  EXPECT_EQ(s.retried, 3u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.pending, 0u);
  EXPECT_TRUE(p.idle());
}

TEST(Pipeline, GeneratedMessageIdsStayTheSameInEveryAttempt) {
  // Real events from build_message, so the ids are random UUIDs the pipeline must keep.
  const rudder::core::BuildSettings build(32 * 1024, "server", "test", "0");
  rudder::core::Rng rng(4);
  Pipeline p(settings_with(), 1);
  std::vector<std::string> expected;
  for (int i = 0; i < 3; ++i) {
    rudder::core::MessageFields f;
    f.type = rudder::core::MessageType::track;
    f.user_id = "u";
    f.event = "E";
    auto built = build_message(f, build, unix_at(0), rng);
    ASSERT_FALSE(built.error);
    expected.push_back(built.message_id);
    p.enqueue(std::move(built.event));
  }
  const Trace run = drive(p, {answer(500), network_error(), answer(429)});
  ASSERT_EQ(run.attempts.size(), 4u);
  for (const auto& a : run.attempts) EXPECT_EQ(ids_in(a.parsed), expected);
}

TEST(Pipeline, SentAtIsRenewedOnEachAttemptButMessageIdsAreNot) {
  Pipeline p(settings_with(), 1);
  enqueue_all(p, 0, 3);
  const Trace run = drive(p, {answer(503), answer(502)});
  ASSERT_EQ(run.attempts.size(), 3u);
  std::vector<std::string> sent_ats;
  for (const auto& a : run.attempts) {
    const std::string expected = iso(unix_at(a.at));
    EXPECT_EQ(a.parsed["sentAt"], expected);
    for (const auto& e : a.parsed["batch"]) EXPECT_EQ(e["sentAt"], expected);
    EXPECT_EQ(ids_in(a.parsed), range_ids(0, 3));
    sent_ats.push_back(expected);
  }
  EXPECT_LT(run.attempts[0].at, run.attempts[1].at);
  EXPECT_LT(run.attempts[1].at, run.attempts[2].at);
  EXPECT_NE(sent_ats[0], sent_ats[1]);
  EXPECT_NE(sent_ats[1], sent_ats[2]);
}

TEST(Pipeline, ARetryWaitsForItsBackoffEvenWhenFlushing) {
  Pipeline p(settings_with(), 3);
  p.enqueue(event("a"));
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  EXPECT_FALSE(p.on_response(answer(503), 1000, unix_at(1000)));
  const Step s = p.next_step(1000, true);
  ASSERT_EQ(s.kind, Step::Kind::wait);
  EXPECT_GT(s.wake_at, 1000);
  EXPECT_LE(s.wake_at, 1500) << "first retry waits at most backoff_base_ms";
  const Step before = p.next_step(s.wake_at - 1, true);
  EXPECT_EQ(before.kind, Step::Kind::wait);
  EXPECT_EQ(before.wake_at, s.wake_at);
  ASSERT_EQ(p.next_step(s.wake_at, true).kind, Step::Kind::send);
  EXPECT_EQ(p.request_attempt(), 2);
}

TEST(Pipeline, BackoffGrowsExponentiallyUpToTheCap) {
  PipelineSettings s = settings_with(100, 12);
  s.backoff_base_ms = 100;
  s.backoff_cap_ms = 10'000;
  Pipeline p(s, 5);
  p.enqueue(event("a"));
  const Trace run = drive(p, std::vector<Response>(12, network_error()));
  ASSERT_EQ(run.attempts.size(), 13u);
  std::int64_t late_longest = 0;
  for (std::size_t k = 1; k < run.attempts.size(); ++k) {
    const std::int64_t waited = run.attempts[k].at - run.attempts[k - 1].at;
    const std::int64_t ceiling = std::min<std::int64_t>(10'000, 100LL << (k - 1));
    EXPECT_GE(waited, 0) << "retry " << k;
    EXPECT_LE(waited, ceiling) << "retry " << k;
    if (k >= 7) late_longest = std::max(late_longest, waited);
  }
  EXPECT_GT(late_longest, 100) << "later retries wait longer than the first could";
  EXPECT_EQ(p.stats().retried, 12u);
  EXPECT_EQ(p.stats().delivered, 1u);
}

TEST(Pipeline, RetryAfterSecondsIsHonouredExactly) {
  Pipeline p(settings_with(), 1);
  p.enqueue(event("a"));
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  EXPECT_FALSE(p.on_response(answer(503, "", "2"), 5000, unix_at(5000)));
  Step s = p.next_step(5000, true);
  EXPECT_EQ(s.kind, Step::Kind::wait);
  EXPECT_EQ(s.wake_at, 7000);
  s = p.next_step(6999, true);
  EXPECT_EQ(s.kind, Step::Kind::wait);
  EXPECT_EQ(s.wake_at, 7000);
  EXPECT_EQ(p.next_step(7000, true).kind, Step::Kind::send);
}

TEST(Pipeline, RetryAfterHttpDateIsHonoured) {
  Pipeline p(settings_with(), 1);
  p.enqueue(event("a"));
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  // unix_at(5000) is 12:00:05; the data plane asks for 12:00:08.
  EXPECT_FALSE(p.on_response(answer(429, "", "Wed, 31 Jan 2024 12:00:08 GMT"), 5000, unix_at(5000)));
  const Step s = p.next_step(5000, true);
  EXPECT_EQ(s.kind, Step::Kind::wait);
  EXPECT_EQ(s.wake_at, 8000);
}

TEST(Pipeline, LongRetryAfterIsCapped) {
  PipelineSettings s = settings_with();
  s.retry_after_cap_ms = 60'000;
  Pipeline p(s, 1);
  p.enqueue(event("a"));
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  EXPECT_FALSE(p.on_response(answer(503, "", "86400"), 100, unix_at(100)));
  EXPECT_EQ(p.next_step(100, true).wake_at, 60'100);
}

TEST(Pipeline, UnreadableRetryAfterFallsBackToBackoff) {
  Pipeline p(settings_with(), 1);
  p.enqueue(event("a"));
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  EXPECT_FALSE(p.on_response(answer(503, "", "later please"), 100, unix_at(100)));
  const Step s = p.next_step(100, true);
  ASSERT_NE(s.kind, Step::Kind::idle);
  const std::int64_t leaves_at = s.kind == Step::Kind::wait ? s.wake_at : 100;
  EXPECT_LE(leaves_at, 600) << "back-off of the first retry, at most backoff_base_ms";
}

TEST(Pipeline, EventsEnqueuedDuringARequestWaitTheirTurn) {
  Pipeline p(settings_with(), 1);
  p.enqueue(event("a"));
  p.enqueue(event("b"));
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  p.enqueue(event("c", 10));
  EXPECT_EQ(p.next_step(10, true).kind, Step::Kind::in_flight);
  EXPECT_EQ(p.stats().pending, 3u);
  EXPECT_FALSE(p.on_response(answer(503), 20, unix_at(20)));
  const Trace run = drive(p, {}, 20);
  ASSERT_EQ(run.attempts.size(), 2u);
  EXPECT_EQ(ids_in(run.attempts[0].parsed), (std::vector<std::string>{"a", "b"}))
      << "the retried batch goes first, unchanged";
  EXPECT_EQ(ids_in(run.attempts[1].parsed), std::vector<std::string>{"c"});
}

TEST(Pipeline, EventsKeepTheirOrderThroughRetriesAndSplits) {
  Pipeline p(settings_with(7), 9);
  enqueue_all(p, 0, 50);
  const Trace run = drive(p, {answer(503), answer(200), answer(413), answer(200), answer(200),
                            network_error(), answer(200), answer(413), answer(200), answer(200),
                            answer(429), answer(504), answer(200)});
  EXPECT_TRUE(run.failures.empty());
  EXPECT_EQ(run.delivered(), range_ids(0, 50));
  EXPECT_EQ(p.stats().delivered, 50u);
  EXPECT_EQ(p.stats().retried, 4u);
}

// --- Final failures --------------------------------------------------------------------------

TEST(Pipeline, ClientErrorsAreFinalAtOnceAndReportTheEvents) {
  const std::pair<int, const char*> cases[] = {{400, "invalid json\n"},
                                               {401, "invalid write key\n"},
                                               {404, "source is disabled\n"}};
  for (const auto& [status, body] : cases) {
    Pipeline p(settings_with(), 1);
    enqueue_all(p, 0, 3);
    ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
    const auto failure = p.on_response(answer(status, body), 40, unix_at(40));
    ASSERT_TRUE(failure) << status;
    EXPECT_EQ(failure->error.kind, DeliveryError::Kind::http_status);
    EXPECT_EQ(failure->error.status, status);
    EXPECT_EQ(failure->error.body, body);
    EXPECT_EQ(failure->error.attempts, 1);
    ASSERT_EQ(failure->events.size(), 3u);
    EXPECT_EQ(ids_of(*failure), range_ids(0, 3));
    for (const auto& text : failure->events) {
      const json e = json::parse(text);  // complete objects, not the open queue form
      EXPECT_EQ(e["type"], "track");
      EXPECT_EQ(e["userId"], "u");
      EXPECT_EQ(e["sentAt"], iso(unix_at(40)));
    }
    const Stats s = p.stats();
    EXPECT_EQ(s.failed, 3u);
    EXPECT_EQ(s.delivered, 0u);
    EXPECT_EQ(s.retried, 0u);
    EXPECT_EQ(s.pending, 0u);
    EXPECT_TRUE(p.idle());
    EXPECT_EQ(p.next_step(40, true).kind, Step::Kind::idle) << status << " is never retried";
  }
}

TEST(Pipeline, FailureMessageNamesTheStatusAndTheDataPlanesAnswer) {
  Pipeline p(settings_with(), 1);
  p.enqueue(event("a"));
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  const auto failure = p.on_response(answer(401, "invalid write key\n"), 0, unix_at(0));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->error.message, "HTTP 401: invalid write key");
}

TEST(Pipeline, NetworkErrorsAreRetriedMaxRetriesTimesThenReported) {
  Pipeline p(settings_with(100, 3), 1);
  enqueue_all(p, 0, 2);
  const Trace run = drive(p, std::vector<Response>(10, network_error("Connection refused")));
  ASSERT_EQ(run.attempts.size(), 4u);
  ASSERT_EQ(run.failures.size(), 1u);
  const Failure& f = run.failures[0];
  EXPECT_EQ(f.error.kind, DeliveryError::Kind::network);
  EXPECT_EQ(f.error.status, 0);
  EXPECT_EQ(f.error.attempts, 4);
  EXPECT_NE(f.error.message.find("Connection refused"), std::string::npos) << f.error.message;
  EXPECT_EQ(ids_of(f), range_ids(0, 2));
  const Stats s = p.stats();
  EXPECT_EQ(s.retried, 3u);
  EXPECT_EQ(s.failed, 2u);
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_EQ(s.pending, 0u);
  EXPECT_TRUE(p.idle());
}

TEST(Pipeline, ABatchWhoseAttemptsTimedOutIsUnknownNotFailedWhenGivenUpOn) {
  Pipeline p(settings_with(100, 2), 1);
  enqueue_all(p, 0, 3);
  // One attempt timed out (the data plane may have stored it), then 503s ran retries out.
  const Trace run = drive(p, {answer(503), timed_out(), answer(503)});
  ASSERT_EQ(run.attempts.size(), 3u);
  ASSERT_EQ(run.failures.size(), 1u);
  const Failure& f = run.failures[0];
  EXPECT_EQ(f.error.kind, DeliveryError::Kind::unknown_outcome);
  EXPECT_NE(f.error.message.find("may have stored"), std::string::npos) << f.error.message;
  const Stats s = p.stats();
  EXPECT_EQ(s.unknown, 3u);
  EXPECT_EQ(s.failed, 0u) << "never counted lost while it may have arrived";
  // Every attempt carried the same messageIds, so the data plane keeps one copy of each.
  for (const auto& a : run.attempts) EXPECT_EQ(ids_in(a.parsed), range_ids(0, 3));
}

TEST(Pipeline, RefusedConnectionsAloneMakeAGivenUpBatchFailed) {
  Pipeline p(settings_with(100, 1), 1);
  enqueue_all(p, 0, 1);
  const Trace run = drive(p, {network_error(), network_error()});
  ASSERT_EQ(run.failures.size(), 1u);
  EXPECT_EQ(run.failures[0].error.kind, DeliveryError::Kind::network);
  EXPECT_EQ(p.stats().failed, 1u);
  EXPECT_EQ(p.stats().unknown, 0u);
}

TEST(Pipeline, ALongAnswerIsCutInTheMessageButKeptWholeInTheBody) {
  Pipeline p(settings_with(), 1);
  enqueue_all(p, 0, 1);
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  const std::string page = "<html>" + std::string(5000, 'x') + "\xC3\xA9</html>";
  const auto failure = p.on_response(answer(400, page), 0, unix_at(0));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->error.body, page);
  EXPECT_EQ(failure->error.message.rfind("HTTP 400: <html>xxx", 0), 0u);
  EXPECT_LT(failure->error.message.size(), 260u);
  EXPECT_NE(failure->error.message.find("(" + std::to_string(page.size()) + " bytes)"), std::string::npos)
      << failure->error.message;
  // Past 200 bytes an answer is cut at 200, or before a UTF-8 character that would straddle it.
  const auto message_for = [](const std::string& body) {
    Pipeline q(settings_with(), 1);
    enqueue_all(q, 0, 1);
    EXPECT_EQ(q.next_step(0, true).kind, Step::Kind::send);
    return q.on_response(answer(400, body), 0, unix_at(0))->error.message;
  };
  EXPECT_EQ(message_for(std::string(200, 'x')), "HTTP 400: " + std::string(200, 'x'));
  EXPECT_EQ(message_for(std::string(300, 'x')), "HTTP 400: " + std::string(200, 'x') + "... (300 bytes)");
  EXPECT_EQ(message_for(std::string(199, 'x') + "\xC3\xA9" + std::string(99, 'y')),
            "HTTP 400: " + std::string(199, 'x') + "... (300 bytes)");
}

TEST(Pipeline, ARedirectIsAFinalFailureNeverADelivery) {
  for (const int status : {301, 302, 303, 307, 308}) {
    Pipeline p(settings_with(), 1);
    enqueue_all(p, 0, 2);
    Response moved = answer(status);
    moved.location = "https://user:secret@elsewhere.example.com/v1/batch";
    const Trace run = drive(p, {moved, answer(200)});
    ASSERT_EQ(run.attempts.size(), 1u) << status << ": not retried";
    ASSERT_EQ(run.failures.size(), 1u) << status;
    EXPECT_EQ(run.failures[0].error.kind, DeliveryError::Kind::http_status);
    const std::string& message = run.failures[0].error.message;
    EXPECT_NE(message.find("redirect to \"https://***@elsewhere.example.com/v1/batch\""),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find("secret"), std::string::npos) << "a password is never printed";
    EXPECT_EQ(p.stats().delivered, 0u) << status;
    EXPECT_EQ(p.stats().failed, 2u) << status;
  }
  // A browser's fetch with redirect: 'manual' sees no status: the transport says so.
  Pipeline p(settings_with(), 1);
  enqueue_all(p, 0, 1);
  Response opaque;
  opaque.redirected = true;
  const Trace run = drive(p, {opaque, answer(200)});
  ASSERT_EQ(run.failures.size(), 1u);
  EXPECT_EQ(run.failures[0].error.kind, DeliveryError::Kind::http_status) << "an answer came: not a network failure";
  EXPECT_EQ(p.stats().failed, 1u);
  EXPECT_EQ(p.stats().unknown, 0u);
}

TEST(Pipeline, ServerErrorsAfterMaxRetriesAreReportedWithTheirStatus) {
  Pipeline p(settings_with(100, 2), 1);
  p.enqueue(event("a"));
  const Trace run = drive(p, std::vector<Response>(3, answer(500, "storage error\n")));
  ASSERT_EQ(run.attempts.size(), 3u);
  ASSERT_EQ(run.failures.size(), 1u);
  const DeliveryError& e = run.failures[0].error;
  EXPECT_EQ(e.kind, DeliveryError::Kind::http_status);
  EXPECT_EQ(e.status, 500);
  EXPECT_EQ(e.body, "storage error\n");
  EXPECT_EQ(e.attempts, 3);
  EXPECT_NE(e.message.find("HTTP 500: storage error"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("3 attempts"), std::string::npos) << e.message;
}

using rudder::testing::MemoryStore;

TEST(Pipeline, AStoredBatchOutlastsAnyOutageButAFinalAnswerStillFailsIt) {
  MemoryStore store;
  Pipeline p(settings_with(100, 0), 1, &store);
  p.enqueue(event("a"));
  // Thirty refusals in a row, far past max_retries 0: the batch waits them out in storage.
  std::vector<Response> outage(30, answer(503));
  outage.push_back(answer(200, "ok\n"));
  const Trace run = drive(p, outage);
  EXPECT_TRUE(run.failures.empty());
  EXPECT_EQ(run.delivered(), std::vector<std::string>{"a"});
  EXPECT_EQ(p.stats().retried, 30u);
  EXPECT_LE(run.finished_at, 31 * 30'000) << "each wait at most the back-off cap";

  p.enqueue(event("b"));
  const Trace refused = drive(p, {answer(400, "bad")});
  ASSERT_EQ(refused.failures.size(), 1u) << "a final answer is final, stored or not";
  EXPECT_EQ(p.stats().failed, 1u);
}

TEST(Pipeline, ZeroMaxRetriesMeansASingleAttempt) {
  Pipeline p(settings_with(100, 0), 1);
  p.enqueue(event("a"));
  const Trace run = drive(p, {answer(503)});
  EXPECT_EQ(run.attempts.size(), 1u);
  ASSERT_EQ(run.failures.size(), 1u);
  EXPECT_EQ(run.failures[0].error.attempts, 1);
  EXPECT_NE(run.failures[0].error.message.find("gave up after 1 attempt)"), std::string::npos)
      << run.failures[0].error.message;
  EXPECT_EQ(p.stats().retried, 0u);
}

TEST(Pipeline, AnAnswerWithNoRequestOutChangesNothing) {
  Pipeline p(settings_with(100), 1);
  p.enqueue(event("a"));
  EXPECT_FALSE(p.on_response(answer(500), 0, 0).has_value());
  EXPECT_TRUE(p.build_request(0).empty());
  EXPECT_EQ(p.request_event_count(), 0u);
  EXPECT_EQ(p.stats().pending, 1u);
  EXPECT_EQ(p.stats().failed, 0u);
  EXPECT_EQ(p.stats().retried, 0u);
}

TEST(Pipeline, AZeroUploadSizeStillSendsOneEventPerBatch) {
  Pipeline p(settings_with(0), 1);
  enqueue_all(p, 0, 3);
  const Trace run = drive(p, {});
  EXPECT_EQ(run.delivered(), range_ids(0, 3));
  EXPECT_EQ(run.attempts.size(), 3u);
}

TEST(Pipeline, AFailedBatchDoesNotHoldUpTheNextOne) {
  Pipeline p(settings_with(2), 1);
  enqueue_all(p, 0, 4);
  const Trace run = drive(p, {answer(400, "invalid json\n")});
  ASSERT_EQ(run.failures.size(), 1u);
  EXPECT_EQ(ids_of(run.failures[0]), range_ids(0, 2));
  EXPECT_EQ(run.delivered(), range_ids(2, 2));
  EXPECT_EQ(p.stats().failed, 2u);
  EXPECT_EQ(p.stats().delivered, 2u);
}

// --- 413: too large for the data plane -------------------------------------------------------

TEST(Pipeline, PayloadTooLargeSplitsTheBatchIntoHalvesThatAreBothSent) {
  Pipeline p(settings_with(), 1);
  enqueue_all(p, 0, 6);
  const Trace run = drive(p, {answer(413, "request size exceeds max limit\n")});
  ASSERT_EQ(run.attempts.size(), 3u);
  EXPECT_EQ(ids_in(run.attempts[0].parsed), range_ids(0, 6));
  EXPECT_EQ(ids_in(run.attempts[1].parsed), range_ids(0, 3));
  EXPECT_EQ(ids_in(run.attempts[2].parsed), range_ids(3, 3));
  EXPECT_EQ(run.attempts[1].attempt, 1) << "each half starts its own attempts";
  EXPECT_TRUE(run.failures.empty());
  EXPECT_EQ(p.stats().delivered, 6u);
  EXPECT_EQ(p.stats().failed, 0u);
}

TEST(Pipeline, HalvesOfABatchThatMayHaveArrivedMayHaveArrivedToo) {
  // The first attempt timed out (the data plane may have stored all four), the second got a
  // 413: both halves carry that doubt, so a final failure of either is unknown, never lost,
  // and nothing invites the caller to send those events again.
  Pipeline p(settings_with(), 1);
  enqueue_all(p, 0, 4);
  const Trace run = drive(p, {timed_out(), answer(413), answer(400), answer(400)});
  ASSERT_EQ(run.attempts.size(), 4u);
  EXPECT_EQ(ids_in(run.attempts[2].parsed), range_ids(0, 2));
  EXPECT_EQ(ids_in(run.attempts[3].parsed), range_ids(2, 2));
  ASSERT_EQ(run.failures.size(), 2u);
  for (const Failure& f : run.failures) {
    EXPECT_EQ(f.error.kind, DeliveryError::Kind::unknown_outcome) << f.error.message;
  }
  EXPECT_EQ(p.stats().unknown, 4u);
  EXPECT_EQ(p.stats().failed, 0u);
}

TEST(Pipeline, PayloadTooLargeSplitsAnOddBatch) {
  Pipeline p(settings_with(), 1);
  enqueue_all(p, 0, 5);
  const Trace run = drive(p, {answer(413)});
  ASSERT_EQ(run.attempts.size(), 3u);
  EXPECT_EQ(ids_in(run.attempts[1].parsed), range_ids(0, 2));
  EXPECT_EQ(ids_in(run.attempts[2].parsed), range_ids(2, 3));
}

TEST(Pipeline, PayloadTooLargeOnASingleEventIsFinal) {
  Pipeline p(settings_with(), 1);
  p.enqueue(event("a"));
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  const auto failure = p.on_response(answer(413, "request size exceeds max limit\n"), 0, unix_at(0));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->error.kind, DeliveryError::Kind::http_status);
  EXPECT_EQ(failure->error.status, 413);
  EXPECT_EQ(failure->error.attempts, 1);
  EXPECT_EQ(ids_of(*failure), std::vector<std::string>{"a"});
  EXPECT_EQ(p.stats().failed, 1u);
  EXPECT_TRUE(p.idle());
}

TEST(Pipeline, RepeatedPayloadTooLargeSplitsDownToSingleEvents) {
  Pipeline p(settings_with(), 1);
  enqueue_all(p, 0, 4);
  const Trace run = drive(p, std::vector<Response>(7, answer(413)));
  // 4, then 2; the other 2 is split before it goes, since 2 were refused; then 1 + 1 + 1 + 1.
  EXPECT_EQ(run.attempts.size(), 6u);
  ASSERT_EQ(run.failures.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ids_of(run.failures[i]), std::vector<std::string>{id(i)});
  EXPECT_EQ(p.stats().failed, 4u);
  EXPECT_EQ(p.stats().pending, 0u);
}

TEST(Pipeline, AfterA413BatchesAreCutNoLargerThanTheHalvesOfTheBodyRefused) {
  // A data plane (or a proxy before it) whose limit is below max_batch_bytes: the first full
  // batch is refused and split; the batches after it are cut small enough at once, instead of
  // each being refused and split in turn.
  PipelineSettings s = settings_with(100);
  s.max_batch_bytes = 100'000;
  Pipeline p(s, 1);
  for (int i = 0; i < 20; ++i) ASSERT_NE(p.enqueue(event_of_size(id(i), 1'000)), Enqueued::queue_full);
  EXPECT_EQ(p.batch_byte_limit(), 100'000u);
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  ASSERT_EQ(p.request_event_count(), 20u);
  const std::size_t half = batch_body_size(10, 10 * 1'000);
  EXPECT_FALSE(p.on_response(answer(413), 0, unix_at(0)));
  EXPECT_EQ(p.batch_byte_limit(), half);
  const Trace halves = drive(p, {});
  ASSERT_EQ(halves.attempts.size(), 2u);
  EXPECT_EQ(ids_in(halves.attempts[0].parsed), range_ids(0, 10));
  EXPECT_EQ(ids_in(halves.attempts[1].parsed), range_ids(10, 10));

  for (int i = 20; i < 60; ++i) ASSERT_NE(p.enqueue(event_of_size(id(i), 1'000)), Enqueued::queue_full);
  const Trace later = drive(p, {});
  ASSERT_EQ(later.attempts.size(), 4u) << "40 events in batches of 10, as the halves were";
  for (const auto& attempt : later.attempts) {
    EXPECT_LE(attempt.body.size(), half);
    EXPECT_EQ(ids_in(attempt.parsed).size(), 10u);
  }
  EXPECT_EQ(p.stats().delivered, 60u);

  // A single event refused as too large says nothing about the batches' size.
  Pipeline q(s, 1);
  q.enqueue(event("a"));
  ASSERT_EQ(q.next_step(0, true).kind, Step::Kind::send);
  EXPECT_TRUE(q.on_response(answer(413), 0, unix_at(0)));
  EXPECT_EQ(q.batch_byte_limit(), 100'000u);
}

// --- Overlapped batches ----------------------------------------------------------------------

TEST(Pipeline, NextBatchCanBePreparedDuringARequest) {
  Pipeline p(settings_with(2), 1);
  enqueue_all(p, 0, 5);
  const Step first = p.next_step(0, false);
  ASSERT_EQ(first.kind, Step::Kind::send);
  const auto next = p.cut_next(0, false);
  ASSERT_TRUE(next);
  EXPECT_NE(*next, first.batch_id);
  EXPECT_EQ(ids_in(json::parse(p.build_body(*next, unix_at(0)))), range_ids(2, 2));
  EXPECT_FALSE(p.cut_next(0, false)) << "only one batch is prepared ahead";
  EXPECT_EQ(p.build_body(*next + 100, unix_at(0)), "") << "unknown batch";
  EXPECT_EQ(p.stats().pending, 5u);

  EXPECT_FALSE(p.on_response(answer(200), 10, unix_at(10)));
  const Step second = p.next_step(10, false);
  ASSERT_EQ(second.kind, Step::Kind::send);
  EXPECT_EQ(second.batch_id, *next);
  EXPECT_EQ(ids_in(json::parse(p.build_request(unix_at(10)))), range_ids(2, 2));
}

TEST(Pipeline, NothingIsPreparedAheadWhenNoBatchIsReady) {
  Pipeline p(settings_with(10), 1);
  enqueue_all(p, 0, 3);
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  p.enqueue(event("late", 100));
  EXPECT_FALSE(p.cut_next(100, false)) << "one event, interval not over";
  EXPECT_TRUE(p.cut_next(100, true)) << "flushing sends partial batches";
}

TEST(Pipeline, APreparedBatchWaitsBehindARetry) {
  Pipeline p(settings_with(2), 1);
  enqueue_all(p, 0, 4);
  ASSERT_EQ(p.next_step(0, false).kind, Step::Kind::send);
  ASSERT_TRUE(p.cut_next(0, false));
  EXPECT_FALSE(p.on_response(answer(503), 0, unix_at(0)));
  const Trace run = drive(p, {}, 0);
  ASSERT_EQ(run.attempts.size(), 2u);
  EXPECT_EQ(ids_in(run.attempts[0].parsed), range_ids(0, 2));
  EXPECT_EQ(run.attempts[0].attempt, 2);
  EXPECT_EQ(ids_in(run.attempts[1].parsed), range_ids(2, 2));
}

// --- Shutdown, fork, counters ----------------------------------------------------------------

TEST(Pipeline, AbandonReportsTheRequestOutAsUnknownAndTheRestAsUnsent) {
  Pipeline p(settings_with(2), 1);
  enqueue_all(p, 0, 5);
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);  // m0, m1 in flight
  const std::vector<Failure> failures = p.abandon(unix_at(900));
  ASSERT_EQ(failures.size(), 2u);
  // The request out may still arrive and be stored: its events are not "lost".
  EXPECT_EQ(failures[0].error.kind, DeliveryError::Kind::unknown_outcome);
  EXPECT_EQ(failures[0].error.attempts, 1);
  EXPECT_EQ(ids_of(failures[0]), range_ids(0, 2));
  EXPECT_EQ(failures[1].error.kind, DeliveryError::Kind::unsent_at_shutdown);
  EXPECT_EQ(ids_of(failures[1]), range_ids(2, 3));
  for (const auto& f : failures) {
    for (const auto& text : f.events) EXPECT_EQ(json::parse(text)["sentAt"], iso(unix_at(900)));
  }
  const Stats s = p.stats();
  EXPECT_EQ(s.unknown, 2u);
  EXPECT_EQ(s.dropped_for(DropReason::unsent_at_shutdown), 3u);
  EXPECT_EQ(s.pending, 0u);
  EXPECT_EQ(s.queued, 5u);
  EXPECT_TRUE(p.idle());
  EXPECT_EQ(p.next_step(1000, true).kind, Step::Kind::idle);
}

TEST(Pipeline, AbandonIncludesBatchesWaitingToRetryAndSplitHalves) {
  Pipeline p(settings_with(4), 1);
  enqueue_all(p, 0, 6);
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  EXPECT_FALSE(p.on_response(answer(413), 0, unix_at(0)));  // m0-m1 and m2-m3 now
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  EXPECT_FALSE(p.on_response(answer(503), 0, unix_at(0)));  // m0-m1 waits to retry
  const std::vector<Failure> failures = p.abandon(unix_at(1));
  ASSERT_EQ(failures.size(), 1u) << "every attempt was answered: nothing can have been stored";
  EXPECT_EQ(failures[0].error.kind, DeliveryError::Kind::unsent_at_shutdown);
  EXPECT_EQ(ids_of(failures[0]), range_ids(0, 6));
  EXPECT_EQ(p.stats().dropped_for(DropReason::unsent_at_shutdown), 6u);
}

TEST(Pipeline, AbandonSaysWhatTheLastAttemptGotUntilADeliveryClearsIt) {
  Pipeline p(settings_with(2), 1);
  enqueue_all(p, 0, 4);
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  EXPECT_FALSE(p.on_response(answer(503), 0, unix_at(0)));
  std::vector<Failure> failures = p.abandon(unix_at(1));
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].error.last_attempt, "HTTP 503");
  EXPECT_NE(failures[0].error.message.find("(the last attempt got HTTP 503)"), std::string::npos)
      << failures[0].error.message;

  // A delivery since: the data plane was not refusing when the timeout came.
  Pipeline q(settings_with(2), 1);
  enqueue_all(q, 0, 4);
  ASSERT_EQ(q.next_step(0, true).kind, Step::Kind::send);
  EXPECT_FALSE(q.on_response(answer(503), 0, unix_at(0)));
  ASSERT_EQ(q.next_step(100'000, true).kind, Step::Kind::send);
  EXPECT_FALSE(q.on_response(answer(200), 100'000, unix_at(100'000)));
  failures = q.abandon(unix_at(100'001));
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].error.last_attempt, "");
  EXPECT_EQ(failures[0].error.message, "shutdown's timeout passed before these events were delivered");
}

TEST(Pipeline, AbandonCountsABatchWhoseAttemptTimedOutAsUnknown) {
  Pipeline p(settings_with(2), 1);
  enqueue_all(p, 0, 4);
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  EXPECT_FALSE(p.on_response(timed_out(), 0, unix_at(0)));
  const std::vector<Failure> failures = p.abandon(unix_at(1));
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0].error.kind, DeliveryError::Kind::unknown_outcome);
  EXPECT_EQ(ids_of(failures[0]), range_ids(0, 2));
  EXPECT_EQ(ids_of(failures[1]), range_ids(2, 2));
  EXPECT_EQ(p.stats().unknown, 2u);
  EXPECT_EQ(p.stats().dropped_for(DropReason::unsent_at_shutdown), 2u);
}

TEST(Pipeline, AbandonWithNothingPendingReportsNothing) {
  Pipeline p(settings_with(), 1);
  EXPECT_TRUE(p.abandon(0).empty());
  p.enqueue(event("a"));
  drive(p, {});
  EXPECT_TRUE(p.abandon(0).empty());
  EXPECT_EQ(p.stats().dropped_total(), 0u);
}

TEST(Pipeline, ResetForgetsEventsAndCounters) {
  PipelineSettings s = settings_with(2);
  s.max_queue_size = 4;
  Pipeline p(s, 1);
  enqueue_all(p, 0, 4);
  p.enqueue(event("over"));  // dropped: queue_full
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  EXPECT_FALSE(p.on_response(answer(503), 0, unix_at(0)));
  p.reset(2);
  EXPECT_TRUE(p.idle());
  const Stats st = p.stats();
  EXPECT_EQ(st.queued + st.delivered + st.failed + st.unknown + st.retried + st.pending +
                st.dropped_total(),
            0u);
  EXPECT_EQ(p.next_step(0, true).kind, Step::Kind::idle);
  EXPECT_TRUE(p.abandon(0).empty()) << "forgotten events are not reported either";

  EXPECT_EQ(p.enqueue(event("child")), Enqueued::accepted_wake);
  const Trace run = drive(p, {});
  EXPECT_EQ(run.delivered(), std::vector<std::string>{"child"});
}

TEST(Pipeline, PendingCountsQueuedAndInFlightEvents) {
  Pipeline p(settings_with(3), 1);
  enqueue_all(p, 0, 5);
  EXPECT_EQ(p.stats().pending, 5u);
  ASSERT_EQ(p.next_step(0, false).kind, Step::Kind::send);
  EXPECT_EQ(p.stats().pending, 5u) << "three in flight, two queued";
  EXPECT_FALSE(p.on_response(answer(200), 0, unix_at(0)));
  EXPECT_EQ(p.stats().pending, 2u);
  EXPECT_EQ(p.stats().delivered, 3u);
  EXPECT_FALSE(p.idle());
  drive(p, {answer(400)});
  EXPECT_EQ(p.stats().pending, 0u);
  EXPECT_TRUE(p.idle());
}

TEST(Pipeline, EveryQueuedEventEndsInExactlyOneCounter) {
  Pipeline p(settings_with(3, 1), 1);
  enqueue_all(p, 0, 12);
  drive(p, {answer(200), answer(400), answer(503), answer(503), answer(413)});
  enqueue_all(p, 100, 2);
  // Batches are now cut no larger than batch 4's larger half (m10, m11): m100 and m101 are two
  // bytes larger together, so m100 goes out alone.
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  ASSERT_EQ(p.request_event_count(), 1u);
  enqueue_all(p, 200, 1);
  p.abandon(unix_at(0));
  const Stats s = p.stats();
  EXPECT_EQ(s.queued, 15u);
  EXPECT_EQ(s.delivered + s.failed + s.unknown + s.dropped_for(DropReason::unsent_at_shutdown) +
                s.pending,
            s.queued);
  EXPECT_EQ(s.delivered, 6u);  // batch 1 and the two halves of batch 4
  EXPECT_EQ(s.failed, 6u);     // batch 2 (400) and batch 3 (503 after its one retry)
  EXPECT_EQ(s.unknown, 1u);    // the request out when it gave up
  EXPECT_EQ(s.dropped_for(DropReason::unsent_at_shutdown), 2u);
}

}  // namespace

// ---- page unload: beacon pieces ------------------------------------------------------------

TEST(PipelineBeacon, APieceHoldsTheQueuedEventsInOrderAndLeavesThemUntilCommitted) {
  Pipeline p(settings_with(), 1);
  enqueue_all(p, 0, 3);
  const std::string body = p.beacon_body(64'000, unix_at(0));
  EXPECT_EQ(ids_in(json::parse(body)), range_ids(0, 3));
  EXPECT_EQ(p.stats().pending, 3u) << "nothing leaves before the browser took the piece";
  EXPECT_FALSE(p.commit_beacon());
  EXPECT_TRUE(p.idle());
  EXPECT_EQ(p.stats().beaconed, 3u);
  EXPECT_EQ(p.stats().pending, 0u);
  EXPECT_TRUE(p.beacon_body(64'000, unix_at(0)).empty());
}

TEST(PipelineBeacon, PiecesStayUnderTheLimitAndTogetherCarryEveryEventOnce) {
  Pipeline p(settings_with(/*upload_size=*/10), 1);
  for (int i = 0; i < 40; ++i) ASSERT_NE(p.enqueue(event_of_size(id(i), 1'000)), Enqueued::queue_full);
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);  // one batch of 10 in flight
  std::vector<std::string> carried;
  int pieces = 0;
  for (std::string body; !(body = p.beacon_body(8'000, unix_at(0))).empty(); ++pieces) {
    EXPECT_LE(body.size(), 8'000u);
    for (auto& i : ids_in(json::parse(body))) carried.push_back(i);
    p.commit_beacon();
  }
  EXPECT_EQ(carried, range_ids(0, 40));
  EXPECT_EQ(pieces, 6);  // 7 events of 1,000 bytes fit 8,000 with the envelope
  EXPECT_EQ(p.stats().beaconed, 40u);
  EXPECT_TRUE(p.idle());
}

TEST(PipelineBeacon, APieceFillsTheLimitToTheByteAndNoFurther) {
  // A browser refuses a beacon over its limit whole, so a piece one byte over loses it; one a
  // byte under the fit would leave an event for a piece the page may not live to send.
  const std::size_t exact = batch_body_size(2, event_of_size("a", 500).wire_size() + event_of_size("b", 500).wire_size());
  for (const std::size_t limit : {exact, exact - 1}) {
    Pipeline p(settings_with(), 1);
    p.enqueue(event_of_size("a", 500));
    p.enqueue(event_of_size("b", 500));
    const std::string body = p.beacon_body(limit, unix_at(0));
    EXPECT_LE(body.size(), limit);
    EXPECT_EQ(ids_in(json::parse(body)).size(), limit == exact ? 2u : 1u) << "limit " << limit;
  }
}

TEST(PipelineBeacon, TakingTheBatchInFlightMakesItsLateAnswerIrrelevant) {
  Pipeline p(settings_with(/*upload_size=*/2), 1);
  enqueue_all(p, 0, 3);
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  p.beacon_body(64'000, unix_at(0));
  EXPECT_TRUE(p.commit_beacon()) << "the platform must learn to ignore the answer";
  EXPECT_FALSE(p.on_response(answer(500), 1, unix_at(1)));
  const Stats s = p.stats();
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_EQ(s.retried, 0u);
  EXPECT_EQ(s.beaconed, 3u);
  EXPECT_EQ(p.next_step(2, true).kind, Step::Kind::idle);
}

TEST(PipelineBeacon, AnUncommittedPieceChangesNothing) {
  Pipeline p(settings_with(/*upload_size=*/2), 1);
  enqueue_all(p, 0, 3);
  ASSERT_EQ(p.next_step(0, true).kind, Step::Kind::send);
  p.beacon_body(64'000, unix_at(0));  // the browser refused it
  EXPECT_FALSE(p.on_response(answer(200), 1, unix_at(1)));
  EXPECT_EQ(p.stats().delivered, 2u);
  EXPECT_EQ(p.stats().beaconed, 0u);
  EXPECT_EQ(p.stats().pending, 1u);
}
