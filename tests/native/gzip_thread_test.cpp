// The compression thread: what it makes is the gzip of the body it was given (even when the
// driver let go of the body at once), its results reach the driver only on the driving thread
// and in order, and it wakes the driving thread when one is ready.
#include "native/gzip_thread.hpp"

#include <gtest/gtest.h>
#include <libdeflate.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using rudder::native::GzipThread;
using namespace std::chrono_literals;

std::string gunzip(const std::string& gz, std::size_t plain_size) {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  std::string out(plain_size, '\0');
  std::size_t got = 0;
  const libdeflate_result r = libdeflate_gzip_decompress(d, gz.data(), gz.size(), out.data(), out.size(), &got);
  libdeflate_free_decompressor(d);
  if (r != LIBDEFLATE_SUCCESS) return "<not gzip>";
  out.resize(got);
  return out;
}

std::string body(int n) {
  std::string s = "{\"batch\":[";
  for (int i = 0; i < 200; ++i) s += "{\"event\":\"Article Read " + std::to_string(n * 1000 + i) + "\"},";
  s.back() = ']';
  return s + "}";
}

// Counts the wake-ups the thread gives, and lets the test wait for them.
struct Waker {
  std::mutex mu;
  std::condition_variable cv;
  int wakes = 0;
  void operator()() {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++wakes;
    }
    cv.notify_all();
  }
  bool wait_for(int n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, 10s, [&] { return wakes >= n; });
  }
};

TEST(GzipThread, ResultsAreTheGzipOfEachBodyDeliveredInOrderOnTheDeliveringThreadOnly) {
  Waker waker;
  GzipThread gzip(1, [&] { waker(); });
  const std::thread::id driving = std::this_thread::get_id();
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  std::vector<std::string> plains;
  for (int n = 0; n < 5; ++n) {
    plains.push_back(body(n));
    // The body is a temporary: gone when compress() returns, as a driver may let it go.
    gzip.compress(std::string(plains.back()), [&, n](std::optional<std::string> gz) {
      order.push_back(n);
      threads.push_back(std::this_thread::get_id());
      ASSERT_TRUE(gz.has_value());
      EXPECT_LT(gz->size(), plains[n].size() / 2) << "compressed";
      EXPECT_EQ(gunzip(*gz, plains[n].size()), plains[n]);
    });
  }
  ASSERT_TRUE(waker.wait_for(5)) << "each finished compression wakes the driving thread";
  EXPECT_TRUE(order.empty()) << "no callback runs on the compression thread";
  gzip.deliver();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  for (const auto& id : threads) EXPECT_EQ(id, driving);
  gzip.deliver();
  EXPECT_EQ(order.size(), 5u) << "each callback runs once";
}

TEST(GzipThread, StoppingWithCompressionsPendingNeitherWaitsForThemNorCallsBack) {
  std::atomic<int> callbacks{0};
  {
    GzipThread gzip(1, [] {});
    for (int n = 0; n < 50; ++n) gzip.compress(body(n), [&](std::optional<std::string>) { ++callbacks; });
  }
  EXPECT_EQ(callbacks.load(), 0) << "results are the driver's to collect; a stopped client collects none";
}

}  // namespace
