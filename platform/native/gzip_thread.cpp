// rudder-analytics native platform: gzip on a thread of its own.
// Copyright the rudder-analytics authors. MIT licence.
#include "native/gzip_thread.hpp"

#include <pthread.h>

#include <utility>

namespace rudder::native {

GzipThread::GzipThread(int level, std::function<void()> finished)
    : gzip_(level), finished_(std::move(finished)) {}

GzipThread::~GzipThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void GzipThread::compress(std::string_view plain, Done done) {
  // A copy: the driver may let go of its body before the compression ends (a batch split or
  // given up on meanwhile), and copying 50 KB costs a few microseconds against milliseconds
  // of compression.
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(Job{std::string(plain), std::move(done)});
  }
  if (!thread_.joinable()) {
    thread_ = std::thread(&GzipThread::run, this);
  } else {
    work_cv_.notify_one();
  }
}

void GzipThread::deliver() {
  std::vector<Finished> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_.empty()) return;
    finished.swap(done_);
  }
  for (Finished& f : finished) f.done(std::move(f.gzipped));
}

void GzipThread::run() {
  pthread_setname_np(pthread_self(), "rudder-gzip");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    if (stop_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    std::optional<std::string> gzipped;
    gzip_.compress(job.plain, [&gzipped](std::optional<std::string> out) { gzipped = std::move(out); });
    lock.lock();
    done_.push_back(Finished{std::move(job.done), std::move(gzipped)});
    lock.unlock();
    finished_();
    lock.lock();
  }
}

void GzipThread::forget_after_fork() noexcept {
  // Rebuilt in place, not destroyed: destroying a lock the vanished thread held, or a thread
  // object that is still joinable, is undefined or ends the process. The bytes stay allocated.
  new (&mu_) std::mutex();
  new (&work_cv_) std::condition_variable();
  new (&jobs_) std::deque<Job>();
  new (&done_) std::vector<Finished>();
  new (&thread_) std::thread();
  stop_ = false;
}

}  // namespace rudder::native
