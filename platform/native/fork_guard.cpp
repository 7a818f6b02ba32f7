// rudder-analytics native platform: keeps clients usable across fork().
// Copyright the rudder-analytics authors. MIT licence.
#include "native/fork_guard.hpp"

#include <pthread.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "native/entropy.hpp"

namespace rudder::native {
namespace {

// Leaked on purpose: the atfork handlers may run during static destruction.
std::mutex& registry_mutex() {
  static auto* m = new std::mutex;
  return *m;
}
std::vector<ForkAware*>& registry() {
  static auto* clients = new std::vector<ForkAware*>;
  return *clients;
}

void prepare() {
  registry_mutex().lock();
  for (ForkAware* c : registry()) c->before_fork();
}
void in_parent() {
  for (ForkAware* c : registry()) c->after_fork_parent();
  registry_mutex().unlock();
}
void in_child() {
  note_fork_in_child();
  for (ForkAware* c : registry()) c->after_fork_child();
  registry_mutex().unlock();
}

}  // namespace

void register_for_fork(ForkAware* client) {
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(prepare, in_parent, in_child); });
  std::lock_guard<std::mutex> lock(registry_mutex());
  registry().push_back(client);
}

void unregister_for_fork(ForkAware* client) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto& r = registry();
  r.erase(std::remove(r.begin(), r.end(), client), r.end());
}

}  // namespace rudder::native
