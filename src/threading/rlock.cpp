#include "triad/threading/rlock.hpp"

#include "triad/core/error.hpp"

namespace triad {

bool RLock::acquire(bool blocking, Timeout timeout) {
  const std::uintptr_t me = detail::current_owner_id();
  detail::check_acquire_args(blocking, timeout);
  if (reenter(me)) return true;
  if (!lock_.acquire(blocking, timeout)) return false;
  take(me);
  return true;
}

void RLock::release() {
  if (!is_owned()) throw RuntimeError("cannot release un-acquired lock");
  if (--count_ == 0) {
    owner_.store(0, std::memory_order_relaxed);
    lock_.release();
  }
}

std::size_t RLock::release_save() noexcept {
  const std::size_t count = count_;
  count_ = 0;
  owner_.store(0, std::memory_order_relaxed);
  lock_.release();  // cannot throw: the caller owns it, so it is locked
  return count;
}

void RLock::acquire_restore(std::size_t count) {
  lock_.acquire();
  owner_.store(detail::current_owner_id(), std::memory_order_relaxed);
  count_ = count;
}

}  // namespace triad
