// rudder-analytics tests: the delivery driver both targets run, with a fake clock, a scripted
// transport and a fake compressor, each either answering at once (as a blocking transport or
// libdeflate does) or later (as fetch and the browser's gzip do). Built natively and as wasm.
// Copyright the rudder-analytics authors. MIT licence.
#include "core/driver.hpp"
#include "core/stats_json.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "counting_memory.hpp"
#include "memory_store.hpp"
#include "rudder/analytics.hpp"

namespace {

using json = nlohmann::json;
using rudder::Config;
using rudder::DeliveryError;
using rudder::DropReason;
using rudder::FlushResult;
using rudder::HttpRequest;
using rudder::HttpResponse;
using rudder::LogLevel;
using rudder::Stats;
using rudder::Status;
using rudder::Transport;
using rudder::core::CallOutcome;
using rudder::core::Compressor;
using rudder::core::Driver;
using rudder::core::DriverHost;
using rudder::core::Failure;
using rudder::core::FieldError;
using rudder::core::kNoWake;
using rudder::core::MessageFields;
using rudder::core::MessageType;
using rudder::core::Naming;
using rudder::core::Rng;

constexpr std::int64_t kUnixBase = 1'706'702'400'000;  // 2024-01-31T12:00:00.000Z

// The platform: a clock the test moves, a lock that checks it is never taken twice or held
// while user code (reports, settlements) runs.
struct FakeHost : DriverHost {
  std::int64_t now = 0;
  bool locked = false;
  int wakes = 0;
  std::int64_t wake_time = kNoWake;
  std::vector<std::pair<LogLevel, std::string>> logs;
  std::vector<Failure> reports;
  bool has_handler = true;  // what report() answers: a user's on_error took the failure
  std::vector<std::uint64_t> settled_tickets;

  std::int64_t monotonic_ms() override { return now; }
  std::int64_t unix_ms() override { return kUnixBase + now; }
  // A coarser clock for the calls, as the native platform's: `now - queued_lag` when set.
  std::int64_t queued_lag = 0;
  std::int64_t queued_at_ms() override { return now - queued_lag; }
  void lock() override {
    EXPECT_FALSE(locked) << "the driver took its lock twice";
    locked = true;
  }
  void unlock() override { locked = false; }
  void wake() override {
    EXPECT_FALSE(locked);
    ++wakes;
  }
  void wake_at(std::int64_t when) override { wake_time = when; }
  void log(LogLevel level, std::string_view message) override {
    logs.emplace_back(level, std::string(message));
  }
  bool report(const Failure& failure) override {
    EXPECT_FALSE(locked) << "user code must run without the lock";
    reports.push_back(failure);
    return has_handler;
  }
  void settled(std::uint64_t ticket) override {
    EXPECT_FALSE(locked);
    settled_tickets.push_back(ticket);
  }
  void identity_changed(std::string_view json) override {
    EXPECT_FALSE(locked);
    identities.emplace_back(json);
  }
  std::vector<std::string> identities;  // what identity_changed() was told, in order

  bool logged(const std::string& part) const {
    for (const auto& [level, text] : logs) {
      if (text.find(part) != std::string::npos) return true;
    }
    return false;
  }
};

// "gzip" that the tests can read back: the plain text behind a marker.
constexpr std::string_view kGzipMarker = "gz:";

struct FakeCompressor : Compressor {
  bool answer_at_once = true;
  bool fail = false;
  int calls = 0;
  std::deque<std::pair<std::string, Done>> waiting;

  void compress(std::string_view plain, Done done) override {
    ++calls;
    if (answer_at_once) return finish(std::string(plain), std::move(done));
    waiting.emplace_back(std::string(plain), std::move(done));
  }
  void finish(std::string plain, Done done) {
    if (fail) return done(std::nullopt);
    done(std::string(kGzipMarker) + plain);
  }
  void finish_all() {
    while (!waiting.empty()) {
      auto [plain, done] = std::move(waiting.front());
      waiting.pop_front();
      finish(std::move(plain), std::move(done));
    }
  }
};

// One request as the data plane would have received it.
struct Sent {
  HttpRequest request;
  json body;  // the parsed JSON, gzip marker removed
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const auto& e : body.at("batch")) out.push_back(e.at("messageId").get<std::string>());
    return out;
  }
};

struct ScriptedTransport : Transport {
  bool answer_at_once = false;
  std::deque<HttpResponse> script;  // answers given at once, in order
  std::vector<Sent> sent;
  std::deque<Done> waiting;  // requests out, oldest first

  void send(HttpRequest request, Done done) override {
    std::string text = request.body;
    if (request.gzipped) {
      EXPECT_EQ(text.rfind(kGzipMarker, 0), 0u);
      text.erase(0, kGzipMarker.size());
    }
    sent.push_back({request, json::parse(text)});
    if (answer_at_once) {
      HttpResponse answer = script.empty() ? status(200) : script.front();
      if (!script.empty()) script.pop_front();
      return done(answer);
    }
    waiting.push_back(std::move(done));
  }
  // Answers the oldest request out.
  void answer(HttpResponse response) {
    ASSERT_FALSE(waiting.empty()) << "no request out";
    Done done = std::move(waiting.front());
    waiting.pop_front();
    done(std::move(response));
  }
  static HttpResponse status(int code, std::string body = "") {
    HttpResponse r;
    r.status = code;
    r.body = std::move(body);
    return r;
  }
  static HttpResponse timed_out() {
    HttpResponse r;
    r.network_error = "no answer within 15000 ms";
    return r;  // not_sent stays false: it may have arrived
  }
};

Config config_with(std::size_t upload_size = 2) {
  Config c;
  c.write_key = "key-1";
  c.data_plane_url = "https://dp.example.com";
  c.upload_size = upload_size;
  c.max_retries = 3;
  return c;
}

// A driver wired to its fakes.
enum class Storage { off, on };
enum class User { per_call, remembered };  // remembered: a browser client's (Identity)
enum class Requests { end_with_page, outlive_page };  // outlive_page: a browser's fetch keepalive

rudder::core::DriverSettings settings_for(const Config& c, Naming naming, User user,
                                          Requests requests = Requests::end_with_page) {
  rudder::core::DriverSettings settings = rudder::core::driver_settings(c, naming, "test-lib");
  settings.remember_identity = user == User::remembered;
  settings.requests_outlive_page = requests == Requests::outlive_page;
  return settings;
}

struct Rig {
  explicit Rig(const Config& c = config_with(), Naming naming = Naming::cpp,
               Storage storage = Storage::off, User user = User::per_call,
               Requests requests = Requests::end_with_page)
      : driver(settings_for(c, naming, user, requests), host, transport, &gzip, 7,
               storage == Storage::on ? &store : nullptr) {}

  CallOutcome track(const std::string& id) {
    MessageFields f;
    f.type = MessageType::track;
    f.user_id = "u";
    f.event = "E";
    f.message_id = id;
    CallOutcome outcome = driver.call(f, rng);
    driver.pump();  // as a platform does when woken
    return outcome;
  }
  void track_all(int first, int count) {
    for (int i = first; i < first + count; ++i) {
      ASSERT_EQ(track("m" + std::to_string(i)).status, Status::accepted);
    }
  }
  // Event "m<i>" whose properties carry `filler`, queued without a pump (a burst of calls).
  CallOutcome call_with_filler(int i, const std::string& filler) {
    MessageFields f;
    f.type = MessageType::track;
    f.user_id = "u";
    f.event = "E";
    const std::string id = "m" + std::to_string(i);
    f.message_id = id;
    const json properties = {{"filler", filler}};
    f.properties = &properties;
    return driver.call(f, rng);
  }

  FakeHost host;
  ScriptedTransport transport;
  FakeCompressor gzip;
  rudder::testing::MemoryStore store;
  Rng rng{3};
  Driver driver;
};

std::vector<std::string> ids(int first, int count) {
  std::vector<std::string> out;
  for (int i = first; i < first + count; ++i) out.push_back("m" + std::to_string(i));
  return out;
}

// ---- the call path ---------------------------------------------------------------------------

TEST(Driver, AFullBatchIsSentGzippedWithTheClientsEndpointAndCredentials) {
  Config c = config_with(2);
  c.timeout = std::chrono::milliseconds(1234);
  Rig rig(c);
  rig.track_all(0, 2);
  ASSERT_EQ(rig.transport.sent.size(), 1u);
  const HttpRequest& r = rig.transport.sent[0].request;
  EXPECT_EQ(r.url, "https://dp.example.com/v1/batch");
  EXPECT_EQ(r.authorization, "Basic a2V5LTE6");  // base64("key-1:")
  EXPECT_EQ(r.user_agent, "test-lib/" + std::string(rudder::kLibraryVersion));
  EXPECT_TRUE(r.gzipped);
  EXPECT_EQ(r.timeout.count(), 1234);
  EXPECT_EQ(r.max_answer_bytes, rudder::core::kMaxAnswerBytes);
  EXPECT_EQ(rig.transport.sent[0].ids(), ids(0, 2));
}

