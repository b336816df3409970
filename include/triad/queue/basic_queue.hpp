// BasicQueue: the interface shared by Queue (FIFO), LifoQueue and PriorityQueue.
// Python: queue.Queue's methods (LifoQueue and PriorityQueue are subclasses of Queue there).
//
// Use the named queues, not this template directly:
//
//   triad::Queue<int> q(10);                      // maxsize 10; 0 = unbounded
//   q.put(1);                                     // blocks while full
//   q.put(2, /*block=*/false);                    // Full if full
//   int x = q.get();                              // blocks while empty
//   std::optional<int> y = q.try_get(50ms);       // nullopt instead of Empty
//   q.task_done(); q.join();                      // task tracking, as in Python
//   q.shutdown();                                 // Python 3.13: put/get raise ShutDown
//
// Semantics are Python 3.13's, exception for exception:
// - put raises ShutDown once the queue is shut down, whether or not there is room; Full when
//   block is false (or the timeout runs out) and the queue holds maxsize items.
// - get returns items while there are any, shut down or not; once the queue is empty it
//   raises ShutDown if the queue was shut down, else Empty (non-blocking or timed out).
// - every successful put counts an unfinished task; task_done() finishes one; join() waits
//   until none is left. shutdown(immediate=true) also discards the queued items and finishes
//   their tasks, so join() returns once the items already taken are task_done().
//
// Items. T may be move-only (std::unique_ptr<int>). put(const T&) copies, put(T&&) moves,
// emplace(args...) constructs. An item is moved from only when the put succeeds: after
// Full, ShutDown or any exception the caller's object is untouched. get() returns by value:
// the item is move-constructed straight into the caller's result (no intermediate copy).
//
// Exception safety (strong): if T's copy/move constructor, the allocator or a PriorityQueue
// comparator throws inside put or get, the exception reaches the caller of that put or get
// and the queue is as it was (same items, same order, same unfinished-task count).
//
// Blocking. Every blocking call goes through the parking interface (triad/core/parking.hpp):
// an OS thread spins briefly then sleeps on a futex; a green thread yields to its hub. A
// `Timeout` absent means wait forever; zero or negative means do not wait (Python raises
// ValueError for a negative timeout; triad treats it as zero, like every triad call).
// `block=false` ignores the timeout, as in Python.
//
// Thread safety: every member function may be called concurrently from any number of threads
// (and green threads) on the same queue. The queue itself is neither copyable nor movable.
// Destroying a queue while a call on it is blocked is undefined behaviour (as for std::mutex).
//
// Memory ordering: everything a thread wrote before put() of an item is visible to the
// thread whose get() returns that item; everything written before task_done() that finishes
// the last task is visible to a join() that returns true.
//
// Implementation: a short spin lock guards the store and three WaitLists (getters, putters,
// joiners). When a getter is parked, put() moves the item straight into the getter's stack
// slot and wakes it (one lock hand-off, no re-check); when a putter is parked on a full
// queue, the get() that frees a slot moves the putter's item in on its behalf.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "triad/core/detail/spinlock.hpp"
#include "triad/core/error.hpp"
#include "triad/core/parking.hpp"
#include "triad/core/timeout.hpp"
#include "triad/queue/detail/waiting.hpp"

namespace triad {

template <class T, class Store>
class BasicQueue {
  static_assert(std::is_object_v<T> && !std::is_const_v<T> && !std::is_volatile_v<T>,
                "queue items must be non-const object types");
  static_assert(std::is_move_constructible_v<T>, "queue items must be move-constructible");

 public:
  using value_type = T;

  // maxsize 0 means unbounded (Python: maxsize <= 0).
  explicit BasicQueue(std::size_t maxsize = 0) : maxsize_(maxsize) {}
  BasicQueue(std::size_t maxsize, Store store) : store_(std::move(store)), maxsize_(maxsize) {}
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;
  ~BasicQueue() = default;

  // ---- put ------------------------------------------------------------------------------

