// Integration tests: the native client (real libcurl, real worker thread) against the local
// data plane (real HTTP on loopback).
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "client_fixture.hpp"
#include "local_data_plane.hpp"
#include "rudder/analytics.hpp"

namespace rudder {
namespace {

using namespace std::chrono_literals;
using testing::LocalDataPlane;

// Milliseconds since 1970 of an ISO-8601 UTC time with milliseconds ("2026-01-02T03:04:05.678Z").
std::int64_t parse_iso_ms(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    ADD_FAILURE() << "not an ISO time: " << text;
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

TEST_F(ClientTest, SixCallsArriveSpecShaped) {
  Client client(config());
  CallOptions with_context;
  with_context.context = {{"ip", "10.0.0.1"}};
  ASSERT_TRUE(client.identify("user-1", {{"email", "a@example.com"}}));
  ASSERT_TRUE(client.track("user-1", "Article Read", {{"title", "Independence"}}, with_context));
  ASSERT_TRUE(client.page("user-1", "Docs", "Getting Started", {{"url", "https://x.test/"}}));
  ASSERT_TRUE(client.screen("user-1", "Settings", "Brightness", {{"from", "Home"}}));
  ASSERT_TRUE(client.group("user-1", "group-9", {{"plan", "pro"}}));
  ASSERT_TRUE(client.alias("anon-7", "user-1"));
  ASSERT_TRUE(client.flush(10s));

  const json events = plane_->events();
  ASSERT_EQ(events.size(), 6u);
  const char* types[] = {"identify", "track", "page", "screen", "group", "alias"};
  for (std::size_t i = 0; i < 6; ++i) {
    const json& e = events[i];
    SCOPED_TRACE(e.dump());
    EXPECT_EQ(e["type"], types[i]);
    EXPECT_EQ(e["userId"], "user-1");
    EXPECT_EQ(e["channel"], "server");
    EXPECT_EQ(e["context"]["library"]["name"], kLibraryName);
    EXPECT_EQ(e["context"]["library"]["version"], kLibraryVersion);
    EXPECT_EQ(e["integrations"], json({{"All", true}}));
    EXPECT_EQ(e["messageId"].get<std::string>().size(), 36u);
    EXPECT_EQ(e["originalTimestamp"].get<std::string>().back(), 'Z');
    EXPECT_EQ(e["sentAt"].get<std::string>().size(), 24u);
    EXPECT_FALSE(e.contains("timestamp") && !e.contains("_computedTimestamp"));
  }
  EXPECT_EQ(events[0]["traits"]["email"], "a@example.com");
  EXPECT_EQ(events[0]["context"]["traits"]["email"], "a@example.com");
  EXPECT_EQ(events[1]["event"], "Article Read");
  EXPECT_EQ(events[1]["properties"]["title"], "Independence");
  EXPECT_EQ(events[1]["context"]["ip"], "10.0.0.1");
  EXPECT_EQ(events[2]["name"], "Getting Started");
  EXPECT_EQ(events[2]["category"], "Docs");
  EXPECT_EQ(events[2]["properties"]["url"], "https://x.test/");
  EXPECT_EQ(events[3]["name"], "Brightness");
  EXPECT_EQ(events[4]["groupId"], "group-9");
  EXPECT_EQ(events[4]["traits"]["plan"], "pro");
  EXPECT_EQ(events[5]["previousId"], "anon-7");

  const json requests = plane_->requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_TRUE(requests[0]["gzip"].get<bool>());
  EXPECT_EQ(requests[0]["authUser"], LocalDataPlane::kWriteKey);
  const Stats s = client.stats();
  EXPECT_EQ(s.queued, 6u);
  EXPECT_EQ(s.delivered, 6u);
  EXPECT_EQ(s.pending, 0u);
}

TEST_F(ClientTest, GivenTimestampAndMessageIdAreKept) {
  Client client(config());
  CallOptions options;
  options.message_id = "my-id-1";
  options.anonymous_id = "anon-1";
  options.timestamp = Clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
  ASSERT_TRUE(client.track("", "Ordered", nullptr, options));
  // Before 1970 a time between two milliseconds is the earlier one, as the same instant
  // given as RFC 3339 text ("...59.9985Z") is sent.
  CallOptions before_1970 = options;
  before_1970.message_id = "my-id-2";
  before_1970.timestamp = Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::microseconds(-1500)));
  ASSERT_TRUE(client.track("", "Before 1970", nullptr, before_1970));
  ASSERT_TRUE(client.submit({{"type", "track"}, {"anonymousId", "a"}, {"event", "As text"},
                             {"timestamp", "1969-12-31T23:59:59.9985Z"}}));
  ASSERT_TRUE(client.flush(10s));
  json events = plane_->events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1]["timestamp"], "1969-12-31T23:59:59.998Z");
  EXPECT_EQ(events[2]["timestamp"], "1969-12-31T23:59:59.998Z");
  events.erase(events.begin() + 1, events.end());
  EXPECT_EQ(events[0]["messageId"], "my-id-1");
  EXPECT_EQ(events[0]["anonymousId"], "anon-1");
  EXPECT_FALSE(events[0].contains("userId"));
  EXPECT_EQ(events[0]["timestamp"], "2023-11-14T22:13:20.123Z");
}