TEST(Driver, UploadIntervalCountsFromWhenTheCallQueuedItsEventByTheCallsClock) {
  // The call's clock (DriverHost::queued_at_ms) may lag the driver's by a few ms; the event's
  // age is counted from it, so the batch leaves that much earlier, never later.
  Config c = config_with(10);
  c.upload_interval = std::chrono::milliseconds(1000);
  Rig rig(c);
  rig.host.now = 5'000;
  rig.host.queued_lag = 3;
  rig.track_all(0, 1);
  EXPECT_EQ(rig.host.wake_time, 5'997);
  rig.host.now = 5'996;
  rig.driver.pump();
  EXPECT_TRUE(rig.transport.sent.empty());
  rig.host.now = 5'997;
  rig.driver.pump();
  ASSERT_EQ(rig.transport.sent.size(), 1u);
  EXPECT_EQ(rig.transport.sent[0].ids(), ids(0, 1));
}

TEST(Driver, WithoutGzipOrWhenCompressionFailsTheBodyGoesPlain) {
  Config c = config_with(1);
  c.gzip = false;
  Rig plain(c);
  plain.track_all(0, 1);
  ASSERT_EQ(plain.transport.sent.size(), 1u);
  EXPECT_FALSE(plain.transport.sent[0].request.gzipped);
  EXPECT_EQ(plain.gzip.calls, 0);

  Rig failing(config_with(1));
  failing.gzip.fail = true;
  failing.track_all(0, 1);
  ASSERT_EQ(failing.transport.sent.size(), 1u);
  EXPECT_FALSE(failing.transport.sent[0].request.gzipped);
  EXPECT_EQ(failing.transport.sent[0].ids(), ids(0, 1));
}

TEST(Driver, InvalidCallsAreRefusedByFieldCountedAndNeverSent) {
  Rig rig;
  MessageFields f;
  f.type = MessageType::track;
  f.user_id = "u";
  const CallOutcome missing = rig.driver.call(f, rig.rng);
  EXPECT_EQ(missing.status, Status::invalid);
  EXPECT_EQ(missing.text, "event: is required");
  const CallOutcome bad_text =
      rig.driver.call_text(MessageType::track, R"({"userId":"u"})", rig.rng);
  EXPECT_EQ(bad_text.status, Status::invalid);
  EXPECT_EQ(bad_text.text, "event: is required");
  const CallOutcome bad_tree =
      rig.driver.call_json(json{{"type", "track"}, {"userId", "u"}}, rig.rng);
  EXPECT_EQ(bad_tree.text, "event: is required");
  rig.driver.count_refused(DropReason::invalid);
  rig.driver.pump();
  EXPECT_EQ(rig.driver.stats().dropped_for(DropReason::invalid), 4u);
  EXPECT_EQ(rig.driver.stats().queued, 0u);
  EXPECT_TRUE(rig.transport.sent.empty());
}

TEST(Driver, AMessageGivenAsTextWithItsTypeIsQueuedOrRefusedAndCounted) {
  Rig rig;
  EXPECT_EQ(rig.driver.submit_text(R"({"type":"track","userId":"u","event":"E","messageId":"m-1"})", rig.rng).text,
            "m-1");
  const CallOutcome refused = rig.driver.submit_text(R"({"type":"screen","userId":"u"})", rig.rng);
  EXPECT_EQ(refused.status, Status::invalid);
  EXPECT_EQ(refused.text, "name: is required");
  EXPECT_EQ(refused.field, "name");
  EXPECT_EQ(rig.driver.submit_text(R"({"userId":"u"})", rig.rng).text,
            "type: is required (identify, track, page, screen, group, alias)");
  EXPECT_EQ(rig.driver.stats().queued, 1u);
  EXPECT_EQ(rig.driver.stats().dropped_for(DropReason::invalid), 2u);
}

TEST(Driver, ACallTextLargerThanAnyRequestTheDataPlaneTakesIsRefusedUnread) {
  Rig rig;
  // Valid JSON but for its size: read, it would cost memory its size again (and in wasm, the
  // module's memory for good), for an event no request could carry.
  std::string text = R"({"userId":"u","event":"E","properties":{"big":")";
  text.append(rudder::core::kMaxCallTextBytes, 'x').append("\"}}");
  const std::string expected = "message: is at least " + std::to_string(text.size()) +
                               " bytes of JSON, more than the data plane takes in a whole request (4096000)";
  const CallOutcome called = rig.driver.call_text(MessageType::track, text, rig.rng);
  EXPECT_EQ(called.status, Status::invalid);
  EXPECT_EQ(called.kind, FieldError::Kind::out_of_range);
  EXPECT_EQ(called.field, "message");
  EXPECT_EQ(called.text, expected);
  text.insert(1, R"("type":"track",)");
  EXPECT_EQ(rig.driver.submit_text(text, rig.rng).field, "message");
  // What the JavaScript glue asks instead of copying such a text in.
  EXPECT_EQ(rig.driver.refuse_oversized_text(MessageType::track, 500'000'000).text,
            "message: is at least 500000000 bytes of JSON, more than the data plane takes in a whole request (4096000)");
  EXPECT_EQ(rig.driver.stats().dropped_for(DropReason::invalid), 3u);
  EXPECT_EQ(rig.driver.stats().queued, 0u);
}

TEST(Driver, ARefusalNamesItsFieldAndWhatIsWrongWithIt) {
  Rig rig;
  const CallOutcome r = rig.driver.call_text(
      MessageType::track, R"({"userId":"u","event":"E","timestamp":1e300})", rig.rng);
  EXPECT_EQ(r.status, Status::invalid);
  EXPECT_EQ(r.kind, FieldError::Kind::out_of_range) << r.text;
  EXPECT_EQ(r.field, "timestamp");
  const CallOutcome t =
      rig.driver.call_text(MessageType::track, R"({"userId":"u","event":7})", rig.rng);
  EXPECT_EQ(t.kind, FieldError::Kind::wrong_type) << t.text;
  EXPECT_EQ(t.field, "event");
  const CallOutcome m = rig.driver.call_text(MessageType::track, R"({"event":"E"})", rig.rng);
  EXPECT_EQ(m.kind, FieldError::Kind::missing) << m.text;
  EXPECT_EQ(m.field, "userId");
  const CallOutcome p = rig.driver.call_text(
      MessageType::track, "{\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"a\":[1,{\"b\":\"\xff\"}]}}", rig.rng);
  EXPECT_EQ(p.kind, FieldError::Kind::invalid_value) << p.text;
  EXPECT_EQ(p.field, "properties.a[1].b") << p.text;
}

TEST(Driver, AnIntegerIdPastExactDoublesIsRefusedFromJavaScriptAndKeptExactNatively) {
  // From JavaScript, 12345678901234567890 reached the core as JSON.stringify's nearest
  // double, 12345678901234567000: another id than the caller's, sent without a word.
  const std::string big = R"({"userId":12345678901234567000,"event":"E"})";
  Rig js(config_with(1), Naming::js);
  const CallOutcome refused = js.driver.call_text(MessageType::track, big, js.rng);
  EXPECT_EQ(refused.status, Status::invalid);
  EXPECT_EQ(refused.kind, FieldError::Kind::out_of_range);
  EXPECT_EQ(refused.field, "userId");
  EXPECT_EQ(refused.text, "userId: is past Number.MAX_SAFE_INTEGER, so JavaScript may have rounded it to another "
                          "id: pass it as a string");
  EXPECT_EQ(js.driver.call_text(MessageType::group, R"({"userId":"u","groupId":-9007199254740992})", js.rng).field,
            "groupId");
  EXPECT_EQ(js.driver.stats().dropped_for(DropReason::invalid), 2u);
  // The largest exact ones pass.
  EXPECT_EQ(js.driver.call_text(MessageType::track, R"({"userId":9007199254740991,"event":"E"})", js.rng).status,
            Status::accepted);
  EXPECT_EQ(js.driver.call_text(MessageType::alias, R"({"userId":"u","previousId":-9007199254740991})", js.rng).status,
            Status::accepted);
  // Natively the text is the caller's own: sent exactly as given.
  Rig cpp(config_with(1));
  cpp.transport.answer_at_once = true;
  ASSERT_EQ(cpp.driver.call_text(MessageType::track, R"({"userId":12345678901234567890,"event":"E"})", cpp.rng).status,
            Status::accepted);
  cpp.driver.pump();
  ASSERT_EQ(cpp.transport.sent.size(), 1u);
  EXPECT_EQ(cpp.transport.sent[0].body.at("batch")[0].at("userId"), "12345678901234567890");
}

TEST(Driver, AfterCloseCallsAreRefusedCountedAndSaidOnceNamingTheCallAsTheCallerDoes) {
  Rig rig;
  rig.driver.close();
  const CallOutcome r = rig.track("late");
  EXPECT_EQ(r.status, Status::shut_down);
  EXPECT_EQ(r.text, "client: is shut down (shutdown() was called)");
  EXPECT_EQ(rig.driver.call_text(MessageType::track, "not json", rig.rng).status,
            Status::shut_down);
  EXPECT_EQ(rig.driver.stats().dropped_for(DropReason::shut_down), 2u);
  // A server closing before its last requests end loses their events: said, once.
  ASSERT_EQ(rig.host.logs.size(), 1u);
  EXPECT_EQ(rig.host.logs[0].first, LogLevel::warning);
  EXPECT_EQ(rig.host.logs[0].second,
            "a call came after shutdown() and was dropped; so are any later ones, counted in "
            "stats().dropped_for(DropReason::shut_down) (shut down once nothing calls it any more)");
  Rig js(config_with(), Naming::js);
  js.driver.close();
  EXPECT_EQ(js.track("late").text, "client: is closed (close() was called)");
  EXPECT_TRUE(js.host.logged("a call came after close() and was dropped; so are any later ones, counted in "
                             "stats().dropped.shut_down (close the client once nothing calls it any more)"));
}

TEST(Driver, AFullQueueRefusesAndWarnsOncePerRunNamingTheSettingAsTheCallerDoes) {
  Config c = config_with(100);
  c.max_queue_size = 2;
  for (const Naming naming : {Naming::cpp, Naming::js}) {
    Rig rig(c, naming);
    rig.track_all(0, 2);
    const CallOutcome full = rig.track("m2");
    const std::string name = naming == Naming::cpp ? "max_queue_size" : "maxQueueSize";
    EXPECT_EQ(full.status, Status::queue_full);
    EXPECT_EQ(full.text, "queue: is full (" + name + " 2)");
    rig.track("m3");
    int warnings = 0;
    for (const auto& [level, text] : rig.host.logs) warnings += level == LogLevel::warning;
    EXPECT_EQ(warnings, 1) << "one warning per run of refusals";
    EXPECT_TRUE(rig.host.logged("queue is full (" + name + " 2); dropping events"));
    EXPECT_EQ(rig.driver.stats().dropped_for(DropReason::queue_full), 2u);
  }
}

TEST(Driver, AQueueThatStaysFullWarnsAtMostEveryTenSecondsWithTheCountDropped) {
  Config c = config_with(100);
  c.max_queue_size = 1;
  c.upload_interval = std::chrono::hours(1);  // nothing leaves the queue meanwhile
  Rig rig(c, Naming::cpp);
  rig.track("kept");
  const auto warnings = [&] {
    std::vector<std::string> lines;
    for (const auto& [level, text] : rig.host.logs) {
      if (level == LogLevel::warning) lines.push_back(text);
    }
    return lines;
  };
  for (int i = 0; i < 5; ++i) rig.track("over" + std::to_string(i));
  EXPECT_EQ(warnings().size(), 1u);
  rig.host.now += 9'999;
  rig.track("over5");
  EXPECT_EQ(warnings().size(), 1u) << "not again within ten seconds";
  rig.host.now += 1;
  rig.track("over6");
  ASSERT_EQ(warnings().size(), 2u);
  EXPECT_EQ(warnings()[1], "queue is full (max_queue_size 1); 6 events dropped since the last warning");
}

TEST(Driver, AQueueFullByBytesNamesThatSettingAsTheCallerDoes) {
  Config c = config_with(100);
  c.max_queue_bytes = 1024;
  for (const Naming naming : {Naming::cpp, Naming::js}) {
    Rig rig(c, naming);
    CallOutcome r;
    int accepted = 0;
    while ((r = rig.track("m" + std::to_string(accepted))).status == Status::accepted) ++accepted;
    EXPECT_GT(accepted, 1);
    const std::string name = naming == Naming::cpp ? "max_queue_bytes" : "maxQueueBytes";
    EXPECT_EQ(r.status, Status::queue_full);
    EXPECT_EQ(r.text, "queue: is full (" + name + " 1024)");
  }
}

TEST(Driver, AMaxBatchBytesAboveTheGatewaysLimitIsWarnedOnBothTargets) {
  Config c = config_with();
  c.max_batch_bytes = 10'000'000;
  Rig cpp(c, Naming::cpp);
  EXPECT_TRUE(cpp.host.logged("max_batch_bytes is above the data plane's limit; using 4096000"));
  Rig js(c, Naming::js);
  EXPECT_TRUE(js.host.logged("maxBatchBytes is above the data plane's limit; using 4096000"));
}