  // Puts item into the queue. Python: put(item, block=True, timeout=None).
  // Blocks: while the queue is full (only if maxsize > 0), unless block is false.
  // Green threads: yields via the parking interface.
  // Thread safety: safe to call concurrently.
  // Throws: ShutDown if shutdown() was called (before or while waiting); Full if block is
  //   false or the timeout ran out while full; whatever copying/moving T throws. On any
  //   exception the item is not taken (a moved-from T&& argument is left untouched).
  // Timeout: absent = wait forever; <= 0 = don't wait; ignored when block is false.
  void put(const T& item, bool block = true, Timeout timeout = {}) {
    if (!put_impl(item, block, timeout)) detail::throw_queue_full();
  }
  void put(T&& item, bool block = true, Timeout timeout = {}) {
    if (!put_impl(std::move(item), block, timeout)) detail::throw_queue_full();
  }
  // put(item, true, timeout).
  void put(const T& item, Timeout timeout) { put(item, true, timeout); }
  void put(T&& item, Timeout timeout) { put(std::move(item), true, timeout); }

  // put(item, false): never blocks. Python: put_nowait(item). Throws Full, ShutDown.
  void put_nowait(const T& item) { put(item, false); }
  void put_nowait(T&& item) { put(std::move(item), false); }

  // Like put(item, true, timeout) but returns false instead of raising Full (by default it
  // does not wait: try_put(x) is put_nowait without the exception). The item is moved from
  // only when true is returned. Still throws ShutDown and T's exceptions.
  [[nodiscard]] bool try_put(const T& item, Timeout timeout = Clock::duration::zero()) {
    return put_impl(item, true, timeout);
  }
  [[nodiscard]] bool try_put(T&& item, Timeout timeout = Clock::duration::zero()) {
    return put_impl(std::move(item), true, timeout);
  }

  // put(T(args...)): constructs the item, then puts it, blocking while full.
  template <class... Args>
  void emplace(Args&&... args) {
    put(T(std::forward<Args>(args)...));
  }

  // ---- get ------------------------------------------------------------------------------

  // Removes and returns an item. Python: get(block=True, timeout=None).
  // Blocks: while the queue is empty, unless block is false.
  // Green threads: yields via the parking interface.
  // Thread safety: safe to call concurrently; each item is returned to exactly one caller.
  // Throws: ShutDown if the queue is empty and was shut down (before or while waiting);
  //   Empty if block is false or the timeout ran out while empty; whatever moving T throws
  //   (the item then stays in the queue).
  // Timeout: absent = wait forever; <= 0 = don't wait; ignored when block is false.
  T get(bool block = true, Timeout timeout = {}) {
    std::optional<T> handed;
    switch (acquire(block, timeout, handed)) {
      case Acquired::none:
        detail::throw_queue_empty();
      case Acquired::handed:
        return std::move(*handed);
      case Acquired::stored:
        break;
    }
    Taker taker(*this);
    return T(std::move(store_.front()));  // constructed in the caller's result; then ~Taker
  }
  // get(true, timeout).
  T get(Timeout timeout) { return get(true, timeout); }
  // get(false): never blocks. Python: get_nowait(). Throws Empty, ShutDown.
  T get_nowait() { return get(false); }

  // Like get(true, timeout) but returns std::nullopt instead of raising Empty (by default it
  // does not wait). Still throws ShutDown once the queue is shut down and empty, so a
  // consumer can tell "nothing yet" from "no more, ever".
  [[nodiscard]] std::optional<T> try_get(Timeout timeout = Clock::duration::zero()) {
    std::optional<T> handed;
    switch (acquire(true, timeout, handed)) {
      case Acquired::none:
        return std::nullopt;
      case Acquired::handed:
        return handed;
      case Acquired::stored:
        break;
    }
    Taker taker(*this);
    return std::optional<T>(std::in_place, std::move(store_.front()));
  }

  // ---- size -----------------------------------------------------------------------------

  // The number of items queued. Python: qsize(). Never blocks; a snapshot that may be stale
  // by the time it is used (as in Python: qsize() > 0 does not promise that get() won't block).
  [[nodiscard]] std::size_t qsize() const noexcept { return size_.load(std::memory_order_acquire); }
  // qsize() == 0. Python: empty().
  [[nodiscard]] bool empty() const noexcept { return qsize() == 0; }
  // maxsize() > 0 && qsize() >= maxsize(). Python: full().
  [[nodiscard]] bool full() const noexcept { return maxsize_ > 0 && qsize() >= maxsize_; }
  // The bound given at construction, 0 for unbounded. Python: the maxsize attribute.
  [[nodiscard]] std::size_t maxsize() const noexcept { return maxsize_; }

