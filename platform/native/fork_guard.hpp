// rudder-analytics native platform: keeps clients usable across fork().
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

namespace rudder::native {

/// What a client does around fork(). All three run with the registry locked.
class ForkAware {
 public:
  virtual void before_fork() noexcept = 0;    ///< take every lock, so none is held mid-change
  virtual void after_fork_parent() noexcept = 0;  ///< release them
  virtual void after_fork_child() noexcept = 0;   ///< release them and restart from scratch

 protected:
  ~ForkAware() = default;
};

/// Registers `client` for fork handling (pthread_atfork is installed on first use).
void register_for_fork(ForkAware* client);
void unregister_for_fork(ForkAware* client);

}  // namespace rudder::native
