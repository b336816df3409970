// The queues' cold throw paths, out of line so the header templates stay small.
#include "triad/core/error.hpp"
#include "triad/queue/detail/waiting.hpp"

namespace triad::detail {

void throw_queue_full() {
  throw Full();
}
void throw_queue_empty() {
  throw Empty();
}
void throw_queue_shut_down() {
  throw ShutDown();
}
void throw_task_done_too_many() {
  throw ValueError("task_done() called too many times");
}

}  // namespace triad::detail
