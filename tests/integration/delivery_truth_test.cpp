// Integration tests: the native client tells the truth about delivery against a misbehaving
// data plane: redirects, endless answers, stalls past the timeout, a throwing on_error, a
// sync_mode flush beside a call waiting out Retry-After, times at the ends of the calendar,
// and transports supplied by the user.
// Copyright the rudder-analytics authors. MIT licence.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "client_fixture.hpp"

namespace rudder {
namespace {

// This process's resident memory in KiB.
long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

TEST_F(ClientTest, ARedirectIsReportedAsAFailureAndNeverFollowed) {
  plane_->misbehave(
      {{"count", 1}, {"status", 303}, {"location", plane_->url() + "/somewhere-else"}});
  Client client(config());
  ASSERT_TRUE(client.track("u", "E"));
  const FlushResult r = client.flush(10s);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.delivered, 0u);
  ASSERT_EQ(errors_.errors.size(), 1u);
  EXPECT_EQ(errors_.errors[0].kind, DeliveryError::Kind::http_status);
  EXPECT_EQ(errors_.errors[0].status, 303);
  EXPECT_NE(errors_.errors[0].message.find("redirect to \"" + plane_->url() + "/somewhere-else\""),
            std::string::npos)
      << errors_.errors[0].message;
  const json requests = plane_->requests();
  ASSERT_EQ(requests.size(), 1u) << "no second request: neither a retry nor a followed GET";
  EXPECT_EQ(requests[0]["method"], "POST");
  EXPECT_TRUE(plane_->events().empty());
}

TEST_F(ClientTest, ARequestLibcurlSendsAgainItselfIsCountedAndItsEventsAreUnknownNeverFailed) {
  // Found by a chaos trial: a 503 leaves the connection open for reuse; the next request is
  // stored and its connection dropped without an answer, which libcurl meets by sending the
  // request again on a fresh connection; that send is refused (400). The events were stored,
  // yet came out `failed`, and the batch went out once more than max_retries allows.
  plane_->misbehave({{"count", 1}, {"status", 503}});
  plane_->misbehave({{"count", 1}, {"dropAfterStore", true}});
  plane_->misbehave({{"count", 1}, {"status", 400}});
  Config c = config();
  c.max_retries = 3;
  Client client(c);
  ASSERT_TRUE(client.track("u", "A"));
  ASSERT_TRUE(client.track("u", "B"));
  const FlushResult r = client.flush(30s);
  EXPECT_EQ(plane_->requests().size(), 3u);
  EXPECT_EQ(plane_->events().size(), 2u) << "the dropped request's copy was stored";
  EXPECT_EQ(r.unknown, 2u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(client.stats().retried, 2u) << "libcurl's resend counted as an attempt";
  ASSERT_EQ(errors_.errors.size(), 1u);
  EXPECT_EQ(errors_.errors[0].kind, DeliveryError::Kind::unknown_outcome);
  EXPECT_EQ(errors_.errors[0].attempts, 3);
}

TEST_F(ClientTest, AnEndlessAnswerIsReadOnlyUpToTheCap) {
  plane_->misbehave({{"count", 1}, {"status", 400}, {"bodyBytes", 1LL << 30}});
  std::string logged;
  Config c = config();
  c.logger = [&logged](LogLevel, std::string_view line) { logged.append(line).push_back('\n'); };
  Client client(c);
  const long before = resident_kib();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.track("u", "E"));
  const FlushResult r = client.flush(30s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << "the gigabyte was not read";
  EXPECT_EQ(r.failed, 1u);
  ASSERT_EQ(errors_.errors.size(), 1u);
  EXPECT_EQ(errors_.errors[0].status, 400);
  EXPECT_EQ(errors_.errors[0].body.size(), 64u * 1024) << "kept up to the core's cap";
  EXPECT_LT(errors_.errors[0].message.size(), 300u) << "a message stays one readable line";
  EXPECT_LT(logged.size(), 400u) << logged.substr(0, 400);
  EXPECT_LT(resident_kib() - before, 64 * 1024) << "memory stayed bounded";
  // The client hung up instead of reading the rest: the data plane stopped writing early.
  std::this_thread::sleep_for(200ms);
  const json requests = plane_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_LT(requests[0]["bodyBytesSent"].get<double>(), 64.0 * 1024 * 1024) << requests[0];
}

TEST_F(ClientTest, RequestsThatStallPastTheTimeoutAreUnknownNeverLost) {
  // Each attempt is stored, then answered after the client stopped waiting.
  plane_->misbehave({{"count", 3}, {"delayMs", 1500}, {"storeBeforeDelay", true}});
  Config c = config();
  c.timeout = 400ms;
  c.max_retries = 2;
  Client client(c);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(client.track("u", "E", {{"i", i}}));
  const FlushResult r = client.flush(20s);
  EXPECT_EQ(r.unknown, 10u);
  EXPECT_EQ(r.failed, 0u) << "events that arrived must not be counted as lost";
  EXPECT_FALSE(r.ok());
  const Stats s = client.stats();
  EXPECT_EQ(s.unknown, 10u);
  EXPECT_EQ(s.failed, 0u);
  ASSERT_EQ(errors_.errors.size(), 1u);
  EXPECT_EQ(errors_.errors[0].kind, DeliveryError::Kind::unknown_outcome);
  EXPECT_EQ(errors_.errors[0].attempts, 3);
  // Every copy carries the same ten messageIds: the data plane's dedup keeps one of each.
  const json stored = plane_->events();
  EXPECT_EQ(stored.size(), 30u);
  EXPECT_EQ(message_ids(stored).size(), 10u);
}

TEST_F(ClientTest, AnOnErrorThatThrowsIsLoggedAndDeliveryGoesOn) {
  LogText log;
  Config c = config();
  c.on_error = [](const DeliveryError&, const std::vector<json>&) {
    throw std::runtime_error("handler failed");
  };
  c.logger = log.handler();
  plane_->misbehave({{"count", 1}, {"status", 400}});
  {
    Client client(c);
    ASSERT_TRUE(client.track("u", "refused"));
    EXPECT_EQ(client.flush(10s).failed, 1u);
    ASSERT_TRUE(client.track("u", "delivered"));
    EXPECT_TRUE(client.flush(10s));
  }
  {
    // Thrown from the report of what shutdown gives up on, in the destructor.
    Config down = c;
    down.data_plane_url = "http://127.0.0.1:" + std::to_string(testing::unused_port());
    down.shutdown_timeout = 0ms;
    down.on_error = [](const DeliveryError&, const std::vector<json>&) { throw 42; };
    Client client(down);
    ASSERT_TRUE(client.track("u", "never sent"));
  }
  const std::string logged = log.text();
  EXPECT_NE(logged.find("on_error threw: handler failed"), std::string::npos) << logged;
  EXPECT_NE(logged.find("on_error threw something that is not a std::exception"), std::string::npos)
      << logged;
  EXPECT_EQ(plane_->events().size(), 1u);
}

TEST_F(ClientTest, ASyncModeFlushKeepsItsDeadlineWhileAnotherCallWaitsOutRetryAfter) {
  plane_->misbehave({{"count", 1}, {"status", 503}, {"retryAfter", "3"}});
  Config c = config();
  c.sync_mode = true;
  Client client(c);
  std::thread caller([&] { EXPECT_TRUE(client.track("u", "waits out Retry-After")); });
  std::this_thread::sleep_for(300ms);  // the caller now waits, driving delivery
  const auto start = std::chrono::steady_clock::now();
  const FlushResult r = client.flush(500ms);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 1500ms) << "flush(500ms) waited for the other caller's Retry-After";
  EXPECT_GE(took, 450ms);
  EXPECT_EQ(r.pending, 1u);
  EXPECT_FALSE(r.ok());
  caller.join();
  EXPECT_EQ(client.stats().delivered, 1u);
}

TEST_F(ClientTest, TimestampsAcrossTheWholeCalendarArriveExactly) {
  Client client(config());
  const std::vector<std::string> times = {"0001-01-01T00:00:00.000Z", "1600-02-29T12:00:00.000Z",
                                          "2300-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"};
  for (const auto& t : times) {
    const Result r =
        client.submit({{"type", "track"}, {"userId", "u"}, {"event", t}, {"timestamp", t}});
    ASSERT_TRUE(r) << t << ": " << r.error;
  }
  const Result outside = client.submit(
      {{"type", "track"}, {"userId", "u"}, {"event", "E"}, {"timestamp", "10000-01-01T00:00:00Z"}});
  EXPECT_EQ(outside.status, Status::invalid);
  EXPECT_EQ(outside.error.rfind("timestamp: ", 0), 0u) << outside.error;
  ASSERT_TRUE(client.flush(10s));
  const json events = plane_->events();
  ASSERT_EQ(events.size(), times.size());
  for (const auto& e : events) EXPECT_EQ(e["timestamp"], e["event"]);
}

// ---- a transport of the user's ----------------------------------------------------------------

// Forwards to nothing: answers 200 from its own thread after a short while, remembering what
// it was asked to send.
class LateAnsweringTransport final : public Transport {
 public:
  void send(HttpRequest request, Done done) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      urls_.emplace_back(request.url);
      authorizations_.emplace_back(request.authorization);
      gzipped_ += request.gzipped ? 1 : 0;
    }
    std::thread([done = std::move(done)] {
      std::this_thread::sleep_for(20ms);
      HttpResponse ok;
      ok.status = 200;
      done(ok);
    }).detach();
  }
  std::vector<std::string> urls() {
    std::lock_guard<std::mutex> lock(mu_);
    return urls_;
  }
  std::vector<std::string> authorizations() {
    std::lock_guard<std::mutex> lock(mu_);
    return authorizations_;
  }
  int gzipped() {
    std::lock_guard<std::mutex> lock(mu_);
    return gzipped_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> urls_;
  std::vector<std::string> authorizations_;
  int gzipped_ = 0;
};

