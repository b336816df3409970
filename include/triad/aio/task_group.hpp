// TaskGroup: structured concurrency (Python 3.11: asyncio.TaskGroup).
// Python: asyncio.TaskGroup, ExceptionGroup.
//
// Python                                          triad::aio
// async with asyncio.TaskGroup() as tg:           co_await task_group([&](TaskGroup& tg) -> Task<void> {
//     t1 = tg.create_task(f())                      auto t1 = tg.create_task(f());
//     t2 = tg.create_task(g())                      auto t2 = tg.create_task(g());
//                                                   co_return;
//                                                 });
// except* ValueError as eg: ...                   catch (const ExceptionGroup& eg) { eg.exceptions() }
//
//   triad::aio::TaskGroup tg;                     // the explicit form
//   co_await tg.run([&]() -> triad::aio::Task<void> { tg.create_task(work(1)); co_return; }());
//
// The body runs inline in the current task (`async with`'s block); run() returns when the body
// and every task created in the group are done. If a child raises (anything but
// CancelledError), the remaining children and the body are cancelled (the body gets
// CancelledError at its await point) and run() raises ExceptionGroup("unhandled errors in a
// TaskGroup (N sub-exception(s))") holding every child's exception (and the body's, if it
// raised something other than CancelledError). If the task running the group is cancelled
// from outside, the children are cancelled and the CancelledError propagates once they are
// done. Python's exact rules (3.12), including uncancel(), are followed.
//
// create_task() raises RuntimeError("TaskGroup has not been entered") before run(),
// RuntimeError("TaskGroup is shutting down") once a child failed, RuntimeError("TaskGroup is
// finished") after run() returned. Non-copyable, non-movable; loop thread only.
#pragma once

#include <cstddef>
#include <exception>
#include <list>
#include <string>
#include <utility>
#include <vector>

#include "triad/aio/detail/multi_wait.hpp"

namespace triad::aio {

// Python: BaseExceptionGroup / ExceptionGroup as raised by TaskGroup.
class ExceptionGroup : public Error {
 public:
  ExceptionGroup(const std::string& message, std::vector<std::exception_ptr> excs);
  // Python: eg.exceptions.
  [[nodiscard]] const std::vector<std::exception_ptr>& exceptions() const noexcept { return excs_; }
  // Python: eg.message ("unhandled errors in a TaskGroup").
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  std::string message_;
  std::vector<std::exception_ptr> excs_;
};

class TaskGroup {
 public:
  TaskGroup() = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

  // Python: tg.create_task(coro, name=None). See the header comment for errors.
  template <class T>
  TaskHandle<T> create_task(Task<T> task, std::string name = {}) {
    check_can_create();
    TaskHandle<T> h = detail::tl_running_loop->self().create_task(std::move(task), std::move(name));
    add_child(h.core_ptr());
    return h;
  }

  // Python: `async with tg: <body>`.
  Task<void> run(Task<void> body);

  // Number of children not done yet.
  [[nodiscard]] std::size_t size() const noexcept { return children_.size(); }

 private:
  struct Child : detail::DoneWaiter {
    TaskGroup* group = nullptr;
    detail::FutureCore* core = nullptr;
    std::list<Child>::iterator self;
  };
  class DrainAwaiter;
  void check_can_create() const;
  void add_child(detail::FutureCore* core);
  static void child_done(detail::DoneWaiter& w) noexcept;
  void abort() noexcept;

  std::list<Child> children_;
  std::vector<std::exception_ptr> errors_;
  detail::PromiseBase* parent_ = nullptr;
  class DrainAwaiter* drain_ = nullptr;
  bool entered_ = false;
  bool exiting_ = false;
  bool finished_ = false;
  bool aborting_ = false;
  bool parent_cancel_requested_ = false;
};

// Python: `async with asyncio.TaskGroup() as tg: <body(tg)>` — body is a callable taking
// TaskGroup& and returning Task<void> (typically a lambda coroutine).
template <class F>
Task<void> task_group(F body) {
  TaskGroup tg;
  co_await tg.run(body(tg));
}

}  // namespace triad::aio
