// Queue: a first-in, first-out queue for passing items between threads (and green threads),
// optionally bounded, with task tracking and shutdown.
// Python: queue.Queue (3.13, shutdown included).
//
//   triad::Queue<std::string> q;          // unbounded; Queue<T> q(8) holds at most 8 items
//   std::jthread worker([&] {
//     try {
//       for (;;) { auto job = q.get(); process(job); q.task_done(); }
//     } catch (const triad::ShutDown&) {}  // get() on a shut-down, empty queue
//   });
//   q.put("one"); q.put("two");
//   q.join();                             // until both were task_done()
//   q.shutdown();                         // the worker's next get() raises ShutDown
//
// Every operation (put/get with block and timeout, put_nowait/get_nowait, try_put/try_get,
// qsize/empty/full, task_done/join, shutdown) and its exact blocking, throwing and timeout
// behaviour is documented once, in triad/queue/basic_queue.hpp. Python <-> triad mapping and
// the differences from Python: docs/queue.md.
#pragma once

#include <cstddef>

#include "triad/queue/basic_queue.hpp"
#include "triad/queue/detail/stores.hpp"

namespace triad {

template <class T>
class Queue final : public BasicQueue<T, detail::FifoStore<T>> {
 public:
  // maxsize 0 = unbounded (Python: maxsize <= 0).
  explicit Queue(std::size_t maxsize = 0) : BasicQueue<T, detail::FifoStore<T>>(maxsize) {}
};

}  // namespace triad