TEST_F(ClientTest, AUserTransportAnsweringFromItsOwnThreadDelivers) {
  auto transport = std::make_shared<LateAnsweringTransport>();
  Config c = config();
  c.upload_size = 10;
  c.transport = transport;
  Client client(c);
  for (int i = 0; i < 35; ++i) ASSERT_TRUE(client.track("u", "E"));
  const FlushResult r = client.flush(10s);
  EXPECT_TRUE(r);
  EXPECT_EQ(r.delivered, 35u);
  const auto urls = transport->urls();
  ASSERT_EQ(urls.size(), 4u);
  EXPECT_EQ(urls[0], plane_->url() + "/v1/batch");
  EXPECT_EQ(transport->authorizations()[0], "Basic dGVzdC13cml0ZS1rZXk6");  // test-write-key:
  EXPECT_EQ(transport->gzipped(), 4);
  EXPECT_TRUE(plane_->events().empty()) << "everything went through the user's transport";
}

// Answers at once, on the calling thread, as a blocking transport would.
class ImmediateTransport final : public Transport {
 public:
  explicit ImmediateTransport(int status) : status_(status) {}
  void send(HttpRequest, Done done) override {
    ++sends;
    HttpResponse r;
    r.status = status_;
    done(r);
  }
  std::atomic<int> sends{0};

