// Waiting helpers shared by the queues: a chain of dequeued WaitNodes to wake after the
// internal lock is released, a bounded pre-park spin for OS threads, and the cold throw
// paths (out of line, so the templates stay small).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "triad/core/detail/cpu_relax.hpp"
#include "triad/core/parking.hpp"
#include "triad/core/timeout.hpp"

namespace triad::detail {

// What a queue's waker tells a parked waiter (stored in WaitNode::tag before the unpark).
enum QueueWake : std::uintptr_t {
  kQueuePutMove = 1,  // putter, request: move the item at slot
  kQueuePutCopy = 2,  // putter, request: copy the item at slot
  kQueueHanded = 3,   // getter: the item is in the std::optional<T> at slot
  kQueueDone = 4,     // putter: the item was taken into the queue
  kQueueRetry = 5,    // anyone: look again (shutdown, or a hand-off that threw)
};

// Nodes popped from WaitLists under the internal lock, woken after it is released. Once a
// node is popped no list owns it, so its `next` link is free to chain it here; the waiter
// cannot return before its unpark, which is the last access to the node.
class WakeChain {
 public:
  WakeChain() = default;
  WakeChain(const WakeChain&) = delete;
  WakeChain& operator=(const WakeChain&) = delete;
  ~WakeChain() { unpark_all(); }

  // Under the lock: takes a popped node, telling it `tag`.
  void add(WaitNode* node, std::uintptr_t tag) noexcept {
    node->tag = tag;
    node->next = nullptr;
    if (tail_) {
      tail_->next = node;
    } else {
      head_ = node;
    }
    tail_ = node;
  }
  // Under the lock: pops every node of `list`.
  void add_all(WaitList& list, std::uintptr_t tag) noexcept {
    while (WaitNode* node = list.pop_front()) add(node, tag);
  }
  // After the lock is released.
  void unpark_all() noexcept {
    WaitNode* node = head_;
    head_ = tail_ = nullptr;
    while (node) {
      WaitNode* next = node->next;  // read before the unpark: the node may vanish after it
      node->context->unpark(*node);
      node = next;
    }
  }

 private:
  WaitNode* head_ = nullptr;
  WaitNode* tail_ = nullptr;
};

// Before an OS thread parks on a queue it spins briefly on the queue's own state: in a
// producer/consumer pair running on two CPUs the other side usually acts within a few
// microseconds, and seeing it here saves the futex sleep, the wake-up latency and the
// waker's unpark. Spinning only pays when the other side is running, though: on an
// oversubscribed machine (or with both threads on one CPU) every spin is lost time. So the
// budget adapts per queue: a spin that succeeds doubles it (up to park_spin()), one that runs
// out halves it (down to a floor of about a microsecond, which keeps probing).
// Green threads and other contexts never spin (their park is a cheap switch).
class SpinTuner {
 public:
  // Whether the calling context should spin at all (an OS thread, spinning enabled).
  static bool allowed() noexcept {
    return &current_parking_context() == &thread_parking_context() &&
           park_spin() > std::chrono::nanoseconds::zero();
  }

  // Spins until ready() holds (true), or the budget or the deadline runs out (false).
  template <class Ready>
  bool spin_until(Ready&& ready, Deadline deadline) noexcept {
    const std::int64_t max_ns = park_spin().count();
    std::int64_t budget = budget_ns_.load(std::memory_order_relaxed);
    if (budget < 0 || budget > max_ns) budget = max_ns;  // first use, or park_spin() shrank
    if (budget < kFloorNs) budget = kFloorNs;
    const auto start = Clock::now();
    auto limit = start + std::chrono::nanoseconds(budget);
    bool by_deadline = false;
    if (!deadline.is_never() && deadline.time_point() < limit) {
      limit = deadline.time_point();
      by_deadline = true;
    }
    for (;;) {
      for (int i = 0; i < 32; ++i) {
        if (ready()) {
          budget_ns_.store(std::min(max_ns, 2 * budget), std::memory_order_relaxed);
          return true;
        }
        cpu_relax();
      }
      if (Clock::now() >= limit) {
        if (!by_deadline) budget_ns_.store(budget / 2, std::memory_order_relaxed);
        return false;
      }
    }
  }

 private:
  static constexpr std::int64_t kFloorNs = 1000;
  std::atomic<std::int64_t> budget_ns_{-1};
};

[[noreturn]] void throw_queue_full();
[[noreturn]] void throw_queue_empty();
[[noreturn]] void throw_queue_shut_down();
[[noreturn]] void throw_task_done_too_many();

}  // namespace triad::detail