TEST(Driver, NoBodyGoesOverTheGatewaysLimitWhateverMaxBatchBytesSays) {
  // The warning above is not all: the limit is what the batches are cut to. A body over it
  // would meet a 413 and be split and sent again.
  Config c = config_with(100'000);
  c.max_batch_bytes = 10'000'000;
  Rig rig(c);
  rig.transport.answer_at_once = true;
  rig.track_all(0, 30'000);
  const std::uint64_t ticket = rig.driver.begin_flush();
  rig.driver.pump();
  ASSERT_TRUE(rig.driver.flush_settled(ticket));
  EXPECT_TRUE(rig.driver.end_flush(ticket).ok());
  std::size_t largest = 0;
  std::size_t events = 0;
  for (const Sent& s : rig.transport.sent) {
    largest = std::max(largest, s.request.body.size() - (s.request.gzipped ? kGzipMarker.size() : 0));
    events += s.ids().size();
  }
  EXPECT_EQ(events, 30'000u);
  EXPECT_LE(largest, 4'096'000u);
  EXPECT_GT(largest, 3'000'000u) << "the batches were cut by bytes, near the limit";
}

TEST(Driver, SendFalseBuildsButQueuesNothing) {
  Config c = config_with(1);
  c.send = false;
  Rig rig(c);
  EXPECT_EQ(rig.track("m0").status, Status::accepted);
  EXPECT_TRUE(rig.transport.sent.empty());
  EXPECT_EQ(rig.driver.stats().queued, 0u);
}

// ---- pipelining ------------------------------------------------------------------------------

TEST(Driver, TheNextBodyIsBuiltAndCompressedWhileARequestIsOut) {
  Rig rig(config_with(2));
  rig.track_all(0, 2);  // batch 1 goes out
  ASSERT_EQ(rig.transport.waiting.size(), 1u);
  rig.track_all(2, 2);  // batch 2 becomes full while batch 1 is out: built ahead
  EXPECT_EQ(rig.gzip.calls, 2);
  rig.transport.answer(ScriptedTransport::status(200));
  EXPECT_EQ(rig.gzip.calls, 2) << "batch 2's prepared body was sent as it was";
  rig.track_all(4, 2);
  EXPECT_EQ(rig.gzip.calls, 3);
  rig.transport.answer(ScriptedTransport::status(200));
  EXPECT_EQ(rig.gzip.calls, 3) << "and batch 3's";
  rig.transport.answer(ScriptedTransport::status(200));
  ASSERT_EQ(rig.transport.sent.size(), 3u);
  for (int b = 0; b < 3; ++b) EXPECT_EQ(rig.transport.sent[b].ids(), ids(2 * b, 2));
  EXPECT_EQ(rig.driver.stats().delivered, 6u);
}

TEST(Driver, ABodyPreparedAheadIsNeverSentForTheHalvesOfASplitBatch) {
  Rig rig(config_with(4));
  rig.track_all(0, 4);                                   // A = m0-m3 out
  rig.track_all(4, 4);                                   // B = m4-m7 full meanwhile
  rig.transport.answer(ScriptedTransport::status(200));  // A done; B out
  rig.track_all(8, 4);                                   // C = m8-m11, prepared while B is out
  rig.transport.answer(ScriptedTransport::status(413));  // B split: m4-m5, m6-m7
  while (!rig.transport.waiting.empty()) rig.transport.answer(ScriptedTransport::status(200));
  ASSERT_GE(rig.transport.sent.size(), 5u);
  EXPECT_EQ(rig.transport.sent[2].ids(), ids(4, 2)) << "the first half, not the prepared batch";
  EXPECT_EQ(rig.transport.sent[3].ids(), ids(6, 2));
  // C was cut (and its body built) before the 413: it is split before it goes, as B was.
  std::vector<std::string> rest;
  for (std::size_t r = 4; r < rig.transport.sent.size(); ++r) {
    const auto sent = rig.transport.sent[r].ids();
    EXPECT_LE(sent.size(), 2u) << "no larger than B's halves";
    rest.insert(rest.end(), sent.begin(), sent.end());
  }
  EXPECT_EQ(rest, ids(8, 4));
  EXPECT_EQ(rig.driver.stats().delivered, 12u);
}

TEST(Driver, AFlushThatLeavesEventsSaysWhatTheLastAttemptGot) {
  Rig rig(config_with(2));
  rig.track_all(0, 2);
  rig.transport.answer(ScriptedTransport::status(503));  // retried later
  const std::uint64_t cut_short = rig.driver.begin_flush();
  const FlushResult pending = rig.driver.end_flush(cut_short);  // its timeout passed
  EXPECT_EQ(pending.pending, 2u);
  EXPECT_EQ(pending.last_attempt, "HTTP 503");
  EXPECT_NE(rudder::core::flush_result_json(pending).find("\"lastAttempt\":\"HTTP 503\""), std::string::npos);

  rig.host.now = 60'000;
  const std::uint64_t ticket = rig.driver.begin_flush();
  rig.driver.pump();
  rig.transport.answer(ScriptedTransport::status(200));
  const FlushResult delivered = rig.driver.end_flush(ticket);
  EXPECT_TRUE(delivered.ok());
  EXPECT_EQ(delivered.last_attempt, "") << "said only when something is left";
}

TEST(Driver, A413SaysTheBatchesAreNowSmallerAndTheyAre) {
  Rig rig(config_with(4));
  rig.track_all(0, 4);
  rig.transport.answer(ScriptedTransport::status(413));
  ASSERT_TRUE(rig.host.logged("the data plane refused a batch as too large (HTTP 413): it is sent "
                              "in halves, and batches are now at most "));
  EXPECT_TRUE(rig.host.logged(" bytes (max_batch_bytes is 500000)"));
  rig.transport.answer(ScriptedTransport::status(200));
  rig.transport.answer(ScriptedTransport::status(200));
  rig.track_all(4, 4);  // 4 events no longer fit half of the body refused: 2 batches of 2
  rig.transport.answer(ScriptedTransport::status(200));
  rig.transport.answer(ScriptedTransport::status(200));
  ASSERT_EQ(rig.transport.sent.size(), 5u);
  EXPECT_EQ(rig.transport.sent[3].ids(), ids(4, 2));
  EXPECT_EQ(rig.transport.sent[4].ids(), ids(6, 2));
  EXPECT_EQ(rig.driver.stats().delivered, 8u);
}

TEST(Driver, ABodyPreparedMoreThanASecondAgoIsBuiltAgainSoSentAtIsTrue) {
  Rig rig(config_with(2));
  rig.track_all(0, 2);
  rig.transport.answer(ScriptedTransport::status(200));
  rig.track_all(2, 2);  // out at t=0
  rig.track_all(4, 2);  // prepared at t=0
  rig.host.now = 1500;  // a slow answer
  rig.transport.answer(ScriptedTransport::status(200));
  ASSERT_EQ(rig.transport.sent.size(), 3u);
  const std::string sent_at = rig.transport.sent[2].body.at("sentAt");
  EXPECT_EQ(sent_at, "2024-01-31T12:00:01.500Z");
}

TEST(Driver, ARetryCarriesTheSameMessageIdsWithANewSentAt) {
  Rig rig(config_with(2));
  rig.track_all(0, 2);
  HttpResponse busy = ScriptedTransport::status(503);
  busy.retry_after = "2";
  rig.transport.answer(busy);
  EXPECT_EQ(rig.host.wake_time, 2000) << "wakes when Retry-After ends";
  rig.host.now = 2000;
  rig.driver.pump();
  rig.transport.answer(ScriptedTransport::status(200));
  ASSERT_EQ(rig.transport.sent.size(), 2u);
  EXPECT_EQ(rig.transport.sent[1].ids(), rig.transport.sent[0].ids());
  EXPECT_EQ(rig.transport.sent[1].body.at("sentAt"), "2024-01-31T12:00:02.000Z");
  EXPECT_EQ(rig.driver.stats().retried, 1u);
}

TEST(Driver, TheNetworkBackSendsABatchThatGotNoAnswerAtOnceButKeepsADataPlanesRetryAfter) {
  // A browser's `online` event: the batch waited out its back-off (up to 30 s) although the
  // network it lacked was back.
  Rig rig(config_with(2));
  rig.track_all(0, 2);
  rig.transport.answer(ScriptedTransport::timed_out());  // no answer: offline
  ASSERT_GT(rig.host.wake_time, 0) << "a back-off waits";
  rig.driver.network_back();
  ASSERT_EQ(rig.transport.sent.size(), 2u) << "sent at once, the clock not moved";
  EXPECT_EQ(rig.transport.sent[1].ids(), ids(0, 2));
  rig.driver.network_back();  // with the request out: nothing more
  EXPECT_EQ(rig.transport.sent.size(), 2u);
  HttpResponse busy = ScriptedTransport::status(429);
  busy.retry_after = "60";
  rig.transport.answer(busy);
  rig.driver.network_back();
  EXPECT_EQ(rig.transport.sent.size(), 2u) << "the data plane asked for 60 s: the network is no reason to ask sooner";
  rig.host.now = 60'000;
  rig.driver.pump();
  EXPECT_EQ(rig.transport.sent.size(), 3u);
}

TEST(Driver, AsynchronousCompressionAndAnswersDeliverTheSame) {
  Rig rig(config_with(2));
  rig.gzip.answer_at_once = false;
  rig.track_all(0, 4);
  EXPECT_TRUE(rig.transport.sent.empty()) << "waits for its compression";
  rig.gzip.finish_all();
  ASSERT_EQ(rig.transport.sent.size(), 1u);
  rig.gzip.finish_all();  // the batch prepared while the first is out
  rig.transport.answer(ScriptedTransport::status(200));
  rig.gzip.finish_all();
  rig.transport.answer(ScriptedTransport::status(200));
  ASSERT_EQ(rig.transport.sent.size(), 2u);
  EXPECT_EQ(rig.transport.sent[1].ids(), ids(2, 2));
  EXPECT_EQ(rig.driver.stats().delivered, 4u);
}

TEST(Driver, ABodyPreparedAheadStillCompressingWhenTheRequestBeforeItEndsGoesOnceCompressed) {
  // A compressor slower than the round trip (native: its own thread; Node: zlib's pool).
  Rig rig(config_with(2));
  rig.gzip.answer_at_once = false;
  rig.track_all(0, 2);
  rig.gzip.finish_all();
  ASSERT_EQ(rig.transport.sent.size(), 1u);
  rig.track_all(2, 2);  // batch 2 is built ahead; its compression is still running
  EXPECT_EQ(rig.gzip.calls, 2);
  rig.transport.answer(ScriptedTransport::status(200));
  EXPECT_EQ(rig.gzip.calls, 2) << "batch 2 waits for the compression it has, not a second one";
  EXPECT_EQ(rig.transport.sent.size(), 1u);
  rig.gzip.finish_all();
  ASSERT_EQ(rig.transport.sent.size(), 2u);
  EXPECT_EQ(rig.transport.sent[1].ids(), ids(2, 2));
  rig.transport.answer(ScriptedTransport::status(200));
  EXPECT_EQ(rig.driver.stats().delivered, 4u);
}

TEST(Driver, TwoBodiesAreBuiltAheadSoACompressorBesideTheDriverNeverWaitsForTheNextBuild) {
  Rig rig(config_with(2));
  rig.gzip.answer_at_once = false;
  rig.track_all(0, 2);
  rig.gzip.finish_all();
  ASSERT_EQ(rig.transport.sent.size(), 1u);
  rig.track_all(2, 6);  // three more batches while the first is out
  EXPECT_EQ(rig.gzip.calls, 3) << "batches 2 and 3 built and handed to the compressor, not 4";
  rig.gzip.finish_all();
  for (int b = 1; b < 4; ++b) {
    rig.transport.answer(ScriptedTransport::status(200));
    rig.gzip.finish_all();
    ASSERT_EQ(rig.transport.sent.size(), static_cast<std::size_t>(b + 1));
    EXPECT_EQ(rig.transport.sent[b].ids(), ids(2 * b, 2));
  }
  EXPECT_EQ(rig.gzip.calls, 4) << "every body compressed once";
  rig.transport.answer(ScriptedTransport::status(200));
  EXPECT_EQ(rig.driver.stats().delivered, 8u);
}

TEST(Driver, ABlockingTransportAnsweringAtOnceDeliversEverything) {
  Rig rig(config_with(3));
  rig.transport.answer_at_once = true;
  rig.transport.script = {ScriptedTransport::status(500), ScriptedTransport::status(413)};
  rig.track_all(0, 9);
  rig.host.now = 60'000;  // past any back-off
  rig.driver.pump();
  const std::uint64_t ticket = rig.driver.begin_flush();
  rig.driver.pump();
  EXPECT_TRUE(rig.driver.flush_settled(ticket));
  EXPECT_EQ(rig.driver.stats().delivered, 9u);
  EXPECT_EQ(rig.driver.end_flush(ticket).delivered, 0u) << "all were delivered before the flush";
}

// ---- flush and close ---------------------------------------------------------------------------

TEST(Driver, AFlushSettlesWhenEverythingBeforeItIsSettledAndSaysWhatBecameOfIt) {
  Rig rig(config_with(2));
  rig.track_all(0, 3);  // m0-m1 out, m2 waits for upload_interval
  const int wakes = rig.host.wakes;
  const std::uint64_t ticket = rig.driver.begin_flush();
  EXPECT_EQ(rig.host.wakes, wakes + 1) << "a flush wakes the driving context";
  rig.driver.pump();
  rig.transport.answer(ScriptedTransport::status(200));  // m0-m1; m2 goes at once (flushing)
  EXPECT_FALSE(rig.driver.flush_settled(ticket));
  EXPECT_TRUE(rig.host.settled_tickets.empty());
  rig.transport.answer(ScriptedTransport::status(400, "event is not a valid rudder event\n"));
  EXPECT_TRUE(rig.driver.flush_settled(ticket));
  EXPECT_EQ(rig.host.settled_tickets, std::vector<std::uint64_t>{ticket});
  const FlushResult r = rig.driver.end_flush(ticket);
  EXPECT_EQ(r.delivered, 2u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.pending, 0u);
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(rig.host.reports.size(), 1u);
  EXPECT_EQ(rig.host.reports[0].error.message, "HTTP 400: event is not a valid rudder event");
  EXPECT_FALSE(rig.host.logged("could not deliver")) << "the user's handler owns the failure";
}

TEST(Driver, AFailureNoHandlerTakesIsLogged) {
  Rig rig(config_with(1));
  rig.host.has_handler = false;
  rig.track_all(0, 1);
  rig.driver.pump();
  rig.transport.answer(ScriptedTransport::status(400, "event is not a valid rudder event\n"));
  ASSERT_EQ(rig.host.reports.size(), 1u);
  EXPECT_TRUE(rig.host.logged("could not deliver 1 event: HTTP 400"));
}

TEST(Driver, AFlushWithNothingQueuedSettlesAtOnceWithoutWaking) {
  Rig rig;
  const std::uint64_t ticket = rig.driver.begin_flush();
  EXPECT_TRUE(rig.driver.flush_settled(ticket));
  EXPECT_EQ(rig.host.wakes, 0);
  EXPECT_TRUE(rig.driver.end_flush(ticket).ok());
}

TEST(Driver, AFlushDoesNotWaitForEventsQueuedAfterIt) {
  Rig rig(config_with(2));
  rig.track_all(0, 2);
  const std::uint64_t ticket = rig.driver.begin_flush();
  rig.track_all(2, 2);  // a busy server keeps calling
  rig.transport.answer(ScriptedTransport::status(200));
  EXPECT_TRUE(rig.driver.flush_settled(ticket));
  const FlushResult r = rig.driver.end_flush(ticket);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.delivered, 2u);
}

TEST(Driver, AFlushThatEndsUnsettledCountsWhatIsLeftAsPending) {
  Rig rig(config_with(2));
  rig.track_all(0, 3);
  const std::uint64_t ticket = rig.driver.begin_flush();
  rig.driver.pump();
  const FlushResult r = rig.driver.end_flush(ticket);  // its timeout passed
  EXPECT_EQ(r.pending, 3u);
  EXPECT_FALSE(r.ok());
}

TEST(Driver, GivingUpAtCloseReportsTheRestAndTheResultIsNotOk) {
  Rig rig(config_with(2));
  rig.track_all(0, 3);  // m0-m1 out, no answer coming
  rig.driver.close();
  const std::uint64_t ticket = rig.driver.begin_flush();
  rig.driver.pump();
  rig.driver.give_up();  // close()'s timeout passed
  EXPECT_TRUE(rig.driver.flush_settled(ticket));
  const FlushResult r = rig.driver.end_flush(ticket);
  EXPECT_FALSE(r.ok()) << "a shutdown that abandoned events must not say it delivered them";
  EXPECT_EQ(r.unknown, 2u) << "the request out may still arrive";
  EXPECT_EQ(r.unsent, 1u);
  ASSERT_EQ(rig.host.reports.size(), 2u);
  EXPECT_EQ(rig.host.reports[0].error.kind, DeliveryError::Kind::unknown_outcome);
  EXPECT_EQ(rig.host.reports[1].error.kind, DeliveryError::Kind::unsent_at_shutdown);
  // The late answer to the abandoned request changes nothing.
  rig.transport.answer(ScriptedTransport::status(200));
  const Stats s = rig.driver.stats();
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_EQ(s.unknown + s.dropped_for(DropReason::unsent_at_shutdown), 3u);
  EXPECT_TRUE(rig.transport.waiting.empty());
}

TEST(Driver, TimedOutRequestsAreUnknownInStatsAndFlushResultsNeverFailed) {
  Config c = config_with(10);
  c.max_retries = 2;
  Rig rig(c);
  rig.track_all(0, 10);
  const std::uint64_t ticket = rig.driver.begin_flush();
  for (int attempt = 0; attempt < 3; ++attempt) {
    rig.transport.answer(ScriptedTransport::timed_out());
    rig.host.now += 60'000;
    rig.driver.pump();
  }
  ASSERT_TRUE(rig.driver.flush_settled(ticket));
  const FlushResult r = rig.driver.end_flush(ticket);
  EXPECT_EQ(r.unknown, 10u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(rig.driver.stats().unknown, 10u);
  ASSERT_EQ(rig.host.reports.size(), 1u);
  EXPECT_EQ(rig.host.reports[0].error.kind, DeliveryError::Kind::unknown_outcome);
  // Every attempt carried the same ids: the data plane deduplicates the copies.
  for (const Sent& s : rig.transport.sent) EXPECT_EQ(s.ids(), ids(0, 10));
}

TEST(Driver, AnAnswerToATransportsOwnResendCountsTheResendAndMakesTheEventsUnknown) {
  // libcurl sends a request again by itself when a reused connection closes without an
  // answer; the copy that got none may be stored, whatever the later send is told.
  Config c = config_with(10);
  c.max_retries = 3;
  Rig rig(c);
  rig.track_all(0, 10);
  const std::uint64_t ticket = rig.driver.begin_flush();
  rig.transport.answer(ScriptedTransport::status(503));
  rig.host.now += 60'000;
  rig.driver.pump();
  HttpResponse refused = ScriptedTransport::status(400);
  refused.resent = true;
  rig.transport.answer(refused);
  ASSERT_TRUE(rig.driver.flush_settled(ticket));
  const FlushResult r = rig.driver.end_flush(ticket);
  EXPECT_EQ(r.unknown, 10u) << "not failed: the copy without an answer may be stored";
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(rig.driver.stats().retried, 2u) << "the 503's retry and the transport's resend";
  ASSERT_EQ(rig.host.reports.size(), 1u);
  EXPECT_EQ(rig.host.reports[0].error.kind, DeliveryError::Kind::unknown_outcome);
  EXPECT_EQ(rig.host.reports[0].error.attempts, 3);

  // Retries stop at max_retries counting the resends: 1 + 3 sends in all, not 1 + 3 + 1.
  Rig limited(c);
  limited.track_all(0, 10);
  const std::uint64_t second = limited.driver.begin_flush();
  HttpResponse unavailable = ScriptedTransport::status(503);
  unavailable.resent = true;
  for (int send = 0; send < 3; ++send) {
    limited.transport.answer(send == 0 ? unavailable : ScriptedTransport::status(503));
    limited.host.now += 60'000;
    limited.driver.pump();
  }
  ASSERT_TRUE(limited.driver.flush_settled(second)) << "gave up after the third answer";
  EXPECT_EQ(limited.transport.sent.size(), 3u);
  EXPECT_EQ(limited.driver.end_flush(second).unknown, 10u);
}

// ---- page unload -------------------------------------------------------------------------------

TEST(Driver, ABeaconRefusedAfterAPartialBatchLosesAndRepeatsNothing) {
  Rig rig(config_with(4));
  rig.track_all(0, 6);  // m0-m3 out; m4-m5 queued
  // The first piece takes only part of the batch out, and the browser takes it.
  std::size_t limit = 100;
  while (json::parse(rig.driver.beacon_body(limit)).at("batch").size() < 2) limit += 10;
  ASSERT_EQ(json::parse(rig.driver.beacon_body(limit)).at("batch").size(), 2u);
  rig.driver.commit_beacon();
  // The second piece is refused by the browser: never committed.
  ASSERT_EQ(json::parse(rig.driver.beacon_body(64'000)).at("batch").size(), 4u);
  const std::uint64_t ticket = rig.driver.begin_flush();
  rig.driver.pump();
  // The request that was out answers late: it no longer stands for anything.
  rig.transport.answer(ScriptedTransport::status(200));
  rig.transport.answer(ScriptedTransport::status(200));
  rig.transport.answer(ScriptedTransport::status(200));
  ASSERT_EQ(rig.transport.sent.size(), 3u);
  EXPECT_EQ(rig.transport.sent[1].ids(), ids(2, 2)) << "the rest of the batch out";
  EXPECT_EQ(rig.transport.sent[2].ids(), ids(4, 2)) << "then the queue";
  EXPECT_TRUE(rig.driver.flush_settled(ticket));
  const Stats s = rig.driver.stats();
  EXPECT_EQ(s.beaconed, 2u);
  EXPECT_EQ(s.delivered, 4u) << "the late answer did not count the beaconed events again";
  EXPECT_EQ(s.pending, 0u);
  const FlushResult r = rig.driver.end_flush(ticket);
  EXPECT_EQ(r.delivered, 4u);
  EXPECT_TRUE(r.ok());
}

TEST(Driver, ABodyPreparedAheadIsNeverSentForWhatABeaconLeftOfItsBatch) {
  Rig rig(config_with(2));
  rig.track_all(0, 2);  // A = m0-m1 out
  rig.track_all(2, 2);  // B = m2-m3, its body built ahead while A is out
  ASSERT_EQ(rig.gzip.calls, 2);
  // The page is hidden: a beacon takes A and the first event of B.
  std::size_t limit = 100;
  while (json::parse(rig.driver.beacon_body(limit)).at("batch").size() < 3) limit += 10;
  ASSERT_EQ(json::parse(rig.driver.beacon_body(limit)).at("batch").size(), 3u);
  rig.driver.commit_beacon();
  rig.transport.answer(ScriptedTransport::status(200));  // A's late answer: stands for nothing
  const std::uint64_t ticket = rig.driver.begin_flush();
  rig.driver.pump();
  rig.transport.answer(ScriptedTransport::status(200));
  ASSERT_EQ(rig.transport.sent.size(), 2u);
  EXPECT_EQ(rig.transport.sent[1].ids(), ids(3, 1)) << "only what the beacon left; m2 is not sent twice";
  EXPECT_TRUE(rig.driver.flush_settled(ticket));
  const Stats s = rig.driver.stats();
  EXPECT_EQ(s.beaconed, 3u);
  EXPECT_EQ(s.delivered, 1u);
}

// Lines logged as warnings that contain `part`.
int warnings_with(const FakeHost& host, const std::string& part) {
  int n = 0;
  for (const auto& [level, text] : host.logs) {
    n += level == LogLevel::warning && text.find(part) != std::string::npos;
  }
  return n;
}

TEST(Driver, UnloadBeaconsUntilTheBrowserRefusesThenSendsTheRestAtOnce) {
  Rig rig(config_with(100));
  const std::string filler(20'000, 'x');
  for (int i = 0; i < 10; ++i) ASSERT_EQ(rig.call_with_filler(i, filler).status, Status::accepted);
  rig.driver.pump();
  EXPECT_TRUE(rig.transport.sent.empty()) << "waiting for upload_interval";
  std::vector<std::size_t> pieces;
  rig.driver.unload([&pieces](std::string_view body) {
    EXPECT_LE(body.size(), rudder::core::kBeaconBodyBytes);
    pieces.push_back(json::parse(body).at("batch").size());
    return pieces.size() == 1;  // the quota takes one piece, then refuses
  });
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(rig.driver.stats().beaconed, pieces[0]);
  // In memory only, the rest is lost if the page goes before its requests complete: said once
  // (a closing page fires visibilitychange and pagehide).
  const std::string at_risk = std::to_string(10 - pieces[0]) + " events go as ordinary requests, lost if the page closes";
  EXPECT_EQ(warnings_with(rig.host, at_risk), 1);
  rig.driver.unload([](std::string_view) { return false; });
  EXPECT_EQ(warnings_with(rig.host, at_risk), 1) << "told once";
  ASSERT_EQ(rig.transport.sent.size(), 1u) << "the rest went at once, without upload_interval";
  EXPECT_EQ(rig.transport.sent[0].ids().front(), "m" + std::to_string(pieces[0]));
  rig.transport.answer(ScriptedTransport::status(200));
  EXPECT_EQ(rig.driver.stats().beaconed + rig.driver.stats().delivered, 10u);
  EXPECT_EQ(rig.driver.stats().pending, 0u);
}

// The ids in a beacon body, appended to `into`; the browser takes it.
std::function<bool(std::string_view)> beacon_into(std::vector<std::string>& into) {
  return [&into](std::string_view body) {
    const json parsed = json::parse(body);  // named: a range-for over a temporary's member dangles
    for (const auto& e : parsed.at("batch")) into.push_back(e.at("messageId").get<std::string>());
    return true;
  };
}

TEST(Driver, UnloadHandsOverARequestOutThatOutlivesThePageInsteadOfSendingItAgain) {
  // A page closed with a request out sent that batch again by beacon: two copies whenever the
  // request completed too (a data plane without deduplication keeps both). Where fetch has
  // keepalive the request outlives the page: its batch is the browser's, as a beacon's is.
  for (const Storage storage : {Storage::off, Storage::on}) {
    Rig rig(config_with(3), Naming::js, storage, User::remembered, Requests::outlive_page);
    rig.track_all(0, 3);
    rig.transport.answer(ScriptedTransport::status(200));  // the data plane has answered once
    rig.track_all(3, 3);  // m3-m5 out
    ASSERT_EQ(rig.transport.sent.size(), 2u);
    EXPECT_TRUE(rig.transport.sent[1].request.outlive_page) << "a small body goes with keepalive";
    rig.track_all(6, 2);  // m6-m7 queued
    std::vector<std::string> beaconed;
    rig.driver.unload(beacon_into(beaconed));
    EXPECT_EQ(beaconed, ids(6, 2)) << "the batch out is not sent a second time";
    Stats s = rig.driver.stats();
    EXPECT_EQ(s.beaconed, 5u) << "the batch out counts as handed to the browser";
    EXPECT_EQ(s.pending, 0u);
    rig.transport.answer(ScriptedTransport::status(503));  // its answer, should the page live on
    s = rig.driver.stats();
    EXPECT_EQ(s.delivered, 3u);
    EXPECT_EQ(s.failed + s.unknown + s.retried, 0u) << "no longer applied";
    EXPECT_EQ(rig.transport.sent.size(), 2u);
  }
}

TEST(Driver, UnloadSendsARequestOutAgainByBeaconWhereItEndsWithThePage) {
  // Without keepalive (the setting off, or a body over the quota) the page's end cancels the
  // request: its batch goes by beacon too, as before.
  for (const bool large : {false, true}) {
    Rig rig(config_with(3), Naming::js, Storage::off, User::remembered,
            large ? Requests::outlive_page : Requests::end_with_page);
    const std::string filler(large ? 30'000 : 0, 'x');
    for (int i = 0; i < 3; ++i) ASSERT_EQ(rig.call_with_filler(i, filler).status, Status::accepted);
    rig.driver.pump();
    ASSERT_EQ(rig.transport.sent.size(), 1u);
    EXPECT_FALSE(rig.transport.sent[0].request.outlive_page);
    std::vector<std::string> beaconed;
    rig.driver.unload(beacon_into(beaconed));
    EXPECT_EQ(beaconed, ids(0, 3));
    EXPECT_EQ(rig.driver.stats().beaconed, 3u);
  }
}

TEST(Driver, AKeepaliveRequestTheBrowserFailedIsRetriedAsAnAttemptWithoutKeepaliveForAWhile) {
  // The browser fails a keepalive fetch alike whether its quota refused it or the connection
  // broke after the data plane stored it. The glue used to send it again at once without
  // keepalive: a second copy nobody counted. Now it is an attempt that got no answer.
  Rig rig(config_with(3), Naming::js, Storage::off, User::remembered, Requests::outlive_page);
  rig.track_all(0, 3);
  ASSERT_EQ(rig.transport.sent.size(), 1u);
  ASSERT_TRUE(rig.transport.sent[0].request.outlive_page);
  rig.driver.keepalive_failed();
  HttpResponse failed;
  failed.network_error = "TypeError: Failed to fetch";
  rig.transport.answer(failed);
  EXPECT_EQ(rig.driver.stats().retried, 1u) << "counted as an attempt";
  EXPECT_EQ(rig.transport.sent.size(), 1u) << "not sent again at once";
  rig.host.now += 5'000;
  rig.driver.pump();
  ASSERT_EQ(rig.transport.sent.size(), 2u);
  EXPECT_EQ(rig.transport.sent[1].ids(), ids(0, 3)) << "the same batch, the same ids";
  EXPECT_FALSE(rig.transport.sent[1].request.outlive_page) << "without keepalive, not refused alike";
  // Plain, it ends with the page: a closing page sends its batch again by beacon.
  std::vector<std::string> beaconed;
  rig.driver.unload(beacon_into(beaconed));
  EXPECT_EQ(beaconed, ids(0, 3));
  // A minute on, requests go with keepalive again.
  Rig later(config_with(1), Naming::js, Storage::off, User::remembered, Requests::outlive_page);
  later.driver.keepalive_failed();
  later.track_all(0, 1);
  EXPECT_FALSE(later.transport.sent[0].request.outlive_page);
  later.transport.answer(ScriptedTransport::status(200));
  later.host.now += Driver::kKeepaliveRestMs;
  later.track_all(1, 1);
  ASSERT_EQ(later.transport.sent.size(), 2u);
  EXPECT_TRUE(later.transport.sent[1].request.outlive_page);
}

TEST(Driver, UnloadBeforeAnyAnswerLeavesARequestOutThatOutlivesThePageOutOfItsBeacon) {
  // Stored, and nothing answered yet: the beacon goes and the events stay stored (above); the
  // batch out is already on its way, so the beacon carries only what follows it.
  Rig rig(config_with(3), Naming::js, Storage::on, User::remembered, Requests::outlive_page);
  rig.track_all(0, 3);  // out
  rig.track_all(3, 2);  // queued
  std::vector<std::string> beaconed;
  rig.driver.unload(beacon_into(beaconed));
  EXPECT_EQ(beaconed, ids(3, 2));
  EXPECT_EQ(rig.driver.stats().pending, 5u) << "all still stored";
  rig.transport.answer(ScriptedTransport::status(200));  // the page lived on
  EXPECT_EQ(rig.driver.stats().delivered, 3u) << "the answer still counts";
}

// A segment an earlier run left, holding events "old-<first>" ... of `count`.
std::string left_segment(int first, int count) {
  namespace segment = rudder::core::segment;
  std::string bytes(segment::kHeaderBytes, '\0');
  segment::write_header(bytes.data(), 0);
  for (int i = first; i < first + count; ++i) {
    const std::string payload = R"({"type":"track","messageId":"old-)" + std::to_string(i) + '"';
    std::string record(segment::record_bytes(payload.size()), '\0');
    segment::write_record(record.data(), payload, rudder::core::crc32(payload));
    bytes += record;
  }
  return bytes + std::string(256, '\0');
}

TEST(Driver, RecoverReadsPastADamagedHeaderOrResumeOffsetSetsAsideWhatIsNoSegmentAndSaysSo) {
  for (const Naming naming : {Naming::cpp, Naming::js}) {
    Rig rig(config_with(10), naming, Storage::on);
    std::string damaged = left_segment(0, 2);
    damaged[3] ^= 0x40;  // the magic
    std::string junk(4096, 'j');
    std::string intact = left_segment(2, 1);
    std::string lost_place = left_segment(3, 1);
    rudder::core::segment::set_resume_offset(lost_place.data(), 13);  // inside the header
    EXPECT_EQ(rig.driver.recover({{damaged.data(), damaged.size(), 1},
                                  {junk.data(), junk.size(), 2},
                                  {intact.data(), intact.size(), 3},
                                  {lost_place.data(), lost_place.size(), 4}}),
              4u);
    const std::string setting = naming == Naming::js ? "storageDir" : "storage_dir";
    EXPECT_TRUE(rig.host.logged(setting + ": 1 segment file has a damaged header; the records after it are read all the same"));
    EXPECT_TRUE(rig.host.logged(setting + ": 1 file named as a segment is not one, and nothing in it reads as an event: "
                                          "set aside unread, marked \"unknown\""));
    EXPECT_TRUE(rig.host.logged(setting + ": 1 segment file has a damaged resume offset; read from the first record, "
                                          "so events delivered before may be sent again (the data plane drops them by "
                                          "messageId)"));
    EXPECT_EQ(rig.store.set_aside_count, 1);
    EXPECT_EQ(rig.store.removed, 0) << "what is no segment is not deleted";
    rig.driver.begin_flush();
    rig.driver.pump();
    ASSERT_EQ(rig.transport.sent.size(), 1u);
    EXPECT_EQ(rig.transport.sent[0].ids(), (std::vector<std::string>{"old-0", "old-1", "old-2", "old-3"}));
  }
}

TEST(Driver, UnloadKeepsStoredEventsWhileTheDataPlaneIsUnreachable) {
  Rig rig(config_with(3), Naming::cpp, Storage::on);
  rig.track_all(0, 3);
  rig.transport.answer(ScriptedTransport::status(503));  // the data plane is down
  int beacons = 0;
  rig.driver.unload([&beacons](std::string_view) { return ++beacons > 0; });
  EXPECT_EQ(beacons, 0) << "a beacon to a data plane that is down would be lost";
  EXPECT_EQ(rig.driver.stats().beaconed, 0u);
  EXPECT_EQ(rig.driver.stats().pending, 3u);
  EXPECT_EQ(rig.store.removed, 0) << "still in storage for the next page load";
  EXPECT_TRUE(rig.host.logged("3 events stay in storage")) << "told in the log";
  const std::size_t lines = rig.host.logs.size();
  rig.driver.unload([&beacons](std::string_view) { return ++beacons > 0; });  // pagehide after visibilitychange
  EXPECT_EQ(rig.host.logs.size(), lines) << "told once";
  // The page lived on: the retry delivers them as usual.
  rig.host.now = 60'000;
  rig.driver.pump();
  rig.transport.answer(ScriptedTransport::status(200));
  EXPECT_EQ(rig.driver.stats().delivered, 3u);
  EXPECT_EQ(rig.transport.sent.size(), 2u);
}

TEST(Driver, AStoredBatchOutlastingMaxRetriesIsToldOnceAndItsRecoveryToo) {
  Rig rig(config_with(3), Naming::cpp, Storage::on);  // max_retries 3
  rig.track_all(0, 3);
  rig.track_all(3, 2);  // behind the batch, waiting
  const std::string outage = "the data plane has not accepted a batch";
  for (int attempt = 1; attempt <= 8; ++attempt) {
    if (attempt > 1) {
      rig.host.now += 60'000;  // past any back-off
      rig.driver.pump();
    }
    ASSERT_EQ(rig.transport.sent.size(), static_cast<std::size_t>(attempt));
    rig.transport.answer(ScriptedTransport::status(503, "busy"));
    // Silent while a batch in memory would still be retried; told once when it would not.
    EXPECT_EQ(warnings_with(rig.host, outage), attempt <= 3 ? 0 : 1) << "after attempt " << attempt;
  }
  EXPECT_TRUE(rig.host.logged(outage + " in 4 attempts (last: HTTP 503: busy); 5 events are kept "
                              "in storage and retried until it does"));
  EXPECT_TRUE(rig.host.reports.empty()) << "nothing is given up on";
  rig.host.now += 60'000;
  rig.driver.pump();
  rig.transport.answer(ScriptedTransport::status(200));
  EXPECT_EQ(warnings_with(rig.host, "the data plane accepts batches again; 2 events are still to be sent"), 1);
  EXPECT_EQ(rig.driver.stats().delivered, 3u);
  // A second outage is told again.
  rig.host.now += 60'000;
  rig.driver.pump();
  for (int attempt = 1; attempt <= 4; ++attempt) {
    rig.transport.answer(ScriptedTransport::timed_out());
    rig.host.now += 60'000;
    rig.driver.pump();
  }
  EXPECT_EQ(warnings_with(rig.host, outage), 2);
  EXPECT_TRUE(rig.host.logged("(last: network error: no answer within 15000 ms); 2 events are kept"));
}

TEST(Driver, GivingUpWithEventsLeftInStorageSaysWhatTheLastAttemptGot) {
  Rig rig(config_with(3), Naming::cpp, Storage::on);
  rig.track_all(0, 3);
  rig.transport.answer(ScriptedTransport::status(503, "busy"));
  rig.driver.give_up();
  EXPECT_EQ(rig.driver.stats().kept, 3u);
  EXPECT_TRUE(rig.host.reports.empty()) << "kept, not given up on";
  EXPECT_EQ(warnings_with(rig.host, "3 events stay in storage for a later run (the last attempt got HTTP 503: busy)"), 1);

  // Told already by the outage warning: not twice.
  Config once = config_with(3);
  once.max_retries = 0;
  Rig told(once, Naming::cpp, Storage::on);
  told.track_all(0, 3);
  told.transport.answer(ScriptedTransport::status(503, "busy"));
  ASSERT_EQ(warnings_with(told.host, "the data plane has not accepted a batch"), 1);
  told.driver.give_up();
  EXPECT_EQ(warnings_with(told.host, "in storage for a later run"), 0);

  // Nothing failed: nothing to explain (a shutdown with a short timeout is no outage).
  Rig calm(config_with(3), Naming::cpp, Storage::on);
  calm.track_all(0, 2);
  calm.driver.give_up();
  EXPECT_EQ(calm.driver.stats().kept, 2u);
  EXPECT_EQ(warnings_with(calm.host, "in storage for a later run"), 0);
}

// A client with storage whose three stored events ride out an outage: with max_retries 0 the
// outage is declared after the first answer, a 503.
Config outage_config() {
  Config c = config_with(3);
  c.max_retries = 0;
  return c;
}
void start_outage(Rig& rig) {
  rig.track_all(0, 3);
  rig.transport.answer(ScriptedTransport::status(503, "busy"));
  ASSERT_EQ(warnings_with(rig.host, "the data plane has not accepted a batch"), 1);
}

TEST(Driver, AFlushDuringAnOutageReturnsAtOnceAndAGiveUpThenCountsTheEventsKept) {
  // Stored events riding out an outage are never given up on, so a flush waiting for them
  // would wait for the data plane to come back: it settles at once, and what it says is read
  // when it ends, so a shutdown that gave up meanwhile reports them kept, not pending.
  Rig rig(outage_config(), Naming::cpp, Storage::on);
  start_outage(rig);
  const std::uint64_t ticket = rig.driver.begin_flush();
  EXPECT_TRUE(rig.driver.flush_settled(ticket)) << "settled without waiting for the outage to end";
  rig.driver.give_up();
  const FlushResult r = rig.driver.end_flush(ticket);
  EXPECT_EQ(r.kept, 3u);
  EXPECT_EQ(r.pending, 0u);
  EXPECT_EQ(r.delivered, 0u);
}

TEST(Driver, AfterABurstTheQueuesMemoryWaitsForTheNextOneButAClosedClientLetsItGoAtOnce) {
  rudder::testing::CountingMemory memory(1024);  // small blocks: a burst takes many
  FakeHost host;
  ScriptedTransport transport;
  transport.answer_at_once = true;
  Driver driver(settings_for(config_with(100), Naming::cpp, User::per_call), host, transport, nullptr, 7,
                nullptr, &memory);
  Rng rng{3};
  const json properties = {{"filler", std::string(300, 'x')}};
  auto burst = [&](int count) {
    for (int i = 0; i < count; ++i) {
      MessageFields f;
      f.type = MessageType::track;
      f.user_id = "u";
      f.event = "E";
      f.properties = &properties;
      ASSERT_EQ(driver.call(f, rng).status, Status::accepted);
    }
    driver.pump();
  };
  host.now = 1000;
  burst(100);  // some thirty 1 KiB blocks, sent as one batch and delivered
  ASSERT_EQ(driver.stats().delivered, 100u);
  const std::size_t burst_blocks = memory.held.size();
  ASSERT_GT(burst_blocks, 10u);
  EXPECT_EQ(host.wake_time, 1000 + rudder::core::EventLog::kSpareIdleMs) << "one wake, to let go of them later";
  host.now = 2000;
  burst(100);
  EXPECT_EQ(memory.held.size(), burst_blocks) << "the next burst wrote to the same blocks";

  const std::uint64_t ticket = driver.begin_flush();
  driver.close();
  driver.pump();
  ASSERT_TRUE(driver.flush_settled(ticket));
  EXPECT_TRUE(memory.held.empty()) << "closed: nothing will reuse them";
  EXPECT_EQ(host.wake_time, kNoWake) << "and nothing left to wake for";
}

TEST(Driver, AShutdownThatKeepsEventsInStorageSettlesItsFlushAtOnce) {
  // Kept for a later run is an end for this run: the close waits no longer for them.
  Rig rig(config_with(3), Naming::cpp, Storage::on);
  rig.track_all(0, 2);  // waiting for upload_interval
  const std::uint64_t ticket = rig.driver.begin_flush();
  rig.driver.give_up();
  ASSERT_TRUE(rig.driver.flush_settled(ticket));
  const FlushResult r = rig.driver.end_flush(ticket);
  EXPECT_EQ(r.kept, 2u);
  EXPECT_EQ(r.pending, 0u);
}

TEST(Driver, AFinalRefusalAfterAnOutageIsNotToldAsTheDataPlaneAcceptingAgain) {
  Rig rig(outage_config(), Naming::cpp, Storage::on);
  start_outage(rig);
  rig.host.now += 60'000;
  rig.driver.pump();
  rig.transport.answer(ScriptedTransport::status(400, "event is not a valid rudder event\n"));
  ASSERT_EQ(rig.host.reports.size(), 1u) << "the batch failed";
  EXPECT_EQ(warnings_with(rig.host, "accepts batches again"), 0);
}

TEST(Driver, WithoutStorageAnOutageEndsInAReportNotAnOutageWarning) {
  Rig rig(config_with(3));
  rig.track_all(0, 3);
  for (int attempt = 1; attempt <= 4; ++attempt) {
    if (attempt > 1) {
      rig.host.now += 60'000;
      rig.driver.pump();
    }
    rig.transport.answer(ScriptedTransport::status(503));
  }
  EXPECT_EQ(rig.host.reports.size(), 1u);
  EXPECT_EQ(warnings_with(rig.host, "has not accepted"), 0);
}

TEST(Driver, UnloadBeaconsStoredEventsWhileTheDataPlaneAnswers) {
  Rig rig(config_with(3), Naming::cpp, Storage::on);
  rig.track_all(0, 3);
  rig.transport.answer(ScriptedTransport::status(200));
  rig.track_all(3, 2);  // queued, waiting for upload_interval
  std::vector<std::string> beaconed;
  rig.driver.unload([&beaconed](std::string_view body) {
    const json parsed = json::parse(body);
    for (const auto& e : parsed.at("batch")) beaconed.push_back(e.at("messageId").get<std::string>());
    return true;
  });
  EXPECT_EQ(beaconed, ids(3, 2));
  EXPECT_EQ(rig.driver.stats().beaconed, 2u);
  EXPECT_EQ(rig.driver.stats().pending, 0u);
}

TEST(Driver, UnloadBeforeTheDataPlaneAnsweredBeaconsButKeepsTheEventsStored) {
  // The page closes before its first upload: the data plane may be down, and a beacon to it
  // would be lost without a word. It goes, and the events stay stored all the same.
  Rig rig(config_with(10), Naming::cpp, Storage::on);
  rig.track_all(0, 3);  // waiting for upload_interval
  std::vector<std::string> beaconed;
  const auto beacon = [&beaconed](std::string_view body) {
    const json parsed = json::parse(body);
    for (const auto& e : parsed.at("batch")) beaconed.push_back(e.at("messageId").get<std::string>());
    return true;
  };
  rig.driver.unload(beacon);
  EXPECT_EQ(beaconed, ids(0, 3));
  EXPECT_EQ(rig.driver.stats().beaconed, 0u) << "not counted as gone";
  EXPECT_EQ(rig.driver.stats().pending, 3u);
  EXPECT_EQ(rig.store.removed, 0) << "still in storage for the next page load";
  rig.driver.unload(beacon);  // pagehide after visibilitychange
  EXPECT_EQ(beaconed.size(), 3u) << "one beacon per situation";
  // The page lived on: they go as usual (a copy of the beacon's, dropped by messageId).
  rig.host.now = 60'000;
  rig.driver.pump();
  rig.transport.answer(ScriptedTransport::status(200));
  EXPECT_EQ(rig.driver.stats().delivered, 3u);
  // Now the data plane has answered: the next unload hands events over for good.
  rig.track_all(3, 2);
  rig.driver.unload(beacon);
  EXPECT_EQ(rig.driver.stats().beaconed, 2u);
  EXPECT_EQ(rig.driver.stats().pending, 0u);
}

TEST(Driver, UnloadWhoseBeaconIsRefusedWarnsOnlyOfEventsInMemoryOnly) {
  // With storage, what the beacon could not take is still stored for the next page load: no
  // warning of a loss that cannot happen.
  Rig rig(config_with(3), Naming::cpp, Storage::on);
  rig.track_all(0, 3);
  rig.transport.answer(ScriptedTransport::status(200));
  rig.track_all(3, 2);  // queued, waiting for upload_interval
  rig.driver.unload([](std::string_view) { return false; });  // the quota is full
  EXPECT_EQ(rig.driver.stats().beaconed, 0u);
  EXPECT_EQ(warnings_with(rig.host, "beacon quota"), 0);
  EXPECT_EQ(rig.transport.sent.size(), 2u) << "sent at once as an ordinary request";
}

TEST(Driver, UnloadKeepsStoredEventsWhileTheBrowserIsOffline) {
  Rig rig(config_with(3), Naming::cpp, Storage::on);
  rig.track_all(0, 3);
  rig.transport.answer(ScriptedTransport::status(200));
  rig.track_all(3, 2);
  int beacons = 0;
  rig.driver.unload([&beacons](std::string_view) { return ++beacons > 0; }, /*offline=*/true);
  EXPECT_EQ(beacons, 0) << "a beacon while offline is lost";
  EXPECT_EQ(rig.driver.stats().pending, 2u);
  EXPECT_TRUE(rig.host.logged("the page is going while the browser is offline: 2 events stay in storage"));
}

TEST(Driver, UnloadBeaconsWhatIsOnlyInMemoryEvenWhileTheDataPlaneIsUnreachable) {
  Rig rig(config_with(3));  // no storage: the beacon is these events' only chance
  rig.track_all(0, 3);
  rig.transport.answer(ScriptedTransport::status(503));
  int beacons = 0;
  rig.driver.unload([&beacons](std::string_view) { return ++beacons > 0; });
  EXPECT_EQ(beacons, 1);
  EXPECT_EQ(rig.driver.stats().beaconed, 3u);
}

TEST(Driver, UnloadWithNothingQueuedBeaconsNothing) {
  Rig rig;
  int calls = 0;
  rig.driver.unload([&calls](std::string_view) { return ++calls > 0; });
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(rig.transport.sent.empty());
}

// ---- the user, remembered (browsers) ----------------------------------------------------------

// A browser client's rig: the user remembered, every request answered at once.
struct BrowserRig : Rig {
  BrowserRig() : Rig(config_with(100), Naming::js, Storage::off, User::remembered) {
    transport.answer_at_once = true;
  }
  // Calls `type` with the JSON text `text`; returns the refusal's text, or "" when accepted.
  std::string call(MessageType type, std::string_view text) {
    const CallOutcome outcome = driver.call_text(type, text, rng);
    return outcome.status == Status::accepted ? "" : outcome.text;
  }
  // Every event sent so far, in order (a flush first).
  std::vector<json> events() {
    driver.begin_flush();
    driver.pump();
    std::vector<json> out;
    for (const Sent& s : transport.sent) {
      for (const json& e : s.body.at("batch")) out.push_back(e);
    }
    return out;
  }
};

// The JavaScript API holds calls made while the module loads and hands them over once it is
// ready: each event keeps the time its call was made.
TEST(Driver, ACallHeldByThePlatformKeepsTheTimeItWasMade) {
  BrowserRig rig;
  rig.host.now = 5'000;
  ASSERT_EQ(rig.driver.call_text(MessageType::track, R"({"event":"Early"})", rig.rng, kUnixBase + 1'250).status,
            Status::accepted);
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"Now"})"), "");
  const std::vector<json> e = rig.events();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].at("originalTimestamp"), "2024-01-31T12:00:01.250Z");
  EXPECT_FALSE(e[0].contains("timestamp")) << "timestamp stays the caller's";
  EXPECT_EQ(e[1].at("originalTimestamp"), "2024-01-31T12:00:05.000Z");
}

TEST(Driver, ABrowserClientFillsTheIdsACallLeavesOutAndTheCallersWin) {
  BrowserRig rig;
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"First"})"), "");
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"Mine","anonymousId":"own-id","userId":"u9"})"), "");
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"Again"})"), "");
  const std::vector<json> events = rig.events();
  ASSERT_EQ(events.size(), 3u);
  const std::string anonymous = events[0].at("anonymousId");
  EXPECT_EQ(anonymous.size(), 36u) << "a UUID v4, made on first use";
  EXPECT_FALSE(events[0].contains("userId"));
  EXPECT_EQ(events[1].at("anonymousId"), "own-id");
  EXPECT_EQ(events[1].at("userId"), "u9");
  EXPECT_EQ(events[2].at("anonymousId"), anonymous) << "the same visitor";
  ASSERT_EQ(rig.host.identities.size(), 1u) << "told once, when it was made";
  EXPECT_EQ(json::parse(rig.host.identities[0]).at("anonymousId"), anonymous);
}