  // ---- tasks ----------------------------------------------------------------------------

  // Marks one earlier put item as processed. Python: task_done().
  // Blocks: no. Thread safety: safe to call concurrently.
  // Throws: ValueError("task_done() called too many times") when no task is unfinished.
  // When the last unfinished task is done, every join() returns.
  void task_done() {
    detail::WakeChain woken;
    lock_.lock();
    if (unfinished_ == 0) {
      lock_.unlock();
      detail::throw_task_done_too_many();
    }
    if (--unfinished_ == 0) woken.add_all(joiners_, detail::kQueueDone);
    lock_.unlock();
    woken.unpark_all();
  }

  // Waits until every item ever put has been task_done(). Python: join().
  // Blocks: while unfinished_tasks() > 0. Green threads: yields via the parking interface.
  // Thread safety: any number of threads may join at once. Throws: nothing.
  void join() { (void)join_until(Deadline::never()); }
  // The timed form (Python's join() has none): returns true once no task is unfinished,
  // false if the timeout ran out first. Timeout <= 0 only checks.
  [[nodiscard]] bool join(Timeout timeout) { return join_until(Deadline::after(timeout)); }

  // Items put and not yet task_done(). Python: the unfinished_tasks attribute.
  [[nodiscard]] std::size_t unfinished_tasks() const noexcept {
    lock_.lock();
    const std::size_t n = unfinished_;
    lock_.unlock();
    return n;
  }

  // ---- shutdown (Python 3.13) -----------------------------------------------------------

  // Shuts the queue down: from now on put raises ShutDown, and get raises ShutDown once the
  // queue is empty. Blocked putters and getters wake up (a getter that finds an item still
  // takes it). With immediate=true the queued items are also discarded (destroyed in this
  // call, outside the queue's lock) and one task is finished for each, which releases join()
  // if no item taken earlier is still waiting for its task_done().
  // Blocks: no. Thread safety: safe to call concurrently, and more than once (a later call
  // with immediate=true still drains). Throws: std::bad_alloc (before anything changed).
  void shutdown(bool immediate = false) {
    // The drained items die with `drained`, after the lock is released. (It is created
    // before locking: an empty std::deque may allocate.)
    typename Store::container_type drained;
    detail::WakeChain woken;
    lock_.lock();
    shutdown_.store(true, std::memory_order_relaxed);
    if (immediate) {
      const std::size_t n = store_.size();
      store_.swap_out(drained);
      size_.store(0, std::memory_order_relaxed);
      unfinished_ -= std::min(n, unfinished_);
      if (unfinished_ == 0) woken.add_all(joiners_, detail::kQueueDone);
    }
    woken.add_all(getters_, detail::kQueueRetry);
    woken.add_all(putters_, detail::kQueueRetry);
    lock_.unlock();
    woken.unpark_all();
  }

  // Whether shutdown() was called. Python: the is_shutdown attribute.
  [[nodiscard]] bool is_shutdown() const noexcept {
    return shutdown_.load(std::memory_order_acquire);
  }

 private:
  // A getter can receive its item straight into its stack slot only if moving it out of the
  // slot afterwards cannot throw (else the item could be lost); otherwise it is woken to
  // take the item from the store itself.
  static constexpr bool kHandOff = std::is_nothrow_move_constructible_v<T>;

  enum class Acquired { none, handed, stored };

  bool full_locked() const noexcept { return maxsize_ > 0 && store_.size() >= maxsize_; }
  void publish_size() noexcept { size_.store(store_.size(), std::memory_order_relaxed); }

  static bool no_wait(bool block, Timeout timeout) noexcept {
    return !block || (!timeout.is_forever() && timeout.duration() <= Clock::duration::zero());
  }

