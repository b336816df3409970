// Process queues: Queue, JoinableQueue, SimpleQueue — typed, in shared memory.
//
// Python: multiprocessing.Queue / JoinableQueue / SimpleQueue (module multiprocessing.queues).
//
//   triad::process::Queue<std::string> q(10);        // maxsize 10 (0 = no item limit)
//   triad::process::Process p([&] { q.put("héllo"); });
//   p.start();
//   std::string s = q.get();                          // "héllo"
//   p.join();
//
// Items are values of T copied across processes: arithmetic/trivially copyable types as
// bytes, everything else with cereal (see detail/serialize.hpp). The queue is a ring of
// framed messages in an anonymous shared mapping inherited by fork children; any message
// size works (messages larger than a quarter of the ring travel in chunks; a 64 MiB message
// passes through a 1 MiB ring). A producer killed in the middle of a put never exposes a
// torn message, and a consumer killed in the middle of a get loses nothing (but a
// multi-chunk message it was assembling). See detail/ring.hpp for how.
//
// Python                          triad
// Queue(maxsize=0)                Queue<T>(maxsize = 0, buffer_size = 1 MiB)
// q.put(obj, block, timeout)      q.put(obj, block = true, timeout = {}) / q.put(obj, timeout)
// q.get(block, timeout)           q.get(block = true, timeout = {}) / q.get(timeout)
// queue.Full / queue.Empty        triad::Full / triad::Empty
// q.close(), q.join_thread()      q.close() (this process stops using it); join_thread() and
//                                 cancel_join_thread() do nothing: there is no feeder thread,
//                                 put() has copied the item into shared memory when it returns.
// Difference: Python's unbounded Queue never blocks in put (its feeder thread buffers in the
// producer's memory); here the bytes in flight are bounded by buffer_size, so a put into a
// queue whose consumers lag by more than buffer_size bytes waits for room (or raises Full if
// it must not wait). maxsize counts items exactly as Python does.
//
// Blocking calls block the OS thread on a shared futex (a green thread does not yield).
// Thread safety: any number of producer and consumer threads in any processes.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <type_traits>

#include "triad/core/error.hpp"
#include "triad/core/timeout.hpp"
#include "triad/process/detail/ring.hpp"
#include "triad/process/detail/serialize.hpp"

namespace triad::process {

inline constexpr std::size_t kDefaultQueueBuffer = std::size_t{1} << 20;

template <class T>
class Queue {
 public:
  // Throws ValueError for maxsize >= 2^23 or buffer_size > 64 MiB.
  explicit Queue(std::size_t maxsize = 0, std::size_t buffer_size = kDefaultQueueBuffer)
      : ring_(maxsize, buffer_size) {
    detail::check_sendable<T>();
  }
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;
  virtual ~Queue() = default;

  // Puts item. Blocks: while the queue holds maxsize items or its ring lacks room, up to
  // the timeout (never with block=false). Throws Full when it could not put in time,
  // ValueError("Queue is closed") after close().
  void put(const T& item, bool block = true, Timeout timeout = {}) {
    check_open();
    const Deadline d = block ? Deadline::after(timeout) : Deadline::after(std::chrono::nanoseconds(0));
    bool ok;
    if constexpr (detail::is_raw_v<T>) {
      ok = ring_.put(reinterpret_cast<const char*>(&item), sizeof(T), block, d);
    } else {
      std::string& buf = scratch();
      buf.clear();
      detail::encode(buf, item);
      ok = ring_.put(buf.data(), buf.size(), block, d);
    }
    if (!ok) throw Full();
    on_put();
  }
  void put(const T& item, Timeout timeout) { put(item, true, timeout); }
  void put_nowait(const T& item) { put(item, false); }

  // Removes and returns the next item. Blocks: while empty, up to the timeout (never with
  // block=false). Throws Empty when nothing came in time, ValueError("Queue is closed")
  // after close(), ValueError for an item that does not decode (it is consumed).
  T get(bool block = true, Timeout timeout = {}) {
    check_open();
    const Deadline d = block ? Deadline::after(timeout) : Deadline::after(std::chrono::nanoseconds(0));
    detail::Ring::View v;
    if (!ring_.begin_get(v, block, d)) throw Empty();
    try {
      T item = detail::decode<T>(v.data, v.size);
      ring_.end_get();
      return item;
    } catch (...) {
      ring_.end_get();
      throw;
    }
  }
  T get(Timeout timeout) { return get(true, timeout); }
  T get_nowait() { return get(false); }

  // Approximate, as in Python.
  [[nodiscard]] std::size_t qsize() const noexcept { return ring_.qsize(); }
  [[nodiscard]] bool empty() const noexcept { return qsize() == 0; }
  [[nodiscard]] bool full() const noexcept {
    return ring_.maxsize() != 0 && qsize() >= ring_.maxsize();
  }
  [[nodiscard]] std::size_t maxsize() const noexcept { return ring_.maxsize(); }

  // This process will not use the queue any more: later put/get raise ValueError.
  void close() noexcept { closed_ = true; }
  void join_thread() noexcept {}
  void cancel_join_thread() noexcept {}

 protected:
  virtual void on_put() {}
  detail::Ring ring_;

 private:
  void check_open() const {
    if (closed_) throw ValueError("Queue is closed");
  }
  static std::string& scratch() {
    thread_local std::string buf;
    return buf;
  }
  bool closed_ = false;
};

// A Queue whose consumers call task_done() and whose join() waits for all of them.
template <class T>
class JoinableQueue : public Queue<T> {
 public:
  using Queue<T>::Queue;

  // One got item is finished. Never blocks. Throws ValueError("task_done() called too many
  // times") when there is no got, unfinished item.
  void task_done() {
    if (!this->ring_.task_done()) throw ValueError("task_done() called too many times");
  }
  // Blocks until every item ever put was got and task_done() (in any process), or the
  // timeout; returns whether it got there (Python's join() has no timeout).
  bool join(Timeout timeout = {}) { return this->ring_.join(Deadline::after(timeout)); }
};

// The minimal queue: put, get, empty, close (Python: SimpleQueue). Unbounded in items.
template <class T>
class SimpleQueue {
 public:
  explicit SimpleQueue(std::size_t buffer_size = kDefaultQueueBuffer) : q_(0, buffer_size) {}
  SimpleQueue(const SimpleQueue&) = delete;
  SimpleQueue& operator=(const SimpleQueue&) = delete;

  void put(const T& item) { q_.put(item); }
  T get() { return q_.get(); }
  [[nodiscard]] bool empty() const noexcept { return q_.empty(); }
  void close() noexcept { q_.close(); }

 private:
  Queue<T> q_;
};

}  // namespace triad::process
