#include "triad/threading/semaphore.hpp"

#include <limits>

#include "triad/core/error.hpp"
#include "triad/threading/detail/wake_chain.hpp"

namespace triad {

// How a release and a parking acquirer never miss each other: the acquirer, under guard_,
// increments n_waiters_ and then re-reads value_; the releaser adds to value_ and then reads
// n_waiters_. All four accesses are sequentially consistent, so either the acquirer sees the
// new permits, or the releaser sees the waiter and takes the slow path (which needs guard_,
// so it runs after the acquirer has queued its node).

Semaphore::Semaphore(std::ptrdiff_t value) : Semaphore(value, -1) {}

Semaphore::Semaphore(std::ptrdiff_t value, std::ptrdiff_t bound) : value_(value), bound_(bound) {
  if (value < 0) throw ValueError("semaphore initial value must be >= 0");
}

BoundedSemaphore::BoundedSemaphore(std::ptrdiff_t value) : Semaphore(value, value) {}

void Semaphore::release(std::size_t n) {
  if (n < 1) throw ValueError("n must be one or more");
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());
  if (n > kMax) throw ValueError("n is too large");
  const auto delta = static_cast<std::ptrdiff_t>(n);
  if (bound_ < 0) {
    value_.fetch_add(delta, std::memory_order_seq_cst);
  } else {
    std::ptrdiff_t v = value_.load(std::memory_order_relaxed);
    do {
      if (v > bound_ - delta) throw ValueError("Semaphore released too many times");
    } while (!value_.compare_exchange_weak(v, v + delta, std::memory_order_seq_cst,
                                           std::memory_order_relaxed));
  }
  if (n_waiters_.load(std::memory_order_seq_cst) != 0) wake_waiters();
}

void Semaphore::wake_waiters() {
  detail::WakeChain wake;
  guard_.lock();
  while (!waiters_.empty()) {
    std::ptrdiff_t v = value_.load(std::memory_order_relaxed);
    bool took = false;
    while (v > 0) {
      if (value_.compare_exchange_weak(v, v - 1, std::memory_order_acq_rel,
                                       std::memory_order_relaxed)) {
        took = true;
        break;
      }
    }
    if (!took) break;
    WaitNode* node = waiters_.pop_front();
    n_waiters_.fetch_sub(1, std::memory_order_relaxed);
    wake.add(*node, 0);
  }
  guard_.unlock();
  wake.unpark_all();
}

bool Semaphore::acquire_slow(Deadline deadline) {
  WaitNode node;
  guard_.lock();
  n_waiters_.fetch_add(1, std::memory_order_seq_cst);
  std::ptrdiff_t v = value_.load(std::memory_order_seq_cst);
  while (v > 0) {
    if (value_.compare_exchange_weak(v, v - 1, std::memory_order_seq_cst,
                                     std::memory_order_seq_cst)) {
      n_waiters_.fetch_sub(1, std::memory_order_relaxed);
      guard_.unlock();
      return true;
    }
  }
  if (deadline.expired()) {
    n_waiters_.fetch_sub(1, std::memory_order_relaxed);
    guard_.unlock();
    return false;
  }
  waiters_.push_back(node);
  guard_.unlock();
  bool handed = false;
  try {
    handed = park_and_resolve(node, waiters_, guard_, deadline);
  } catch (...) {  // an interrupt (parking.hpp): no longer waiting
    n_waiters_.fetch_sub(1, std::memory_order_relaxed);
    throw;
  }
  if (handed) return true;  // a permit was handed over
  n_waiters_.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

}  // namespace triad