// Keeps each request's body (sent plain: gzip off) and answers 200.
class BodyKeepingTransport final : public Transport {
 public:
  void send(HttpRequest request, Done done) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      bodies_ += request.body;
    }
    HttpResponse ok;
    ok.status = 200;
    done(ok);
  }
  std::string bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }

 private:
  std::mutex mu_;
  std::string bodies_;
};

TEST_F(ClientTest, ACallGivenAsJsonTextGoesOutWithItsNumbersAndKeysAsWritten) {
  auto transport = std::make_shared<BodyKeepingTransport>();
  Config c = config();
  c.gzip = false;
  c.transport = transport;
  Client client(c);
  const std::string properties = R"({"orderId":98765432109876543210987,"price":1.00000000000000000001,"z":1,"a":2})";
  const std::string call = R"({"type":"track","userId":"u","event":"Ordered","properties":)" + properties + "}";
  ASSERT_TRUE(client.submit_json(call));
  // As a tree the same call can only be rounded (and its keys sorted): why the text form exists.
  ASSERT_TRUE(client.submit(json::parse(call)));
  const Result broken = client.submit_json(R"({"type":"track",)");
  EXPECT_EQ(broken.status, Status::invalid);
  EXPECT_EQ(broken.field, "message");
  ASSERT_TRUE(client.flush(10s));
  const std::string sent = transport->bodies();
  EXPECT_NE(sent.find(R"("properties":)" + properties), std::string::npos) << sent;
  EXPECT_NE(sent.find(R"("properties":{"a":2,"orderId":9.876543210987654e+22,"price":1.0,"z":1})"), std::string::npos)
      << sent;
  EXPECT_EQ(client.stats().delivered, 2u);
  EXPECT_EQ(client.stats().dropped_for(DropReason::invalid), 1u);
}