 private:
  int status_;
};

TEST_F(ClientTest, AUserTransportAnsweringBeforeItReturnsDelivers) {
  auto transport = std::make_shared<ImmediateTransport>(200);
  Config c = config();
  c.transport = transport;
  Client client(c);
  for (int i = 0; i < 250; ++i) ASSERT_TRUE(client.track("u", "E"));
  EXPECT_TRUE(client.flush(10s));
  EXPECT_EQ(client.stats().delivered, 250u);
  EXPECT_EQ(transport->sends.load(), 3);
}

// Transport::send must not throw; one that does used to end the process from the worker. Each
// send here misbehaves in turn: throws a std::exception, throws something else, answers status
// 0 with no reason, then delivers.
class MisbehavingTransport final : public Transport {
 public:
  void send(HttpRequest, Done done) override {
    switch (sends++) {
      case 0:
        throw std::runtime_error("proxy down");
      case 1:
        throw 42;
      case 2:
        done(HttpResponse{});
        return;
      default: {
        HttpResponse ok;
        ok.status = 200;
        done(ok);
      }
    }
  }
  std::atomic<int> sends{0};
};

TEST_F(ClientTest, AThrowingUserTransportIsAFailedAttemptNotACrash) {
  auto transport = std::make_shared<MisbehavingTransport>();
  LogText logged;
  Config c = config();
  c.transport = transport;
  c.debug = true;
  c.logger = logged.handler();
  Client client(c);
  ASSERT_TRUE(client.track("u", "Through a bad transport"));
  const FlushResult r = client.flush(30s);
  EXPECT_TRUE(r) << r.last_attempt;
  EXPECT_EQ(r.delivered, 1u);
  EXPECT_EQ(transport->sends.load(), 4);
  const std::string log = logged.text();
  EXPECT_NE(log.find("answer: network error: the transport threw: proxy down; next attempt in "), std::string::npos) << log;
  EXPECT_NE(log.find("network error: the transport threw something that is not a std::exception"), std::string::npos) << log;
  EXPECT_NE(log.find("network error: no answer, and no reason given"), std::string::npos) << log;
}

// Never answers until told to, then answers after the client is gone.
class HeldTransport final : public Transport {
 public:
  void send(HttpRequest, Done done) override {
    std::lock_guard<std::mutex> lock(mu);
    held = std::move(done);
  }
  std::mutex mu;
  Done held;
};

TEST_F(ClientTest, AnAnswerAfterTheClientIsGoneIsIgnoredSafely) {
  auto transport = std::make_shared<HeldTransport>();
  Config c = config();
  c.transport = transport;
  c.shutdown_timeout = 200ms;
  {
    Client client(c);
    ASSERT_TRUE(client.track("u", "E"));
    const FlushResult r = client.shutdown(200ms);
    EXPECT_EQ(r.unknown, 1u) << "the request out may still arrive";
  }
  Transport::Done late;
  {
    std::lock_guard<std::mutex> lock(transport->mu);
    late = std::move(transport->held);
  }
  ASSERT_TRUE(late);
  HttpResponse ok;
  ok.status = 200;
  late(ok);  // the client is destroyed: nothing may touch it
}

}  // namespace
}  // namespace rudder
