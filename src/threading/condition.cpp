#include "triad/threading/condition.hpp"

#include "triad/core/error.hpp"
#include "triad/threading/detail/wake_chain.hpp"

namespace triad {

Condition::Condition() : own_(std::in_place), rlock_(&*own_) {}
Condition::Condition(Lock& lock) noexcept : lock_(&lock) {}
Condition::Condition(RLock& lock) noexcept : rlock_(&lock) {}
Condition::~Condition() = default;

bool Condition::acquire(bool blocking, Timeout timeout) {
  return lock_ != nullptr ? lock_->acquire(blocking, timeout) : rlock_->acquire(blocking, timeout);
}

void Condition::release() {
  if (lock_ != nullptr) {
    lock_->release();
  } else {
    rlock_->release();
  }
}

bool Condition::is_owned() const noexcept {
  return lock_ != nullptr ? lock_->locked() : rlock_->is_owned();
}

bool Condition::wait_until(Deadline deadline) {
  if (!is_owned()) throw RuntimeError("cannot wait on un-acquired lock");
  WaitNode node;
  // Queue first, then release: a notify issued after our release must find us.
  guard_.lock();
  waiters_.push_back(node);
  guard_.unlock();

  std::size_t saved = 0;
  if (lock_ != nullptr) {
    try {
      lock_->release();  // throws only if another thread released it under us
    } catch (...) {
      guard_.lock();
      const bool queued = waiters_.remove(node);
      guard_.unlock();
      if (!queued) node.context->park(node, Deadline::never());  // a notify is in flight
      throw;
    }
  } else {
    saved = rlock_->release_save();
  }
  bool notified = false;
  try {
    notified = park_and_resolve(node, waiters_, guard_, deadline);
  } catch (...) {
    // An interrupt ended the wait (a green thread's kill/Timeout, parking.hpp): as Python's
    // wait() does in its `finally`, re-acquire the lock before the exception leaves.
    if (lock_ != nullptr) {
      lock_->acquire();
    } else {
      rlock_->acquire_restore(saved);
    }
    throw;
  }
  if (lock_ != nullptr) {
    lock_->acquire();
  } else {
    rlock_->acquire_restore(saved);
  }
  return notified;
}

void Condition::notify(std::size_t n) {
  if (!is_owned()) throw RuntimeError("cannot notify on un-acquired lock");
  if (n == 0) return;
  detail::WakeChain wake;  // pop under the guard, unpark after it (parking.hpp)
  guard_.lock();
  for (; n > 0; --n) {
    WaitNode* node = waiters_.pop_front();
    if (node == nullptr) break;
    wake.add(*node, 0);
  }
  guard_.unlock();
  wake.unpark_all();
}

void Condition::notify_all() {
  notify(static_cast<std::size_t>(-1));
}

}  // namespace triad
