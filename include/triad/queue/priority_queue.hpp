// PriorityQueue: a queue that hands out the smallest item first (a min-heap), shared between
// threads, with the same bound, task tracking and shutdown as Queue.
// Python: queue.PriorityQueue (a heapq list: the lowest entry comes out first).
//
//   triad::PriorityQueue<std::pair<int, std::string>> q;  // (priority, item), as in Python
//   q.put({2, "write"});
//   q.put({1, "read"});
//   q.get();                              // {1, "read"}: pairs/tuples compare lexicographically
//
//   triad::PriorityQueue<Job, ByDeadline> jobs;            // custom order: comp(a, b) == true
//                                                          // means a comes out before b
//   triad::PriorityQueue<int, std::greater<int>> maxq;     // the largest first
//
// Order. With the default std::less<T> the smallest item comes out first, like Python (note
// that std::priority_queue is the opposite: a max-heap). Compare must be a strict weak
// order; it is called with the queue's internal lock held, so it must not call back into the
// queue. The heap steps are CPython heapq's, so items with equal priority come out in the
// same order as from Python's PriorityQueue (neither is FIFO among equals: add a sequence
// number to the key, as the Python docs suggest, for that).
//
// Exceptions: a comparator that throws propagates out of the put or get that called it and
// leaves the queue as it was.
//
// Operations and their blocking/throwing/timeout behaviour: triad/queue/basic_queue.hpp.
#pragma once

#include <cstddef>
#include <functional>
#include <utility>

#include "triad/queue/basic_queue.hpp"
#include "triad/queue/detail/stores.hpp"

namespace triad {

template <class T, class Compare = std::less<T>>
class PriorityQueue final : public BasicQueue<T, detail::HeapStore<T, Compare>> {
  using Base = BasicQueue<T, detail::HeapStore<T, Compare>>;

 public:
  // maxsize 0 = unbounded (Python: maxsize <= 0).
  explicit PriorityQueue(std::size_t maxsize = 0, Compare compare = Compare())
      : Base(maxsize, detail::HeapStore<T, Compare>(std::move(compare))) {}
};

}  // namespace triad
