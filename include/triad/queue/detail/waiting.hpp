// Waiting helpers shared by the queues: a chain of dequeued WaitNodes to wake after the
// internal lock is released, a bounded pre-park spin for OS threads, and the cold throw
// paths (out of line, so the templates stay small).
#pragma once

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

// Before an OS thread parks on a queue it spins briefly on the queue's own state (up to
// park_spin(), bounded by the deadline): in a producer/consumer pair the other side usually
// acts within microseconds, and seeing it here saves both the futex sleep and the waker's
// wake-up call. Green threads and other contexts never spin (their park is a cheap switch).
// Returns whether `ready()` became true.
inline bool spin_allowed() noexcept {
  return &current_parking_context() == &thread_parking_context() &&
         park_spin() > std::chrono::nanoseconds::zero();
}

template <class Ready>
bool spin_until(Ready&& ready, Deadline deadline) noexcept {
  const auto budget = park_spin();
  auto limit = Clock::now() + budget;
  if (!deadline.is_never() && deadline.time_point() < limit) limit = deadline.time_point();
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
    if (Clock::now() >= limit) return false;
  }
}

[[noreturn]] void throw_queue_full();
[[noreturn]] void throw_queue_empty();
[[noreturn]] void throw_queue_shut_down();
[[noreturn]] void throw_task_done_too_many();

}  // namespace triad::detail
