// rudder-analytics native platform: gzip on a thread of its own.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/driver.hpp"
#include "native/gzip.hpp"

namespace rudder::native {

/// Compresses request bodies on a thread of its own ("rudder-gzip"), so that while the worker
/// sends one body and builds the next, another core compresses: compression was half of the
/// worker's time, and the worker alone set the end-to-end rate.
///
/// Threads: compress() and deliver() belong to the driving context (the worker thread). The
/// compression thread only compresses copies and parks the results; their `done` callbacks run
/// in deliver(), on the driving context, as the driver wants them. `finished` is called on the
/// compression thread after each result is parked, without this object's lock held: the
/// platform wakes its driving context with it, and it must not call back into this object.
class GzipThread final : public core::Compressor {
 public:
  /// `level`: libdeflate's 1 (fastest) to 12 (smallest).
  GzipThread(int level, std::function<void()> finished);
  /// Stops and joins the thread. Results not delivered are dropped with their callbacks.
  ~GzipThread() override;
  GzipThread(const GzipThread&) = delete;
  GzipThread& operator=(const GzipThread&) = delete;

  /// Copies `plain` and returns at once; the thread starts with the first call.
  void compress(std::string_view plain, Done done) override;

  /// Runs the `done` of every compression finished since the last call, in the order they
  /// were asked for.
  void deliver();

  /// In a forked child, where the thread does not exist: forgets the parent's compressions
  /// (their bodies are the parent's to send) and rebuilds the lock the thread may have held.
  void forget_after_fork() noexcept;

 private:
  struct Job {
    std::string plain;
    Done done;
  };
  struct Finished {
    Done done;
    std::optional<std::string> gzipped;
  };

  void run();

  Gzipper gzip_;  // used by the compression thread only
  const std::function<void()> finished_;
  std::mutex mu_;
  std::condition_variable work_cv_;  // wakes the thread: a job, or stop
  std::deque<Job> jobs_;             // by mu_
  std::vector<Finished> done_;       // by mu_
  bool stop_ = false;                // by mu_
  std::thread thread_;               // the driving context's
};

}  // namespace rudder::native
