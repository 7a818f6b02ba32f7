// Prints the native SDK's caller cost per track() call and its end-to-end delivery rate to a
// data plane. Run through bench/run.sh, which starts the servers it measures against.
// Usage: bench_native <data-plane-url> <label> [events] [storage-dir]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rudder/analytics.hpp"

namespace {

using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// CPU time of the calling thread: what a call costs its caller, without the time the OS gave
// the core to the worker, the data plane or anything else on this shared two-core machine.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string storage_dir;  // with a 4th argument: every run stores its events there

rudder::Config config_for(const std::string& url, std::size_t queue) {
  rudder::Config c;
  c.storage_dir = storage_dir;
  c.write_key = "test-write-key";
  c.data_plane_url = url;
  // A queue as long as the run: the calls outrun delivery, and the benchmark measures both
  // sides, not refusals. The reference's other defaults: batches of 100, gzip on.
  c.max_queue_size = queue;
  c.max_queue_bytes = c.max_storage_bytes = std::size_t{4} << 30;
  c.on_error = [](const rudder::DeliveryError& e, const std::vector<rudder::json>& events) {
    std::fprintf(stderr, "bench: %zu events not delivered: %s\n", events.size(), e.message.c_str());
  };
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_native <data-plane-url> <label> [events] [storage-dir]\n");
    return 2;
  }
  const std::string url = argv[1];
  const std::string label = argv[2];
  const std::size_t events = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1'000'000;
  if (argc > 4) storage_dir = argv[4];
  // Built once: the benchmark measures the SDK, not the caller building its JSON.
  const rudder::json properties = {
      {"title", "The Independence"}, {"author", "John Doe"}, {"words", 1843}, {"rating", 4.5}};

  // Caller cost: the CPU time a track() call takes on the caller's thread, measured while the
  // worker is delivering (so it competes for the same two cores, as in production); then the
  // same calls with send=false, which is validation and serialization alone. Five rounds each,
  // the queue drained between rounds; the median is printed with the range, since a shared
  // machine makes single rounds noisy.
  const std::size_t calls_per_round = std::max<std::size_t>(events / 25, 1);
  for (const bool send : {true, false}) {
    rudder::Config c = config_for(url, events);
    c.send = send;
    rudder::Client client(c);
    constexpr int kWarmup = 20'000;
    for (int i = 0; i < kWarmup; ++i) client.track("user-" + std::to_string(i % 1000), "Warm Up", properties);
    client.flush(std::chrono::seconds(60));
    std::vector<double> per_call_us;
    std::size_t refused = 0;
    for (int round = 0; round < 5; ++round) {
      const double cpu_start = thread_cpu_seconds();
      for (std::size_t i = 0; i < calls_per_round; ++i) {
        refused += !client.track("user-42", "Article Read", properties).ok();
      }
      per_call_us.push_back((thread_cpu_seconds() - cpu_start) * 1e6 /
                            static_cast<double>(calls_per_round));
      client.flush(std::chrono::seconds(60));
    }
    std::sort(per_call_us.begin(), per_call_us.end());
    std::printf("%-28s %s %.3f us CPU per track() (median of 5 rounds of %zu; %.3f to %.3f), %zu refused\n",
                label.c_str(), send ? "caller cost:" : "build only: ", per_call_us[2],
                calls_per_round, per_call_us.front(), per_call_us.back(), refused);
  }

  // End to end: from the first call until flush() confirms every event was acknowledged.
  {
    rudder::Client client(config_for(url, events));
    const auto start = SteadyClock::now();
    for (std::size_t i = 0; i < events; ++i) client.track("user-42", "Article Read", properties);
    const bool flushed = client.flush(std::chrono::seconds(300)).ok();
    const double elapsed = seconds_since(start);
    const rudder::Stats s = client.stats();
    std::printf("%-28s end to end: %.0f events/s delivered (%llu of %zu in %.2f s%s)\n",
                label.c_str(), static_cast<double>(s.delivered) / elapsed,
                static_cast<unsigned long long>(s.delivered), events, elapsed,
                flushed ? "" : ", flush timed out");
    if (s.delivered != events) return 1;
  }
  return 0;
}
