// S26 (seed 002, 线程队列): queue.Queue (FIFO), queue.LifoQueue (LIFO) and
// queue.PriorityQueue with tuples, whose order is the tuples' order: first element first.
//
// Python (seed 002):
//   q = queue.Queue();         q.put(1); q.put(2); q.put(3); q.get() -> 1
//   q = queue.LifoQueue();     q.put(1); q.put(2); q.put(3); q.get() -> 3
//   q = queue.PriorityQueue(); q.put((4, '我')); q.put((2, '你')); q.put((3, 'ta'))
//   q.get() -> (2, '你')
#include <string>
#include <tuple>
#include <vector>

#include "tour/scenario.hpp"
#include "triad/queue/lifo_queue.hpp"
#include "triad/queue/priority_queue.hpp"
#include "triad/queue/queue.hpp"

namespace {

std::string join_ints(const std::vector<int>& v) {
  std::string s;
  for (const int x : v) s += (s.empty() ? "" : " ") + std::to_string(x);
  return s;
}

}  // namespace

TOUR_SCENARIO(S26, "002", "线程队列", "Thread queues: FIFO, LIFO and priority",
              "queue.Queue gives items back first-in-first-out, LifoQueue last-in-first-out, "
              "and PriorityQueue smallest first, comparing tuples element by element.") {
  {
    triad::Queue<int> q;
    for (const int x : {1, 2, 3}) q.put(x);
    std::vector<int> got;
    while (!q.empty()) got.push_back(q.get());
    ctx.say("Queue:         put 1 2 3 -> get " + join_ints(got));
    ctx.check(got == std::vector<int>{1, 2, 3}, "Queue is first-in-first-out");
  }
  {
    triad::LifoQueue<int> q;
    for (const int x : {1, 2, 3}) q.put(x);
    std::vector<int> got;
    while (!q.empty()) got.push_back(q.get());
    ctx.say("LifoQueue:     put 1 2 3 -> get " + join_ints(got));
    ctx.check(got == std::vector<int>{3, 2, 1}, "LifoQueue is last-in-first-out");
  }
  {
    using Item = std::tuple<int, std::string>;
    triad::PriorityQueue<Item> q;
    q.put({4, "我"});
    q.put({2, "你"});
    q.put({3, "ta"});
    // Ties on the first element fall back to the second, as Python compares tuples.
    q.put({3, "abc"});
    std::vector<Item> got;
    std::string line;
    while (!q.empty()) {
      got.push_back(q.get());
      line += " (" + std::to_string(std::get<0>(got.back())) + ", '" + std::get<1>(got.back()) + "')";
    }
    ctx.say("PriorityQueue: put (4, '我') (2, '你') (3, 'ta') (3, 'abc') -> get" + line);
    ctx.check(got == std::vector<Item>{{2, "你"}, {3, "abc"}, {3, "ta"}, {4, "我"}},
              "PriorityQueue gives the smallest tuple first (ties compare the next element)");
  }
  {
    // The non-blocking forms raise where Python raises.
    triad::Queue<int> q(1);
    q.put_nowait(1);
    bool full = false;
    try {
      q.put_nowait(2);
    } catch (const triad::Full&) {
      full = true;
    }
    (void)q.get_nowait();
    bool empty = false;
    try {
      (void)q.get_nowait();
    } catch (const triad::Empty&) {
      empty = true;
    }
    ctx.say("Queue(maxsize=1): a second put_nowait raises Full; get_nowait on empty raises Empty");
    ctx.check(full && empty, "put_nowait on a full queue raises Full, get_nowait on an empty one Empty");
  }
}