TEST(Driver, IdentifyIsRememberedAndItsTraitsGoWithLaterEvents) {
  BrowserRig rig;
  ASSERT_EQ(rig.call(MessageType::identify, R"({"userId":"u1","traits":{"plan":"pro","seats":2}})"), "");
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"E"})"), "");
  ASSERT_EQ(rig.call(MessageType::identify, R"({"traits":{"seats":3,"city":"Oslo"}})"), "");
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"F","context":{"traits":{"own":true}}})"), "");
  ASSERT_EQ(rig.call(MessageType::identify, R"({"userId":"u2","traits":{"plan":"free"}})"), "");
  ASSERT_EQ(rig.call(MessageType::screen, R"({"name":"S"})"), "");
  ASSERT_EQ(rig.call(MessageType::track, R"({"userId":"u3","event":"G"})"), "");
  const std::vector<json> e = rig.events();
  ASSERT_EQ(e.size(), 7u);
  EXPECT_EQ(e[1].at("userId"), "u1");
  EXPECT_EQ(e[1].at("context").at("traits"), (json{{"plan", "pro"}, {"seats", 2}}));
  EXPECT_EQ(e[2].at("userId"), "u1") << "identify without a userId keeps the user";
  EXPECT_EQ(e[2].at("context").at("traits"), (json{{"plan", "pro"}, {"seats", 3}, {"city", "Oslo"}}))
      << "an identify's context.traits: its traits over the kept ones";
  EXPECT_EQ(e[3].at("context").at("traits"), (json{{"own", true}})) << "the caller's context wins";
  EXPECT_EQ(e[4].at("userId"), "u2");
  EXPECT_EQ(e[4].at("context").at("traits"), (json{{"plan", "free"}}))
      << "the identify that switches users carries the new user's traits alone";
  EXPECT_EQ(e[5].at("userId"), "u2");
  EXPECT_EQ(e[5].at("context").at("traits"), (json{{"plan", "free"}})) << "another user: u1's traits dropped";
  EXPECT_EQ(e[5].at("anonymousId"), e[0].at("anonymousId"));
  json kept = json::parse(rig.host.identities.back());
  kept.erase("session");
  EXPECT_EQ(kept, (json{{"anonymousId", e[0].at("anonymousId")}, {"userId", "u2"}, {"traits", {{"plan", "free"}}}}));
  EXPECT_EQ(e[6].at("userId"), "u3");
  EXPECT_FALSE(e[6].at("context").contains("traits")) << "a call for another user: u2's traits are not u3's";
}

