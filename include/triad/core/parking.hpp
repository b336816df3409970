// The parking interface: how every triad primitive blocks.
//
// A Lock, Event, Semaphore, Queue or Future never calls a futex, a condition variable or a
// hub directly. It keeps a list of WaitNodes (one per blocked waiter, living on the waiter's
// stack) guarded by its own short internal lock, and blocks the caller through the
// ParkingContext of the calling execution context:
//
//   OS thread    -> a futex on WaitNode::state (this file's default context),
//   green thread -> a switch to its hub          (extension point: triad::green installs it),
//   coroutine    -> primitives offer awaitables instead of parking (triad::aio).
//
// The protocol, for a primitive's implementer:
//
//   waiter                                     waker
//   ------                                     -----
//   lock(internal)                             lock(internal)
//   if (can proceed) { ...; unlock; return; }  node = list.pop_front()   // hand-off decided here
//   WaitNode node; list.push_back(node)        unlock(internal)
//   unlock(internal)                           node->context->unpark(*node)   // exactly once
//   r = current_parking_context().park(node, deadline)
//   if (r == timed_out) {
//     lock(internal)
//     if (list.remove(node)) { unlock; return timeout; }   // still queued: a true timeout
//     unlock(internal)
//     park(node, Deadline::never())          // dequeued by a waker: the unpark is in flight
//   }
//   // woken: the waker decided in our favour (e.g. handed us the lock or the item)
//
// Guarantees of every ParkingContext:
// - park(node, deadline) returns `woken` iff unpark(node) happened; otherwise it returns
//   `timed_out` once the deadline has passed. It may be called again on the same node after
//   a `timed_out` (with Deadline::never()) to await an unpark known to be in flight.
// - unpark(node) is thread-safe, may be called from any execution context, never blocks and
//   never throws. Its last access to *node is the release-store of `state`; after that the
//   waiter may return and destroy the node. (A futex wake on the node's address after that
//   point is harmless: it touches no memory.)
// - Memory ordering: everything the waker wrote before unpark() is visible to the waiter
//   after park() returns `woken`.
// - Interrupts: a context may end a park early, as if its deadline had passed, to deliver an
//   interrupt (a green thread's kill() or gevent Timeout). park_and_resolve() then calls
//   check_interrupt() once the node is resolved as a true timeout (off the list, the
//   primitive's lock released), which throws the interrupt's exception. So the code of a
//   primitive after park_and_resolve() must be exception-safe: undo what the wait set up
//   (a waiter count, a released Condition lock, a Barrier count) before the exception leaves.
//   A re-park that awaits an unpark in flight (park(node, Deadline::never()) after a
//   `timed_out` on the same node) is never ended early.
//
// Which context is current: an OS thread starts with the futex context; triad::green's hub
// installs its own context while a green thread runs (exchange_parking_context).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "triad/core/timeout.hpp"

namespace triad {

enum class ParkResult : std::uint8_t { woken, timed_out };

class ParkingContext;

// One waiter's record. Lives on the waiter's stack while it waits; the primitive links it
// into its own WaitList under its internal lock.
struct WaitNode {
  WaitNode() noexcept;
  WaitNode(const WaitNode&) = delete;
  WaitNode& operator=(const WaitNode&) = delete;

  // 0 while waiting, 1 once unparked; contexts may use other values while parked (the
  // OS-thread context marks 2 = asleep in the futex, so a waker only makes a syscall then).
  std::atomic<std::uint32_t> state{0};
  // The context that parks this node; captured at construction from the current one.
  ParkingContext* context;
  // Free for the primitive: what the waiter wants (permits, a write/read flag, ...).
  std::uintptr_t tag = 0;
  // Free for the primitive: where a waker hands over a value (a queue item, a result).
  void* slot = nullptr;

  // Links, owned by the WaitList holding the node (guarded by the primitive's lock).
  WaitNode* prev = nullptr;
  WaitNode* next = nullptr;
  bool linked = false;
};

// An execution context that can block. See the protocol above.
class ParkingContext {
 public:
  ParkingContext() = default;
  ParkingContext(const ParkingContext&) = delete;
  ParkingContext& operator=(const ParkingContext&) = delete;
  virtual ~ParkingContext() = default;

