// Bridges between the event loop and OS threads: awaiting any triad::Future, to_thread and
// run_in_executor (Python: await asyncio.wrap_future(f), asyncio.to_thread,
// loop.run_in_executor).
// Python: asyncio.wrap_future, asyncio.to_thread, loop.run_in_executor.
//
// Python                                        triad::aio
// await asyncio.wrap_future(cf)                 co_await cf      (any triad::Future<T>: pools,
//                                                                  Promise, process pools...)
// await asyncio.to_thread(fn, *args)            co_await to_thread(fn, args...)
// await loop.run_in_executor(None, fn, *args)   co_await run_in_executor(nullptr, fn, args...)
// await loop.run_in_executor(pool, fn, *args)   co_await run_in_executor(&pool, fn, args...)
//
//   triad::ThreadPoolExecutor pool(4);
//   triad::aio::Task<int> main_task(triad::ThreadPoolExecutor& pool) {
//     triad::Future<int> f = pool.submit([] { return heavy(); });
//     int a = co_await f;                                       // the loop keeps running
//     int b = co_await triad::aio::to_thread([] { return blocking_io(); });
//     co_return a + b;
//   }
//
// How: the future's done-callback (which runs on whatever thread completes it) posts the
// task's resumption to the loop (the reactor's thread-safe post, through a link that is
// dropped when the loop closes, so a late completion never touches a dead loop); the task
// resumes on the loop thread. Nothing blocks the loop's OS thread.
//
// Cancellation (Python's wrap_future): cancelling the awaiting task cancels the triad::Future
// (effective only if its work has not started) and raises CancelledError at once; a thread
// already running the function runs on (Python cannot stop it either).
//
// Blocks? suspends only the calling task · loop thread only, inside a task · throws what the
// future holds (its exception, CancelledError) · no timeout: wrap with wait_for/timeout.
// to_thread / run_in_executor(nullptr, ...) use the loop's default executor
// (EventLoop::default_executor(): a ThreadPoolExecutor, shut down by close()).
#pragma once

#include <coroutine>
#include <memory>
#include <type_traits>
#include <utility>

#include "triad/aio/detail/loop_link.hpp"
#include "triad/aio/event_loop.hpp"
#include "triad/futures/executor.hpp"
#include "triad/futures/future.hpp"
#include "triad/futures/thread_pool_executor.hpp"

namespace triad::aio::detail {

// What the done-callback (any thread) and the awaiter (loop thread) share.
struct BridgeState {
  std::shared_ptr<LoopLink> link;
  Suspension* waiter = nullptr;  // loop thread only; null once resumed or cancelled
};

template <class T>
class ThreadFutureAwaiter : public Suspension {
 public:
  explicit ThreadFutureAwaiter(const triad::Future<T>& f) : f_(f) {}
  ThreadFutureAwaiter(const ThreadFutureAwaiter&) = delete;
  ThreadFutureAwaiter& operator=(const ThreadFutureAwaiter&) = delete;
  ~ThreadFutureAwaiter() {
    if (st_) st_->waiter = nullptr;
  }

  bool await_ready() const { return f_.done(); }
  void await_suspend(std::coroutine_handle<> h) {
    PromiseBase& t = current_task_or_throw();
    on_cancel = &cancel_thunk;
    st_ = std::make_shared<BridgeState>();
    st_->link = t.loop_->self().link();
    st_->waiter = this;
    t.suspend(h, this);
    f_.add_done_callback([st = st_](const triad::Future<T>&) {
      st->link->post([st] {
        if (Suspension* w = st->waiter) {
          st->waiter = nullptr;
          w->task->waiting_on_ = nullptr;
          w->task->loop_->schedule(w->task);
        }
      });
    });
  }
  decltype(auto) await_resume() {
    if (task != nullptr) task->check_cancel(cancelled);
    return f_.result();  // done: never blocks
  }

 private:
  static bool cancel_thunk(Suspension& s) noexcept {
    auto& self = static_cast<ThreadFutureAwaiter&>(s);
    if (!self.st_ || self.st_->waiter == nullptr) return false;
    self.st_->waiter = nullptr;
    try {
      self.f_.cancel();
    } catch (...) {
    }
    self.cancelled = true;
    self.task->waiting_on_ = nullptr;
    try {
      self.task->loop_->schedule(self.task);
    } catch (...) {
      return false;
    }
    return true;
  }

  triad::Future<T> f_;
  std::shared_ptr<BridgeState> st_;
};

}  // namespace triad::aio::detail

namespace triad {

// `co_await f` for any triad::Future<T> inside a triad::aio task (found by argument-dependent
// lookup). Returns f.result() (const T&, valid while f lives; void for Future<void>).
template <class T>
aio::detail::ThreadFutureAwaiter<T> operator co_await(const Future<T>& f) {
  return aio::detail::ThreadFutureAwaiter<T>(f);
}

}  // namespace triad

namespace triad::aio {

// Python: asyncio.wrap_future(f): an aio Task awaiting the triad::Future (result by value).
template <class T>
Task<T> wrap_future(triad::Future<T> f) {
  if constexpr (std::is_void_v<T>) {
    co_await f;
  } else {
    co_return T(co_await f);
  }
}

// Python: loop.run_in_executor(executor, fn, *args): runs fn(args...) on the executor (nullptr
// = the running loop's default executor) and awaits its result. The submit happens at once.
template <class F, class... A>
auto run_in_executor(triad::Executor* executor, F&& fn, A&&... args) {
  triad::Executor& ex = executor != nullptr ? *executor : get_running_loop().default_executor();
  return wrap_future(ex.submit(std::forward<F>(fn), std::forward<A>(args)...));
}

// Python: asyncio.to_thread(fn, *args).
template <class F, class... A>
auto to_thread(F&& fn, A&&... args) {
  return run_in_executor(nullptr, std::forward<F>(fn), std::forward<A>(args)...);
}

}  // namespace triad::aio
