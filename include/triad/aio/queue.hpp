// aio::Queue<T>: asyncio's FIFO queue for tasks of one event loop.
// Python: asyncio.Queue (QueueEmpty / QueueFull are triad::Empty / triad::Full).
//
//   triad::aio::Queue<int> q(10);                 // maxsize 10; 0 = unbounded
//   co_await q.put(1);                            // suspends while full
//   int x = co_await q.get();                     // suspends while empty
//   q.put_nowait(2); q.get_nowait();              // Full / Empty instead of waiting
//   q.task_done(); co_await q.join();             // task tracking, as in Python
//
// For tasks of ONE loop (no OS-thread safety; use triad::Queue with `aio::get`/`aio::put` to talk
// to threads). Semantics (Python 3.12): FIFO hand-off to waiting getters/putters; a getter
// cancelled after being woken passes the wake-up on; task_done() too often raises
// ValueError("task_done() called too many times"); maxsize < 0 is unbounded, as in Python.
// Blocks? get()/put()/join() suspend only the calling task · loop thread only · throws
// CancelledError when cancelled while waiting · no timeout of their own (wait_for / timeout).
// Non-copyable, non-movable.
#pragma once

#include <cstddef>
#include <deque>
#include <list>
#include <utility>

#include "triad/aio/sync.hpp"

namespace triad::aio {

template <class T>
class Queue : detail::LoopBound {
 public:
  explicit Queue(std::ptrdiff_t maxsize = 0) : maxsize_(maxsize) {}
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  [[nodiscard]] std::size_t qsize() const noexcept { return items_.size(); }
  [[nodiscard]] std::ptrdiff_t maxsize() const noexcept { return maxsize_; }
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  [[nodiscard]] bool full() const noexcept {
    return maxsize_ > 0 && items_.size() >= static_cast<std::size_t>(maxsize_);
  }

  // Python: put_nowait(item): Full if full.
  void put_nowait(T item) {
    if (full()) throw Full();
    items_.push_back(std::move(item));
    ++unfinished_;
    finished_.clear();
    wakeup_next(getters_);
  }
  // Python: get_nowait(): Empty if empty.
  T get_nowait() {
    if (empty()) throw Empty();
    T item = std::move(items_.front());
    items_.pop_front();
    wakeup_next(putters_);
    return item;
  }

  // Python: await put(item).
  Task<void> put(T item) {
    while (full()) {
      co_await wait_turn(putters_, "Queue");
    }
    put_nowait(std::move(item));
  }
  // Python: await get().
  Task<T> get() {
    while (empty()) {
      co_await wait_turn(getters_, "Queue");
    }
    co_return get_nowait();
  }
  // Python: task_done() / await join().
  void task_done() {
    if (unfinished_ == 0) throw ValueError("task_done() called too many times");
    if (--unfinished_ == 0) finished_.set();
  }
  Task<void> join() {
    if (unfinished_ > 0) co_await finished_.wait();
  }

 private:
  // Waits until woken by wakeup_next(ws) (Python's getter/putter futures, with its rule for
  // a waiter cancelled after being woken).
  Task<void> wait_turn(std::list<Future<void>>& ws, const char* what) {
    EventLoop& loop = bound_loop(what);
    auto it = ws.insert(ws.end(), loop.create_future<void>());
    bool cancelled = false;
    try {
      co_await *it;
    } catch (const CancelledError&) {
      cancelled = true;
    }
    const bool woken = it->done() && !it->cancelled();
    ws.erase(it);
    if (cancelled) {
      // Woken but cancelled: pass the wake-up to the next waiter of the same kind.
      if (woken) wakeup_next(ws);
      detail::current_task_or_throw().throw_cancelled();
    }
  }
  static void wakeup_next(std::list<Future<void>>& ws) {
    for (auto& f : ws) {
      if (!f.done()) {
        f.set_result();
        return;
      }
    }
  }

  std::ptrdiff_t maxsize_;
  std::deque<T> items_;
  std::list<Future<void>> getters_;
  std::list<Future<void>> putters_;
  std::size_t unfinished_ = 0;
  Event finished_;
};

}  // namespace triad::aio
