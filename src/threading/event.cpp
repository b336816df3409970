#include "triad/threading/event.hpp"

#include "triad/threading/detail/wake_chain.hpp"

namespace triad {

// A waiter sets kWaiters under guard_ (atomically with checking kSet) before it queues; set()
// sets kSet and, if it saw kWaiters, takes guard_ to wake the queue. So either the waiter
// sees kSet, or set() sees kWaiters and finds the waiter queued.

void Event::wake_all() noexcept {
  detail::WakeChain wake;
  guard_.lock();
  wake.take_all(waiters_, 0);
  state_.fetch_and(~kWaiters, std::memory_order_relaxed);
  guard_.unlock();
  wake.unpark_all();
}

bool Event::wait_slow(Deadline deadline) {
  if (deadline.expired()) return is_set();
  WaitNode node;
  guard_.lock();
  std::uint32_t s = state_.load(std::memory_order_acquire);
  do {
    if ((s & kSet) != 0) {
      guard_.unlock();
      return true;
    }
  } while ((s & kWaiters) == 0 &&
           !state_.compare_exchange_weak(s, s | kWaiters, std::memory_order_acq_rel,
                                         std::memory_order_acquire));
  waiters_.push_back(node);
  guard_.unlock();
  return park_and_resolve(node, waiters_, guard_, deadline);
}

}  // namespace triad