TEST_F(ClientTest, ALoggerThatThrowsEndsNothingAndItsLinesGoToStderr) {
  // It used to end the process (std::terminate): on the worker thread for a delivery given
  // up on, and inside track() for a before_send that threw.
  Config c = config();
  c.write_key = "not-the-write-key";  // refused: 401, given up on and logged (no on_error)
  c.on_error = nullptr;
  std::atomic<int> calls{0};
  c.logger = [&calls](LogLevel, std::string_view) {
    ++calls;
    throw std::runtime_error("log sink is down");
  };
  c.before_send = [](json& message) {
    if (message.value("event", "") == "Boom") throw std::runtime_error("hook failed");
    return true;
  };
  ::testing::internal::CaptureStderr();
  std::string err;
  {
    Client client(c);
    EXPECT_TRUE(client.track("u1", "Boom"));
    EXPECT_TRUE(client.track("u1", "Fine"));
    const FlushResult r = client.flush(10s);
    EXPECT_EQ(r.failed, 2u);
    EXPECT_EQ(client.stats().failed, 2u);
  }
  err = ::testing::internal::GetCapturedStderr();
  EXPECT_GE(calls.load(), 2);
  EXPECT_NE(err.find("[rudder-analytics] error: before_send threw (hook failed); the event goes on without its "
                     "change (Config::logger threw: log sink is down)"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("[rudder-analytics] error: could not deliver 2 events: HTTP 401"), std::string::npos) << err;
}

TEST_F(ClientTest, BeforeSendEditsDropsAndSurvivesAThrowingHook) {
  Config c = config();
  std::vector<std::string> logged;
  std::mutex logged_mu;
  c.logger = [&](LogLevel level, std::string_view line) {
    std::lock_guard<std::mutex> lock(logged_mu);
    if (level == LogLevel::error) logged.emplace_back(line);
  };
  c.before_send = [](json& message) {
    const std::string event = message.value("event", "");
    if (event == "Secret") return false;
    if (event == "Boom") {
      message["event"] = "half-edited";
      throw std::runtime_error("hook failed");
    }
    if (event == "Bad") {
      message["properties"] = "not an object";
      return true;
    }
    message["context"]["app"] = {{"name", "shop"}};
    if (message.contains("properties")) message["properties"]["seen"] = true;
    return true;
  };
  Client client(c);
  CallOptions options;
  options.timestamp = Clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
  ASSERT_TRUE(client.track("u1", "Bought", {{"total", 9}}, options));
  const Result dropped = client.track("u1", "Secret");
  EXPECT_EQ(dropped.status, Status::dropped);
  EXPECT_EQ(dropped.error, "before_send: dropped the event");
  ASSERT_TRUE(client.track("u1", "Boom"));
  const Result bad = client.track("u1", "Bad");
  EXPECT_EQ(bad.status, Status::invalid) << "what the hook leaves is checked like the caller's input";
  EXPECT_EQ(bad.field, "properties");
  EXPECT_EQ(bad.error, "properties: must be an object, not string (in the message before_send returned)")
      << "the refusal says the hook's message was refused, not the caller's";
  ASSERT_TRUE(client.submit({{"type", "identify"}, {"userId", "u2"}}));
  ASSERT_TRUE(client.flush(10s));
  const json events = plane_->events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["properties"], json({{"total", 9}, {"seen", true}}));
  EXPECT_EQ(events[0]["context"]["app"]["name"], "shop");
  EXPECT_EQ(events[0]["context"]["library"]["name"], kLibraryName);
  EXPECT_EQ(events[0]["timestamp"], "2023-11-14T22:13:20.123Z") << "the hook saw the timestamp and kept it";
  EXPECT_EQ(events[1]["event"], "Boom") << "a throwing hook's half edit is not sent";
  EXPECT_FALSE(events[1]["context"].contains("app"));
  EXPECT_EQ(events[2]["type"], "identify");
  EXPECT_EQ(events[2]["context"]["app"]["name"], "shop");
  const Stats s = client.stats();
  EXPECT_EQ(s.dropped_for(DropReason::by_plugin), 1u);
  EXPECT_EQ(s.dropped_for(DropReason::invalid), 1u);
  std::lock_guard<std::mutex> lock(logged_mu);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0], "before_send threw (hook failed); the event goes on without its change");
}

TEST_F(ClientTest, WithoutGzipTheBodyIsPlainJson) {
  Config c = config();
  c.gzip = false;
  Client client(c);
  ASSERT_TRUE(client.track("u", "E"));
  ASSERT_TRUE(client.flush(10s));
  const json requests = plane_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(requests[0]["gzip"].get<bool>());
  EXPECT_EQ(plane_->events().size(), 1u);
}

TEST_F(ClientTest, Three503sThenSuccessDeliversEachEventOnce) {
  plane_->misbehave({{"count", 3}, {"status", 503}, {"retryAfter", "0"}});
  Client client(config());
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(client.track("u", "E", {{"i", i}}));
  ASSERT_TRUE(client.flush(20s));
  const json events = plane_->events();
  EXPECT_EQ(events.size(), 25u);
  EXPECT_EQ(message_ids(events).size(), 25u);
  EXPECT_EQ(plane_->stats()["byStatus"]["503"], 3);
  EXPECT_EQ(client.stats().retried, 3u);
  EXPECT_EQ(client.stats().delivered, 25u);
  EXPECT_TRUE(errors_.errors.empty());
}

TEST_F(ClientTest, BackOffWithoutRetryAfterStillDelivers) {
  plane_->misbehave({{"count", 2}, {"status", 500}});
  Client client(config());
  ASSERT_TRUE(client.track("u", "E"));
  ASSERT_TRUE(client.flush(20s));
  EXPECT_EQ(plane_->events().size(), 1u);
  EXPECT_EQ(client.stats().retried, 2u);
}