  // Blocks the calling context until unpark(node) or the deadline. See the guarantees above.
  virtual ParkResult park(WaitNode& node, Deadline deadline) = 0;
  // Wakes the waiter of node. Exactly once per park that was decided in the waiter's favour.
  virtual void unpark(WaitNode& node) noexcept = 0;
  // Called (by park_and_resolve) on the waiting context after a park that ended without an
  // unpark was resolved as a true timeout. Throws the context's pending interrupt, if a park
  // was ended early for one (see "Interrupts" above); the default does nothing (OS threads and
  // coroutines have no interrupts).
  virtual void check_interrupt() {}
};

// The calling execution context's parker (thread-local; never null).
ParkingContext& current_parking_context() noexcept;

// Installs ctx as the calling OS thread's context (nullptr restores the futex context) and
// returns the previous one. For schedulers (green hubs), not for application code.
ParkingContext* exchange_parking_context(ParkingContext* ctx) noexcept;

// The OS-thread context: spins briefly (a cross-core wake-up costs tens of microseconds in a
// VM, a short spin often sees the unpark first), then sleeps on a futex with an absolute
// CLOCK_MONOTONIC deadline.
ParkingContext& thread_parking_context() noexcept;

// How long an OS thread spins before it sleeps in park(). Default: 20 microseconds, or none
// on a single-CPU machine. Thread-safe; takes effect for later parks.
void set_park_spin(std::chrono::nanoseconds spin) noexcept;
[[nodiscard]] std::chrono::nanoseconds park_spin() noexcept;

// A FIFO of WaitNodes. Not thread-safe: guard it with the primitive's internal lock.
class WaitList {
 public:
  [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }
  [[nodiscard]] WaitNode* front() const noexcept { return head_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  void push_back(WaitNode& n) noexcept {
    n.prev = tail_;
    n.next = nullptr;
    if (tail_) tail_->next = &n; else head_ = &n;
    tail_ = &n;
    n.linked = true;
    ++size_;
  }
  void push_front(WaitNode& n) noexcept {
    n.next = head_;
    n.prev = nullptr;
    if (head_) head_->prev = &n; else tail_ = &n;
    head_ = &n;
    n.linked = true;
    ++size_;
  }
  // Removes and returns the first node, or nullptr.
  WaitNode* pop_front() noexcept {
    WaitNode* n = head_;
    if (n) unlink(*n);
    return n;
  }
  // Removes n if it is linked here; returns whether it was.
  bool remove(WaitNode& n) noexcept {
    if (!n.linked) return false;
    unlink(n);
    return true;
  }

 private:
  void unlink(WaitNode& n) noexcept {
    if (n.prev) n.prev->next = n.next; else head_ = n.next;
    if (n.next) n.next->prev = n.prev; else tail_ = n.prev;
    n.prev = n.next = nullptr;
    n.linked = false;
    --size_;
  }

  WaitNode* head_ = nullptr;
  WaitNode* tail_ = nullptr;
  std::size_t size_ = 0;
};

// Parks `node` (already linked into `list` under `lock`, with `lock` released) and resolves the
// timeout race described above. Returns true if woken by a waker (the hand-off is ours), false
// on a true timeout (the node has been removed from the list). `Lockable` is the primitive's
// internal lock. Throws, after a true timeout, the interrupt of a context whose park was ended
// early for one (check_interrupt(); e.g. GreenletExit from a green thread's kill()).
template <class Lockable>
bool park_and_resolve(WaitNode& node, WaitList& list, Lockable& lock, Deadline deadline) {
  if (node.context->park(node, deadline) == ParkResult::woken) return true;
  lock.lock();
  const bool still_queued = list.remove(node);
  lock.unlock();
  if (still_queued) {
    node.context->check_interrupt();
    return false;
  }
  node.context->park(node, Deadline::never());  // the waker's unpark is in flight
  return true;
}

}  // namespace triad