  // Puts item (U is T or const T&). Returns false for Full. See put().
  template <class U>
  bool put_impl(U&& item, bool block, Timeout timeout) {
    constexpr bool kMove = std::is_same_v<U, T>;
    const bool dont_wait = no_wait(block, timeout);
    Deadline deadline;
    bool have_deadline = false;
    bool spun = false;
    lock_.lock();
    for (;;) {
      if (shutdown_.load(std::memory_order_relaxed)) {
        lock_.unlock();
        detail::throw_queue_shut_down();
      }
      if constexpr (kHandOff) {
        // A parked getter means an empty store: give it the item directly.
        if (WaitNode* getter = getters_.front()) {
          try {
            static_cast<std::optional<T>*>(getter->slot)->emplace(std::forward<U>(item));
          } catch (...) {
            lock_.unlock();
            throw;
          }
          getters_.pop_front();
          getter->tag = detail::kQueueHanded;
          ++unfinished_;
          lock_.unlock();
          getter->context->unpark(*getter);
          return true;
        }
      }
      if (!full_locked()) {
        try {
          store_.push(std::forward<U>(item));
        } catch (...) {
          pass_putter_baton_and_unlock();
          throw;
        }
        ++unfinished_;
        publish_size();
        WaitNode* getter = nullptr;
        if constexpr (!kHandOff) {
          getter = getters_.pop_front();
          if (getter) getter->tag = detail::kQueueRetry;
        }
        lock_.unlock();
        if (getter) getter->context->unpark(*getter);
        return true;
      }
      if (dont_wait) {
        lock_.unlock();
        return false;
      }
      if (!have_deadline) {
        deadline = Deadline::after(timeout);
        have_deadline = true;
      }
      if (deadline.expired()) {
        lock_.unlock();
        return false;
      }
      if (!spun && detail::SpinTuner::allowed()) {
        spun = true;
        lock_.unlock();
        spin_.spin_until(
            [this] {
              return size_.load(std::memory_order_relaxed) < maxsize_ ||
                     shutdown_.load(std::memory_order_relaxed);
            },
            deadline);
        lock_.lock();
        continue;
      }
      WaitNode node;
      node.slot = const_cast<void*>(static_cast<const void*>(std::addressof(item)));
      node.tag = kMove ? detail::kQueuePutMove : detail::kQueuePutCopy;
      putters_.push_back(node);
      lock_.unlock();
      const bool woken = park_and_resolve(node, putters_, lock_, deadline);
      if (woken && node.tag == detail::kQueueDone) return true;  // a getter took it in
      lock_.lock();  // shutdown, a failed hand-off, or the timeout: look again
    }
  }

  // Waits for an item. Returns `stored` with lock_ held and the store non-empty, `handed`
  // with the item in `handed`, or `none` (Empty). Throws ShutDown.
  Acquired acquire(bool block, Timeout timeout, std::optional<T>& handed) {
    const bool dont_wait = no_wait(block, timeout);
    Deadline deadline;
    bool have_deadline = false;
    bool spun = false;
    lock_.lock();
    for (;;) {
      if (!store_.empty()) return Acquired::stored;
      if (shutdown_.load(std::memory_order_relaxed)) {
        lock_.unlock();
        detail::throw_queue_shut_down();
      }
      if (dont_wait) {
        lock_.unlock();
        return Acquired::none;
      }
      if (!have_deadline) {
        deadline = Deadline::after(timeout);
        have_deadline = true;
      }
      if (deadline.expired()) {
        lock_.unlock();
        return Acquired::none;
      }
      if (!spun && detail::SpinTuner::allowed()) {
        spun = true;
        lock_.unlock();
        spin_.spin_until(
            [this] {
              return size_.load(std::memory_order_relaxed) != 0 ||
                     shutdown_.load(std::memory_order_relaxed);
            },
            deadline);
        lock_.lock();
        continue;
      }
      WaitNode node;
      if constexpr (kHandOff) node.slot = &handed;
      getters_.push_back(node);
      lock_.unlock();
      const bool woken = park_and_resolve(node, getters_, lock_, deadline);
      if (woken && node.tag == detail::kQueueHanded) return Acquired::handed;
      lock_.lock();  // shutdown, an item to take ourselves, or the timeout: look again
    }
  }