TEST_F(ClientTest, RetryAfterIsWaitedFor) {
  plane_->misbehave({{"count", 1}, {"status", 429}, {"retryAfter", "1"}});
  Config c = config();
  c.debug = true;  // the debug log says how long the retry waits
  LogText logged;
  c.logger = logged.handler();
  Client client(c);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.track("u", "E"));
  ASSERT_TRUE(client.flush(20s));
  const std::string log = logged.text();
  EXPECT_NE(log.find("answer: HTTP 429"), std::string::npos) << log;
  EXPECT_NE(log.find("; next attempt in 1000 ms\n"), std::string::npos) << log;
  const json requests = plane_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0]["status"], 429);
  EXPECT_EQ(requests[1]["status"], 200);
  EXPECT_GE(requests[1]["at"].get<double>() - requests[0]["at"].get<double>(), 990);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
}

TEST_F(ClientTest, CallsDoNotWaitForRetries) {
  plane_->misbehave({{"count", 1}, {"status", 503}, {"retryAfter", "2"}});
  Client client(config());
  ASSERT_TRUE(client.track("u", "first"));
  std::this_thread::sleep_for(300ms);  // the worker is now waiting out Retry-After
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(client.track("u", "during back-off"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  ASSERT_TRUE(client.flush(20s));
  EXPECT_EQ(plane_->events().size(), 101u);
}

TEST_F(ClientTest, BadRequestReachesOnErrorWithTheEvents) {
  plane_->misbehave({{"count", 1}, {"status", 400}, {"body", "invalid json\n"}});
  Client client(config());
  ASSERT_TRUE(client.track("u", "E1"));
  ASSERT_TRUE(client.track("u", "E2"));
  EXPECT_FALSE(client.flush(10s));
  std::lock_guard<std::mutex> lock(errors_.mu);
  ASSERT_EQ(errors_.errors.size(), 1u);
  EXPECT_EQ(errors_.errors[0].status, 400);
  EXPECT_EQ(errors_.errors[0].body, "invalid json\n");
  EXPECT_EQ(errors_.errors[0].attempts, 1);
  ASSERT_EQ(errors_.events.size(), 2u);
  EXPECT_EQ(errors_.events[0]["event"], "E1");
  EXPECT_EQ(client.stats().failed, 2u);
}

TEST_F(ClientTest, InvalidWriteKeyReachesOnErrorWithTheServersBody) {
  Config c = config();
  c.write_key = "not-a-key";
  Client client(c);
  ASSERT_TRUE(client.track("u", "E"));
  EXPECT_FALSE(client.flush(10s));
  std::lock_guard<std::mutex> lock(errors_.mu);
  ASSERT_EQ(errors_.errors.size(), 1u);
  EXPECT_EQ(errors_.errors[0].kind, DeliveryError::Kind::http_status);
  EXPECT_EQ(errors_.errors[0].status, 401);
  EXPECT_EQ(errors_.errors[0].body, "invalid write key\n");
  EXPECT_EQ(errors_.errors[0].message, "HTTP 401: invalid write key");
  EXPECT_EQ(errors_.events.size(), 1u);
  EXPECT_EQ(plane_->stats()["requests"], 1);  // final: not retried
}

TEST_F(ClientTest, DisabledSourceReachesOnError) {
  Config c = config();
  c.write_key = LocalDataPlane::kDisabledKey;
  Client client(c);
  ASSERT_TRUE(client.track("u", "E"));
  EXPECT_FALSE(client.flush(10s));
  std::lock_guard<std::mutex> lock(errors_.mu);
  ASSERT_EQ(errors_.errors.size(), 1u);
  EXPECT_EQ(errors_.errors[0].status, 404);
  EXPECT_EQ(errors_.errors[0].body, "source is disabled\n");
}

TEST_F(ClientTest, ServerThatIsDownIsRetriedThenReported) {
  Config c = config();
  c.data_plane_url = "http://127.0.0.1:" + std::to_string(testing::unused_port());
  c.max_retries = 2;
  Client client(c);
  ASSERT_TRUE(client.track("u", "E"));
  EXPECT_FALSE(client.flush(20s));
  std::lock_guard<std::mutex> lock(errors_.mu);
  ASSERT_EQ(errors_.errors.size(), 1u);
  EXPECT_EQ(errors_.errors[0].kind, DeliveryError::Kind::network);
  EXPECT_EQ(errors_.errors[0].status, 0);
  EXPECT_EQ(errors_.errors[0].attempts, 3);
  EXPECT_EQ(client.stats().retried, 2u);
  EXPECT_EQ(client.stats().failed, 1u);
}

TEST_F(ClientTest, DroppedConnectionIsRetried) {
  plane_->misbehave({{"count", 1}, {"drop", true}});
  Client client(config());
  ASSERT_TRUE(client.track("u", "E"));
  ASSERT_TRUE(client.flush(20s));
  EXPECT_EQ(plane_->events().size(), 1u);
  EXPECT_EQ(client.stats().retried, 1u);
}

TEST_F(ClientTest, LostResponseIsResentWithTheSameMessageIds) {
  plane_->misbehave({{"count", 1}, {"dropAfterStore", true}});
  Client client(config());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client.track("u", "E"));
  ASSERT_TRUE(client.flush(20s));
  const json events = plane_->events();
  EXPECT_EQ(events.size(), 10u);               // stored twice: the first answer was lost
  EXPECT_EQ(message_ids(events).size(), 5u);  // and deduplicable by messageId
}

TEST_F(ClientTest, TooLargeForTheServerIsSplitNotLost) {
  plane_->configure({{"maxBytes", 6000}});
  Config c = config();
  c.upload_size = 40;
  Client client(c);
  const std::string padding(300, 'x');
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(client.track("u", "E", {{"i", i}, {"pad", padding}}));
  ASSERT_TRUE(client.flush(20s));
  const json events = plane_->events();
  EXPECT_EQ(events.size(), 40u);
  EXPECT_EQ(message_ids(events).size(), 40u);
  EXPECT_GE(plane_->stats()["byStatus"]["413"].get<int>(), 1);
  for (const auto& r : plane_->requests()) {
    if (r["status"] == 200) EXPECT_LE(r["decompressedBytes"].get<int>(), 6000);
  }
}

TEST_F(ClientTest, AfterA413LaterBatchesAreCutSmallEnoughAtOnce) {
  // A data plane whose limit is far below max_batch_bytes: batches of 40 events (about 16 KB)
  // against 6,000 bytes. Without learning from the first 413, every batch would be refused
  // three times (40, 20, then 10 events) before its pieces went through: 15 for 200 events.
  plane_->configure({{"maxBytes", 6000}});
  Config c = config();
  c.upload_size = 40;
  Client client(c);
  const std::string padding(300, 'x');
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(client.track("u", "E", {{"i", i}, {"pad", padding}}));
  ASSERT_TRUE(client.flush(20s));
  EXPECT_EQ(message_ids(plane_->events()).size(), 200u);
  EXPECT_EQ(plane_->events().size(), 200u);
  // The first batch's refusals (40, 20 and 10 events) and no other: what was cut before the
  // limit was learned is split before it goes.
  EXPECT_EQ(plane_->stats()["byStatus"]["413"].get<int>(), 3);
}

TEST_F(ClientTest, BatchesNeverExceedMaxBatchBytes) {
  Config c = config();
  c.max_batch_bytes = 20'000;
  c.max_message_bytes = 16 * 1024;  // a message must fit a batch of its own
  c.upload_size = 1000;
  Client client(c);
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(client.track("u", "E", {{"pad", std::string(static_cast<std::size_t>(i % 300), 'y')}}));
  }
  ASSERT_TRUE(client.flush(20s));
  EXPECT_EQ(plane_->events().size(), 500u);
  for (const auto& r : plane_->requests()) EXPECT_LE(r["decompressedBytes"].get<int>(), 20'000);
}

TEST_F(ClientTest, EightThreadsTenThousandEventsEachArriveExactlyOnce) {
  Config c = config();
  c.max_queue_size = 100'000;
  Client client(c);
  constexpr int kThreads = 8, kPerThread = 10'000;
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!client.track("user-" + std::to_string(t), "Load", {{"t", t}, {"i", i}})) ++refused;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(refused.load(), 0);
  ASSERT_TRUE(client.flush(60s));
  const json events = plane_->events();
  EXPECT_EQ(events.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(message_ids(events).size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::set<std::pair<int, int>> seen;
  for (const auto& e : events) {
    seen.insert(std::make_pair(e["properties"]["t"].get<int>(), e["properties"]["i"].get<int>()));
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

// The next batch is encoded while the previous request is out; when that request is slow,
// the encoded body must not go out with a sentAt from before it waited, or the data plane
// would shift its events' times by the wait.
TEST_F(ClientTest, SentAtSaysWhenTheBatchLeftEvenAfterASlowRequest) {
  plane_->misbehave({{"count", 1}, {"delayMs", 1500}});
  Config c = config();
  c.upload_size = 10;
  Client client(c);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client.track("u", "E", {{"i", i}}));
  ASSERT_TRUE(client.flush(20s));
  const json events = plane_->events();
  ASSERT_EQ(events.size(), 20u);
  for (const auto& e : events) {
    const auto sent = parse_iso_ms(e["sentAt"].get<std::string>());
    const auto received = parse_iso_ms(e["receivedAt"].get<std::string>());
    // Loopback: sent and received within a moment of each other (the slow request's events
    // were sent, then held 1.5 s by the data plane before it read the time).
    EXPECT_LE(received - sent, e["properties"]["i"].get<int>() < 10 ? 2500 : 500)
        << e["properties"]["i"] << " sentAt " << e["sentAt"] << " receivedAt " << e["receivedAt"];
  }
}

TEST_F(ClientTest, DestroyingWithoutFlushDeliversEverything) {
  {
    Config c = config();
    c.upload_interval = 10s;  // nothing would go out on its own before the destructor
    Client client(c);
    for (int i = 0; i < 250; ++i) ASSERT_TRUE(client.track("u", "E", {{"i", i}}));
  }
  EXPECT_EQ(plane_->events().size(), 250u);
}

TEST_F(ClientTest, ShutdownTimeoutReportsWhatWasNotSent) {
  plane_->misbehave({{"count", 1}, {"status", 503}, {"retryAfter", "30"}});
  Config c = config();
  Client client(c);
  ASSERT_TRUE(client.track("u", "E"));
  std::this_thread::sleep_for(300ms);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(client.shutdown(500ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  {
    std::lock_guard<std::mutex> lock(errors_.mu);
    ASSERT_EQ(errors_.errors.size(), 1u);
    EXPECT_EQ(errors_.errors[0].kind, DeliveryError::Kind::unsent_at_shutdown);
    EXPECT_EQ(errors_.events.size(), 1u);
  }
  EXPECT_EQ(client.stats().dropped_for(DropReason::unsent_at_shutdown), 1u);
  const Result after = client.track("u", "late");
  EXPECT_EQ(after.status, Status::shut_down);
  EXPECT_EQ(client.stats().dropped_for(DropReason::shut_down), 1u);
}

// milliseconds::max() as a timeout or interval reads as "as long as it takes" / "never on its
// own". Added to a clock's now() it used to overflow into the past: flush() and shutdown()
// returned at once, the shutdown reporting every event lost, and the worker spun at full CPU
// on a wait that had always just ended.
TEST_F(ClientTest, TheLongestTimeoutsAndIntervalsMeanWaitingNotGivingUp) {
  std::string dir = (std::filesystem::temp_directory_path() / "rudder-longest-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  Config c = config();
  c.upload_interval = std::chrono::milliseconds::max();  // batches of fewer than 100 wait for a flush
  c.timeout = std::chrono::milliseconds::max();
  c.shutdown_timeout = std::chrono::milliseconds::max();
  c.storage_dir = dir;
  c.storage_sync_interval = std::chrono::milliseconds::max();
  {
    Client client(c);
    ASSERT_TRUE(client.track("u", "Waits"));
    const auto cpu_seconds = [] {
      timespec t{};
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
    };
    const double cpu_before = cpu_seconds();
    std::this_thread::sleep_for(500ms);
    EXPECT_LT(cpu_seconds() - cpu_before, 0.05) << "the worker spins while it waits";
    EXPECT_EQ(plane_->events().size(), 0u) << "sent before upload_interval passed";
    const FlushResult flushed = client.flush(std::chrono::milliseconds::max());
    EXPECT_TRUE(flushed.ok()) << flushed.pending << " pending, " << flushed.unsent << " unsent";
    EXPECT_EQ(flushed.delivered, 1u);
    const double cpu_after_flush = cpu_seconds();  // storage's sync, due once a century
    std::this_thread::sleep_for(500ms);
    EXPECT_LT(cpu_seconds() - cpu_after_flush, 0.05) << "the worker spins after a delivery";
    ASSERT_TRUE(client.track("u", "At shutdown"));
    const FlushResult shut = client.shutdown(std::chrono::milliseconds::max());
    EXPECT_TRUE(shut.ok()) << shut.unsent << " unsent";
    EXPECT_EQ(shut.delivered, 1u);
    ASSERT_TRUE(Client(c).track("u", "At destruction"));  // shutdown(shutdown_timeout)
  }
  EXPECT_EQ(plane_->events().size(), 3u);
  std::lock_guard<std::mutex> lock(errors_.mu);
  EXPECT_TRUE(errors_.errors.empty()) << errors_.errors.front().message;
  std::filesystem::remove_all(dir);
}

TEST_F(ClientTest, ForkedChildDeliversItsEvents) {
  Config c = config();
  c.upload_interval = 5s;  // the parent's event stays queued until the parent flushes
  Client client(c);
  ASSERT_TRUE(client.track("parent", "Before Fork"));
  // Fork while the parent's worker sleeps, as a server forking its workers usually does. In
  // the AddressSanitizer build this matters: GCC 12's ASan runtime does not take its allocator
  // locks around fork(), so a child forked while another thread is inside malloc() deadlocks
  // in its own first malloc() (seen in 40% of runs). glibc's allocator has no such problem.
  std::this_thread::sleep_for(50ms);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child: only async-signal-safe exits from here, and no gtest assertions.
    bool ok = true;
    for (int i = 0; i < 20; ++i) ok = ok && client.track("child", "In Child", {{"i", i}}).ok();
    ok = ok && client.flush(10s);
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ASSERT_TRUE(client.flush(10s));
  const json events = plane_->events();
  int from_child = 0, from_parent = 0;
  for (const auto& e : events) (e["userId"] == "child" ? from_child : from_parent)++;
  EXPECT_EQ(from_child, 20);
  EXPECT_EQ(from_parent, 1);  // the child did not send the parent's queued event again
  EXPECT_EQ(message_ids(events).size(), events.size());
}

TEST_F(ClientTest, SyncModeHasSentBeforeTheCallReturns) {
  Config c = config();
  c.sync_mode = true;
  c.upload_interval = 10s;
  Client client(c);
  ASSERT_TRUE(client.track("u", "E"));
  EXPECT_EQ(plane_->events().size(), 1u);
  ASSERT_TRUE(client.identify("u", {{"a", 1}}));
  EXPECT_EQ(plane_->events().size(), 2u);
}

TEST_F(ClientTest, EachSyncModeCallSaysWhatBecameOfItsEvent) {
  Config c = config();
  c.sync_mode = true;
  {
    Client client(c);
    const Result sent = client.track("u", "E");
    ASSERT_TRUE(sent.ok());
    ASSERT_TRUE(sent.delivery);
    EXPECT_TRUE(sent.delivery->ok());
    EXPECT_EQ(sent.delivery->delivered, 1u);
    EXPECT_EQ(sent.delivery->last_attempt, "") << "nothing failed";
  }
  plane_->misbehave({{"count", 1}, {"status", 400}, {"body", "invalid json\n"}});
  c.on_error = [](const DeliveryError&, const std::vector<json>&) {};
  Client client(c);
  const Result refused = client.track("u", "E");
  EXPECT_TRUE(refused.ok()) << "accepted: the data plane refused it later";
  ASSERT_TRUE(refused.delivery);
  EXPECT_FALSE(refused.delivery->ok());
  EXPECT_EQ(refused.delivery->failed, 1u);
  EXPECT_EQ(refused.delivery->last_attempt, "HTTP 400: invalid json");
  EXPECT_FALSE(Client(config()).track("u", "E").delivery) << "only in sync_mode";
}

TEST_F(ClientTest, SendFalseBuildsButSendsNothing) {
  Config c = config();
  c.send = false;
  Client client(c);
  const Result r = client.track("u", "E");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.message_id.size(), 36u);
  EXPECT_FALSE(client.track("", "E").ok());  // still validated
  ASSERT_TRUE(client.flush(2s));
  EXPECT_EQ(plane_->stats()["requests"], 0);
}

TEST_F(ClientTest, InvalidInputNeverReachesTheNetwork) {
  Client client(config());
  EXPECT_EQ(client.track("", "E").error, "userId: userId or anonymousId is required");
  EXPECT_EQ(client.track("u", "").error, "event: is required");
  EXPECT_EQ(client.track("u", "E", json::array({1})).error,
            "properties: must be an object, not array");
  EXPECT_EQ(client.track("u", "E", {{"p", std::nan("")}}).error,
            "properties.p: number is not finite");
  const Result bad_utf8 = client.track("u", "E", {{"s", "\xff"}});
  EXPECT_EQ(bad_utf8.error, "properties.s: string is not valid UTF-8");
  EXPECT_EQ(bad_utf8.field, "properties.s") << "the field alone, for programs";
  EXPECT_EQ(client.track("u", "E", {{"big", std::string(40'000, 'a')}}).status, Status::invalid);
  EXPECT_EQ(client.alias("", "u").error, "previousId: is required");
  EXPECT_EQ(client.group("u", "").error, "groupId: is required");
  EXPECT_EQ(client.page("u", "c", "").error, "name: is required");
  EXPECT_EQ(client.submit({{"type", "track"}, {"userId", "u"}, {"evnt", "E"}}).error,
            "evnt: is not a field of track");
  ASSERT_TRUE(client.flush(2s));
  EXPECT_EQ(plane_->stats()["requests"], 0);
  EXPECT_EQ(client.stats().dropped_for(DropReason::invalid), 10u);
  EXPECT_EQ(client.stats().queued, 0u);
}

TEST_F(ClientTest, FullQueueReportsTheDrop) {
  Config c = config();
  c.max_queue_size = 10;
  c.upload_interval = 10s;
  c.upload_size = 1000;
  Client client(c);
  int full = 0;
  for (int i = 0; i < 15; ++i) full += client.track("u", "E").status == Status::queue_full;
  EXPECT_EQ(full, 5);
  EXPECT_EQ(client.stats().dropped_for(DropReason::queue_full), 5u);
  ASSERT_TRUE(client.flush(10s));
  EXPECT_EQ(plane_->events().size(), 10u);
}

TEST_F(ClientTest, DebugLogNeverShowsTheWriteKey) {
  LogText log;
  Config c = config();
  c.debug = true;
  c.logger = log.handler();
  {
    Client client(c);
    ASSERT_TRUE(client.track("u", "E"));
    ASSERT_TRUE(client.flush(10s));
  }
  const std::string logged = log.text();
  EXPECT_NE(logged.find("sending 1 event,"), std::string::npos) << logged;
  EXPECT_EQ(logged.find(LocalDataPlane::kWriteKey), std::string::npos) << logged;
}

TEST_F(ClientTest, FreeFunctionsUseTheDefaultClient) {
  EXPECT_EQ(track("u", "E").status, Status::not_initialized);
  EXPECT_EQ(init(Config{}), "write_key: is required");
  ASSERT_EQ(init(config()), "");
  // What the constructor would throw is returned too, and the working client stays.
  Config unusable = config();
  unusable.storage_dir = "/proc/version/events";
  EXPECT_EQ(init(unusable).rfind("storage_dir: cannot use \"/proc/version/events\" as a directory", 0), 0u)
      << init(unusable);
  unusable = config();
  unusable.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(init(unusable).rfind("ca_file: cannot read /nonexistent/ca.pem", 0), 0u) << init(unusable);
  ASSERT_TRUE(track("u", "E"));
  ASSERT_TRUE(identify("u", {{"x", 1}}));
  ASSERT_TRUE(flush(10s));
  EXPECT_EQ(stats().delivered, 2u);
  ASSERT_TRUE(shutdown(10s));
  EXPECT_EQ(plane_->events().size(), 2u);
  EXPECT_EQ(track("u", "E").status, Status::not_initialized);
}

TEST(ClientConfig, InvalidConfigIsRefusedByName) {
  Config c;
  c.write_key = "k";
  c.data_plane_url = "ftp://x";
  EXPECT_THROW(Client{c}, std::invalid_argument);
  EXPECT_EQ(c.validate().rfind("data_plane_url:", 0), 0u);
  c.data_plane_url = "http://127.0.0.1:1";
  c.max_message_bytes = 600'000;
  EXPECT_EQ(c.validate().rfind("max_message_bytes:", 0), 0u);
  c.max_message_bytes = 1000;
  c.upload_size = 0;
  EXPECT_EQ(c.validate(), "upload_size: must be at least 1");
}

}  // namespace
}  // namespace rudder
