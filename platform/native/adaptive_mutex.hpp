// rudder-analytics native platform: the driver's lock, which spins briefly before it sleeps.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

#include <pthread.h>

namespace rudder::native {

/// A mutex that, when taken, spins a little while the holder runs before putting the
/// caller to sleep (glibc's PTHREAD_MUTEX_ADAPTIVE_NP; a plain mutex elsewhere).
///
/// Why: the driver's lock is held for a few hundred nanoseconds at a time (an event copied
/// into the queue, a batch cut), but a caller that found it taken by the worker went to
/// sleep in the kernel and was woken again, which on this project's test VM cost more than
/// the call itself: a tenth of a track() call's CPU in the benchmark went to those sleeps.
/// Spinning for about as long as the lock is usually held avoids them.
///
/// Threading: as std::mutex (BasicLockable; not recursive). Errors: none; lock() cannot fail
/// for a mutex used correctly.
class AdaptiveMutex {
 public:
  AdaptiveMutex() noexcept {
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
    pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    pthread_mutex_init(&mutex_, &attributes);
    pthread_mutexattr_destroy(&attributes);
  }
  ~AdaptiveMutex() { pthread_mutex_destroy(&mutex_); }
  AdaptiveMutex(const AdaptiveMutex&) = delete;
  AdaptiveMutex& operator=(const AdaptiveMutex&) = delete;

  void lock() noexcept { pthread_mutex_lock(&mutex_); }
  bool try_lock() noexcept { return pthread_mutex_trylock(&mutex_) == 0; }
  void unlock() noexcept { pthread_mutex_unlock(&mutex_); }

 private:
  pthread_mutex_t mutex_;
};

}  // namespace rudder::native