// Sessions as analytics-js keeps them: an id (the ms it started) on every event's context,
// sessionStart on its first event, a new one after the timeout without calls or a reset.
TEST(Driver, ABrowsersEventsCarryTheSessionWhichEndsAfterTheTimeoutWithoutCalls) {
  BrowserRig rig;
  constexpr std::int64_t kMinute = 60'000;
  auto track_at = [&rig](std::int64_t at, const char* text = R"({"event":"E"})") {
    rig.host.now = at;
    ASSERT_EQ(rig.call(MessageType::track, text), "");
  };
  track_at(1'000);
  track_at(2'000);
  track_at(2'000 + 29 * kMinute);                  // 29 minutes quiet: the same session
  track_at(2'000 + 29 * kMinute + 31 * kMinute);   // 31 minutes quiet: a new one
  rig.driver.reset_identity();
  track_at(2'000 + 60 * kMinute);  // the ms the last one started in: still a new id
  track_at(2'000 + 60 * kMinute + 1'000, R"({"event":"E","context":{"sessionId":7}})");
  const std::vector<json> e = rig.events();
  ASSERT_EQ(e.size(), 6u);
  const std::int64_t first = kUnixBase + 1'000;
  const std::int64_t second = kUnixBase + 2'000 + 60 * kMinute;
  const auto session = [](const json& event) {
    const json& c = event.at("context");
    return std::pair(c.value("sessionId", json()), c.value("sessionStart", json()));
  };
  EXPECT_EQ(session(e[0]), std::pair(json(first), json(true))) << "its id: when it started";
  EXPECT_EQ(session(e[1]), std::pair(json(first), json()));
  EXPECT_EQ(session(e[2]), std::pair(json(first), json()));
  EXPECT_EQ(session(e[3]), std::pair(json(second), json(true)));
  EXPECT_EQ(session(e[4]), std::pair(json(second + 1), json(true))) << "reset starts another";
  EXPECT_EQ(session(e[5]), std::pair(json(7), json())) << "the caller's context wins";
}

TEST(Driver, AShortSessionTimeoutEndsTheSessionWithinATenthOfItMore) {
  // The kept expiry moves on in steps of a minute, or a tenth of the timeout when that is
  // less: with a 10 s timeout, 12 s without a call ends the session (a minute's step would
  // have kept it for 70 s).
  BrowserRig rig;
  rig.driver.set_session_timeout(10'000);
  auto session_at = [&rig](std::int64_t at) {
    rig.host.now = at;
    EXPECT_EQ(rig.call(MessageType::track, R"({"event":"E"})"), "");
    return rig.events().back().at("context").value("sessionId", json());
  };
  const json first = session_at(1'000);
  EXPECT_EQ(session_at(9'000), first) << "8 s quiet: the same session";
  EXPECT_NE(session_at(9'000 + 12'000), first) << "12 s quiet: a new one";
}

TEST(Driver, TheSessionIsKeptOnceAMinuteWhileCallsGoOnAndTakenUpByTheNextPage) {
  BrowserRig rig;
  for (int second = 0; second < 59; ++second) {
    rig.host.now = 1'000 + second * 1'000;
    ASSERT_EQ(rig.call(MessageType::track, R"({"event":"E"})"), "");
  }
  EXPECT_EQ(rig.host.identities.size(), 1u) << "not a write to localStorage per call";
  rig.host.now = 1'000 + 61 * 1'000;
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"E"})"), "");
  ASSERT_EQ(rig.host.identities.size(), 2u) << "the expiry moved on by a step";
  const json kept = json::parse(rig.host.identities.back()).at("session");
  EXPECT_EQ(kept.at("id"), kUnixBase + 1'000);
  EXPECT_GE(kept.at("expiresAt").get<std::int64_t>(), kUnixBase + rig.host.now + 30 * 60'000)
      << "never earlier than the last call and the timeout";

  BrowserRig next_page;  // takes up what the last one kept
  next_page.host.now = rig.host.now + 10 * 60'000;
  ASSERT_TRUE(next_page.driver.restore_identity(rig.host.identities.back()));
  ASSERT_EQ(next_page.call(MessageType::track, R"({"event":"Back"})"), "");
  next_page.host.now += 45 * 60'000;  // gone too long: over
  ASSERT_EQ(next_page.call(MessageType::track, R"({"event":"Later"})"), "");
  const std::vector<json> e = next_page.events();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].at("context").at("sessionId"), kUnixBase + 1'000) << "the same session";
  EXPECT_FALSE(e[0].at("context").contains("sessionStart"));
  EXPECT_EQ(e[1].at("context").at("sessionId"), kUnixBase + next_page.host.now);
  EXPECT_EQ(e[1].at("context").at("sessionStart"), true);
}

TEST(Driver, ARefusedCallNeitherStartsNorExtendsASession) {
  BrowserRig rig;
  rig.host.now = 1'000;
  ASSERT_EQ(rig.call(MessageType::track, R"({"properties":[]})"), "event: is required");
  rig.host.now = 2'000;
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"First"})"), "");
  rig.host.now = 2'000 + 29 * 60'000;
  ASSERT_EQ(rig.call(MessageType::track, R"({"properties":[]})"), "event: is required");
  rig.host.now = 2'000 + 31 * 60'000 + 61'000;  // past the timeout (and its step) since First
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"Later"})"), "");
  const std::vector<json> e = rig.events();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].at("context").at("sessionStart"), true) << "the first event that went is the session's first";
  EXPECT_EQ(e[0].at("context").at("sessionId"), kUnixBase + 2'000);
  EXPECT_EQ(e[1].at("context").at("sessionStart"), true) << "a refused call is no activity";
  EXPECT_EQ(e[1].at("context").at("sessionId"), kUnixBase + 2'000 + 31 * 60'000 + 61'000);
}

TEST(Driver, ASessionTimeoutOfZeroMeansNoSessions) {
  BrowserRig rig;
  rig.driver.set_session_timeout(0);
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"E"})"), "");
  const std::vector<json> e = rig.events();
  ASSERT_EQ(e.size(), 1u);
  EXPECT_FALSE(e[0].at("context").contains("sessionId"));
  EXPECT_FALSE(json::parse(rig.host.identities.back()).contains("session"));
}

TEST(Driver, ABrowsersPageMayLeaveTheNameOutAScreenMayNot) {
  BrowserRig rig;
  EXPECT_EQ(rig.call(MessageType::page, R"({})"), "") << "page(): this page, as analytics-js sends it";
  EXPECT_EQ(rig.call(MessageType::page, R"({"name":"Home"})"), "");
  EXPECT_EQ(rig.call(MessageType::screen, R"({})"), "name: is required");
  EXPECT_EQ(rig.call(MessageType::page, R"({"name":" "})"), "name: is required (it is only white space or invisible characters)");
  const std::vector<json> e = rig.events();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_FALSE(e[0].contains("name")) << "no name is made up";
  EXPECT_EQ(e[1].at("name"), "Home");
}

TEST(Driver, AliasTakesItsPreviousIdFromTheUserAndBecomesTheUser) {
  BrowserRig rig;
  ASSERT_EQ(rig.call(MessageType::alias, R"({"userId":"first"})"), "");
  ASSERT_EQ(rig.call(MessageType::alias, R"({"userId":"second"})"), "");
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"E"})"), "");
  const std::vector<json> e = rig.events();
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].at("previousId"), e[0].at("anonymousId")) << "before any userId: the anonymousId";
  EXPECT_EQ(e[1].at("previousId"), "first");
  EXPECT_EQ(e[2].at("userId"), "second");
}