  // Completes a get from the store: constructed with lock_ held and the store non-empty, it
  // runs the removal's comparisons; its destructor runs after the caller's result was
  // move-constructed from store_.front(). If that move threw, the item stays.
  class Taker {
   public:
    explicit Taker(BasicQueue& q) : q_(q), exceptions_(std::uncaught_exceptions()) {
      try {
        plan_ = q_.store_.plan_pop();
      } catch (...) {
        q_.abandon_take_and_unlock();
        throw;
      }
    }
    Taker(const Taker&) = delete;
    Taker& operator=(const Taker&) = delete;
    ~Taker() {
      if (std::uncaught_exceptions() > exceptions_) {
        q_.abandon_take_and_unlock();
      } else {
        q_.finish_take_and_unlock(plan_);
      }
    }

   private:
    BasicQueue& q_;
    int exceptions_;
    typename Store::Plan plan_{};
  };

  // The front item was moved out: remove it, refill from a parked putter, unlock, wake.
  void finish_take_and_unlock(typename Store::Plan plan) noexcept {
    store_.finish_pop(plan);
    WaitNode* putter = putters_.pop_front();  // parked putters mean the store was full
    if (putter) {
      try {
        if (putter->tag == detail::kQueuePutMove) {
          store_.push(std::move(*static_cast<T*>(putter->slot)));
        } else if constexpr (std::is_copy_constructible_v<T>) {
          store_.push(*static_cast<const T*>(putter->slot));
        }
        ++unfinished_;
        putter->tag = detail::kQueueDone;
      } catch (...) {
        putter->tag = detail::kQueueRetry;  // it will try itself and see the exception
      }
    }
    WaitNode* getter = nullptr;
    if constexpr (!kHandOff) {
      // Getters woken to take items themselves may still be parked behind the refill.
      if (putter && putter->tag == detail::kQueueDone) {
        getter = getters_.pop_front();
        if (getter) getter->tag = detail::kQueueRetry;
      }
    }
    publish_size();
    lock_.unlock();
    if (putter) putter->context->unpark(*putter);
    if (getter) getter->context->unpark(*getter);
  }

  // A get failed after acquire() returned `stored`: the item stays. If the getter was woken
  // for it, pass the turn to another parked getter so the item is not stranded.
  void abandon_take_and_unlock() noexcept {
    WaitNode* getter = nullptr;
    if (!store_.empty()) {
      getter = getters_.pop_front();
      if (getter) getter->tag = detail::kQueueRetry;
    }
    lock_.unlock();
    if (getter) getter->context->unpark(*getter);
  }

  // A put failed with an exception: if there is room, let another parked putter try.
  void pass_putter_baton_and_unlock() noexcept {
    WaitNode* putter = nullptr;
    if (!full_locked()) {
      putter = putters_.pop_front();
      if (putter) putter->tag = detail::kQueueRetry;
    }
    lock_.unlock();
    if (putter) putter->context->unpark(*putter);
  }

  bool join_until(Deadline deadline) {
    lock_.lock();
    for (;;) {
      if (unfinished_ == 0) {
        lock_.unlock();
        return true;
      }
      if (deadline.expired()) {
        lock_.unlock();
        return false;
      }
      WaitNode node;
      joiners_.push_back(node);
      lock_.unlock();
      // Woken means the count reached zero after this join began: return, even if a new
      // put raced in since (Python re-checks; returning avoids starving a joiner).
      if (park_and_resolve(node, joiners_, lock_, deadline)) return true;
      lock_.lock();
    }
  }

  // Two cache lines: what the lock guards, and what spinning waiters and qsize() read
  // without it (so a spinner does not pull the lock's line away from its holder).
  alignas(64) mutable detail::SpinLock lock_;
  Store store_;                 // guarded by lock_
  std::size_t unfinished_ = 0;  // guarded by lock_
  WaitList getters_;            // guarded by lock_
  WaitList putters_;            // guarded by lock_
  WaitList joiners_;            // guarded by lock_
  const std::size_t maxsize_;
  alignas(64) std::atomic<std::size_t> size_{0};  // store_.size(), written under lock_
  std::atomic<bool> shutdown_{false};             // written under lock_
  detail::SpinTuner spin_;                        // pre-park spin budget
};

}  // namespace triad
