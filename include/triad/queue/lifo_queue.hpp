// LifoQueue: a last-in, first-out queue (a stack) shared between threads, with the same
// bound, task tracking and shutdown as Queue.
// Python: queue.LifoQueue.
//
//   triad::LifoQueue<int> q;
//   for (int i : {1, 2, 3}) q.put(i);
//   q.get();                              // 3, then 2, then 1
//
// Operations and their blocking/throwing/timeout behaviour: triad/queue/basic_queue.hpp.
#pragma once

#include <cstddef>

#include "triad/queue/basic_queue.hpp"
#include "triad/queue/detail/stores.hpp"

namespace triad {

template <class T>
class LifoQueue final : public BasicQueue<T, detail::LifoStore<T>> {
 public:
  // maxsize 0 = unbounded (Python: maxsize <= 0).
  explicit LifoQueue(std::size_t maxsize = 0) : BasicQueue<T, detail::LifoStore<T>>(maxsize) {}
};

}  // namespace triad