TEST(Driver, ThePageFillsContextAndPagePropertiesUnderTheCallersOwn) {
  BrowserRig rig;
  rig.driver.set_page(R"({"page":{"path":"/docs","url":"https://a.example/docs"},"userAgent":"UA/1","locale":"de-DE"})",
                      R"({"path":"/docs","title":"Docs","url":"https://a.example/docs"})");
  ASSERT_EQ(rig.call(MessageType::page, R"({"name":"Docs","properties":{"title":"Mine"},"context":{"locale":"fr"}})"), "");
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"E","properties":{"n":1}})"), "");
  const std::vector<json> e = rig.events();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].at("properties"), (json{{"path", "/docs"}, {"url", "https://a.example/docs"}, {"title", "Mine"}}));
  EXPECT_EQ(e[0].at("context").at("locale"), "fr");
  EXPECT_EQ(e[0].at("context").at("userAgent"), "UA/1");
  EXPECT_EQ(e[0].at("context").at("page").at("path"), "/docs");
  EXPECT_EQ(e[0].at("context").at("library").at("name"), "test-lib");
  EXPECT_EQ(e[1].at("properties"), (json{{"n", 1}})) << "only page() gets the page's properties";
  EXPECT_EQ(e[1].at("context").at("locale"), "de-DE");
}

