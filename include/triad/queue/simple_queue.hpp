// SimpleQueue: an unbounded first-in, first-out queue with nothing but put and get — no
// maxsize, no task tracking, no shutdown. put never blocks.
// Python: queue.SimpleQueue.
//
//   triad::SimpleQueue<int> q;
//   q.put(1);                             // never blocks, never raises Full
//   int x = q.get();                      // blocks while empty
//   q.get(false);                         // Empty if empty
//
// As in Python, a consumer is stopped with a sentinel item (there is no shutdown); use Queue
// when you need shutdown(), task_done()/join() or a bound.
//
// Thread safety: every member function may be called concurrently from any number of threads
// (and green threads). Not copyable or movable. Exception safety as in BasicQueue: a put or
// get that throws (T's copy/move, std::bad_alloc) leaves the queue as it was.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>

#include "triad/queue/basic_queue.hpp"
#include "triad/queue/detail/stores.hpp"

namespace triad {

template <class T>
class SimpleQueue {
 public:
  using value_type = T;

  SimpleQueue() = default;
  SimpleQueue(const SimpleQueue&) = delete;
  SimpleQueue& operator=(const SimpleQueue&) = delete;
  ~SimpleQueue() = default;

  // Appends item. Python: put(item, block=True, timeout=None); block and timeout are
  // accepted for compatibility and ignored (the queue is unbounded).
  // Blocks: never. Throws: only what copying/moving T or allocating throws (the item is then
  // untouched and the queue unchanged).
  void put(const T& item, bool /*block*/ = true, Timeout /*timeout*/ = {}) { q_.put(item); }
  void put(T&& item, bool /*block*/ = true, Timeout /*timeout*/ = {}) { q_.put(std::move(item)); }
  // Python: put_nowait(item) == put(item).
  void put_nowait(const T& item) { q_.put(item); }
  void put_nowait(T&& item) { q_.put(std::move(item)); }
  // put(T(args...)).
  template <class... Args>
  void emplace(Args&&... args) {
    q_.put(T(std::forward<Args>(args)...));
  }

  // Removes and returns the oldest item. Python: get(block=True, timeout=None).
  // Blocks: while empty, unless block is false. Green threads: yields via the parking
  // interface. Thread safety: each item goes to exactly one caller.
  // Throws: Empty if block is false or the timeout ran out; what moving T throws (the item
  // then stays). Timeout: absent = forever; <= 0 = don't wait; ignored when block is false.
  T get(bool block = true, Timeout timeout = {}) { return q_.get(block, timeout); }
  // get(true, timeout).
  T get(Timeout timeout) { return q_.get(true, timeout); }
  // Python: get_nowait() == get(false).
  T get_nowait() { return q_.get(false); }
  // get(true, timeout) returning std::nullopt instead of raising Empty (default: no wait).
  [[nodiscard]] std::optional<T> try_get(Timeout timeout = Clock::duration::zero()) {
    return q_.try_get(timeout);
  }

  // Approximate size, as in Python. Never block.
  [[nodiscard]] std::size_t qsize() const noexcept { return q_.qsize(); }
  [[nodiscard]] bool empty() const noexcept { return q_.empty(); }

 private:
  BasicQueue<T, detail::FifoStore<T>> q_;
};

}  // namespace triad
