#include "triad/threading/lock.hpp"

#include "triad/core/detail/cpu_relax.hpp"
#include "triad/core/error.hpp"

namespace triad {
namespace {

// How many times a contended acquire polls the word before it parks (a few microseconds):
// critical sections are usually shorter than a futex round trip.
constexpr int kSpinPolls = 100;
// A release hands the lock to the longest waiter at least this often (see the header).
constexpr std::int64_t kFairIntervalNs = 1'000'000;
// WaitNode::tag values.
constexpr std::uintptr_t kHandedOff = 1;

std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool Lock::try_acquire_once() noexcept {
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  while ((s & kLocked) == 0) {
    if (state_.compare_exchange_weak(s, s | kLocked, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

bool Lock::acquire_slow(Deadline deadline) {
  // Spin while the holder is running and nobody is parked yet.
  for (int i = 0; i < kSpinPolls; ++i) {
    const std::uint32_t s = state_.load(std::memory_order_relaxed);
    if ((s & kLocked) == 0) {
      if (try_acquire_once()) return true;
      continue;
    }
    if ((s & kParked) != 0 || deadline.expired()) break;
    detail::cpu_relax();
  }

  bool passed_over = false;  // woken once without the lock: queue at the front next time
  for (;;) {
    if (try_acquire_once()) return true;
    if (deadline.expired()) return false;

    WaitNode node;
    guard_.lock();
    std::uint32_t s = state_.load(std::memory_order_relaxed);
    for (;;) {
      if ((s & kLocked) == 0) {
        if (state_.compare_exchange_weak(s, s | kLocked, std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
          guard_.unlock();
          return true;
        }
        continue;
      }
      if ((s & kParked) != 0 ||
          state_.compare_exchange_weak(s, s | kParked, std::memory_order_relaxed,
                                       std::memory_order_relaxed)) {
        break;
      }
    }
    if (passed_over) {
      waiters_.push_front(node);
    } else {
      waiters_.push_back(node);
    }
    guard_.unlock();

    bool woken = false;
    try {
      woken = park_and_resolve(node, waiters_, guard_, deadline);
    } catch (...) {  // an interrupt (parking.hpp): keep kParked exact, then leave
      guard_.lock();
      if (waiters_.empty()) state_.fetch_and(~kParked, std::memory_order_relaxed);
      guard_.unlock();
      throw;
    }
    if (!woken) {
      guard_.lock();
      if (waiters_.empty()) state_.fetch_and(~kParked, std::memory_order_relaxed);
      guard_.unlock();
      return try_acquire_once();  // one last look: it may have just been released
    }
    if (node.tag == kHandedOff) return true;  // the releaser kept it locked for us
    passed_over = true;
  }
}

void Lock::release_slow() {
  guard_.lock();
  WaitNode* next = waiters_.pop_front();
  bool hand_off = false;
  if (next != nullptr) {
    const std::int64_t now = now_ns();
    if (now >= next_fair_ns_) {
      hand_off = true;
      next_fair_ns_ = now + kFairIntervalNs;
    }
  }
  const std::uint32_t desired = (hand_off ? kLocked : 0U) | (waiters_.empty() ? 0U : kParked);
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  do {
    if ((s & kLocked) == 0) {
      if (next != nullptr) waiters_.push_front(*next);
      guard_.unlock();
      throw RuntimeError("release unlocked lock");
    }
  } while (!state_.compare_exchange_weak(s, desired, std::memory_order_release,
                                         std::memory_order_relaxed));
  if (next != nullptr) next->tag = hand_off ? kHandedOff : 0;
  guard_.unlock();
  if (next != nullptr) next->context->unpark(*next);
}

}  // namespace triad