TEST(Driver, ResetForgetsTheUserAndANewVisitorBegins) {
  BrowserRig rig;
  ASSERT_EQ(rig.call(MessageType::identify, R"({"userId":"u1","traits":{"a":1}})"), "");
  rig.driver.reset_identity();
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"E"})"), "");
  const std::vector<json> e = rig.events();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_FALSE(e[1].contains("userId"));
  EXPECT_FALSE(e[1].at("context").contains("traits"));
  EXPECT_NE(e[1].at("anonymousId"), e[0].at("anonymousId"));
}

TEST(Driver, AnEarlierPagesUserIsTakenUpAndTheAnonymousIdCanBeSet) {
  BrowserRig rig;
  EXPECT_TRUE(rig.driver.restore_identity(R"({"anonymousId":"anon-7","userId":"u7","traits":{"t":1}})"));
  EXPECT_EQ(rig.driver.anonymous_id(rig.rng), "anon-7");
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"E"})"), "");
  ASSERT_TRUE(rig.driver.set_anonymous_id("   ").has_value());
  EXPECT_EQ(rig.driver.set_anonymous_id("   ")->field, "anonymousId");
  // The calls' own wording for a required field.
  EXPECT_EQ(rig.driver.set_anonymous_id("   ")->to_string(), "anonymousId: is required (it is only white space or invisible characters)");
  EXPECT_EQ(rig.driver.set_anonymous_id("")->to_string(), "anonymousId: is required");
  EXPECT_EQ(rig.driver.set_anonymous_id("\xff")->to_string(), "anonymousId: string is not valid UTF-8");
  EXPECT_FALSE(rig.driver.set_anonymous_id("anon-8").has_value());
  ASSERT_EQ(rig.call(MessageType::track, R"({"event":"F"})"), "");
  const std::vector<json> e = rig.events();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].at("anonymousId"), "anon-7");
  EXPECT_EQ(e[0].at("userId"), "u7");
  EXPECT_EQ(e[0].at("context").at("traits"), (json{{"t", 1}}));
  EXPECT_EQ(e[1].at("anonymousId"), "anon-8");
  // What cannot be read is dropped, the rest kept.
  BrowserRig other;
  EXPECT_FALSE(other.driver.restore_identity(R"({"anonymousId":"a-1","userId":42,"traits":[1]})"));
  EXPECT_EQ(other.driver.anonymous_id(other.rng), "a-1");
  EXPECT_FALSE(other.driver.restore_identity("not json"));
}

TEST(Driver, WithoutARememberedUserACallWithoutIdsIsRefused) {
  Rig rig;  // native and Node: ids per call, as server SDKs do
  EXPECT_EQ(rig.driver.call_text(MessageType::track, R"({"event":"E"})", rig.rng).text,
            "userId: userId or anonymousId is required");
  EXPECT_TRUE(rig.host.identities.empty());
}

}  // namespace
