// Task<T>: a coroutine (Python: a coroutine object from `async def`), and TaskHandle<T>: a
// coroutine scheduled on an event loop (Python: asyncio.Task).
// Python: coroutine objects (async def) and asyncio.Task.
//
// Python                                     triad::aio
// async def f() -> int: ...                  Task<int> f() { ...; co_return 42; }
// await f()                                  co_await f()           (runs inline, no loop trip)
// t = asyncio.create_task(f())               TaskHandle<int> t = create_task(f());
// await t                                    co_await t             (int&; co_await std::move(t): int)
// t.cancel(msg) / t.cancelled() / t.done()   the same names
// t.result() / t.exception()                 the same names (exception() returns exception_ptr)
// t.add_done_callback(cb)                    the same; cb(TaskHandle<int>&) runs on the loop thread
// t.get_name() / t.set_name() / t.cancelling() / t.uncancel()   the same
//
//   triad::aio::Task<int> answer() { co_await triad::aio::sleep(10ms); co_return 42; }
//   triad::aio::Task<void> main_task() {
//     auto t = triad::aio::create_task(answer());
//     int v = co_await t;                       // 42
//   }
//   triad::aio::run(main_task());
//
// Task<T> is lazy: nothing runs until it is awaited (inline, by symmetric transfer: a chain of
// awaits costs no trip through the loop, and no stack in an optimised build; g++ makes the
// transfer a tail call only with -O2 and no sanitizer, so in -O0, -O1 or ASan/TSan builds each
// pending inline await holds a stack frame) or scheduled with create_task. It is
// move-only and can be awaited once (a second await raises RuntimeError("cannot reuse already
// awaited coroutine"), as Python does). T may be void or move-only; T& is not supported
// (return a pointer). An exception escaping the coroutine is carried to whoever awaits it.
//
// A TaskHandle is a small reference-counted handle (copyable, loop thread only). The loop keeps
// a task alive until it finishes; handles keep its result alive. Cancellation (cancel()) raises
// triad::CancelledError inside the task at the await point where it is suspended (or at its
// next one if it is ready to run; a task that has not started never runs); the task may catch
// it. If CancelledError escapes the coroutine the task is cancelled. Awaiting a task and being
// cancelled cancels the awaited task too (Python's semantics; use shield() to prevent that).
//
// Threads: every member of Task and TaskHandle is for the loop's thread only. Done-callbacks
// run on the loop thread, from the loop (call_soon), never inside the call that completes the
// task. To affect a task from another thread use EventLoop::call_soon_threadsafe.
#pragma once

#include <coroutine>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "triad/aio/detail/core.hpp"
#include "triad/aio/detail/frame_alloc.hpp"

namespace triad::aio {

template <class T = void>
class Task;
template <class T = void>
class TaskHandle;

namespace detail {

// Completes a root task (out of line: event_loop.cpp). May free the frame.
void finish_root(PromiseBase& p) noexcept;

struct FinalAwaiter {
  bool await_ready() noexcept { return false; }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
    PromiseBase& p = h.promise();
    if (p.continuation_) return p.continuation_;
    if (p.is_root_) finish_root(p);
    return std::noop_coroutine();
  }
  void await_resume() noexcept {}
};

template <class T>
class Promise : public PromiseBase, public ResultSlot<T> {
 public:
  Task<T> get_return_object() noexcept;
  std::suspend_always initial_suspend() noexcept { return {}; }
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { exc_ = std::current_exception(); }
  template <class U = T>
  void return_value(U&& v) {
    this->set_value(std::forward<U>(v));
  }

  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }
};

template <>
class Promise<void> : public PromiseBase, public ResultSlot<void> {
 public:
  Task<void> get_return_object() noexcept;
  std::suspend_always initial_suspend() noexcept { return {}; }
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { exc_ = std::current_exception(); }
  void return_void() noexcept {}

  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }
};

// Awaits a FutureCore (a Task or a Future) from a task. `Take` = move the value out.
template <class T, bool Take>
class CoreAwaiter : public Suspension, public DoneWaiter {
 public:
  CoreAwaiter(FutureCore* core, ResultSlot<T>* slot) noexcept : core_(core), slot_(slot) {}
  CoreAwaiter(const CoreAwaiter&) = delete;
  CoreAwaiter& operator=(const CoreAwaiter&) = delete;
  ~CoreAwaiter() { core_->remove_waiter(*this); }

  bool await_ready() const noexcept { return core_->done(); }
  void await_suspend(std::coroutine_handle<> h) {
    PromiseBase& t = current_task_or_throw();
    if (static_cast<FutureCore*>(&t) == core_) throw RuntimeError("Task cannot await on itself");
    if (core_->loop_ != t.loop_) {
      throw RuntimeError("Task got Future attached to a different loop");
    }
    on_cancel = &cancel_thunk;
    fire = &fire_thunk;
    t.suspend(h, this);
    core_->add_waiter(*this);
    suspended_ = true;
  }
  decltype(auto) await_resume() {
    if (suspended_) task->check_cancel(cancelled);
    core_->check_result();
    if constexpr (std::is_void_v<T>) {
      return;
    } else if constexpr (Take) {
      return T(std::move(slot_->get()));
    } else {
      return static_cast<T&>(slot_->get());
    }
  }

 private:
  static void fire_thunk(DoneWaiter& w) noexcept {
    auto& self = static_cast<CoreAwaiter&>(w);
    self.task->waiting_on_ = nullptr;
    self.task->loop_->schedule(self.task);
  }
  static bool cancel_thunk(Suspension& s) noexcept {
    auto& self = static_cast<CoreAwaiter&>(s);
    // Python: Task.cancel() cancels the future it waits on; the task then gets the
    // future's CancelledError when it wakes. (A future that refuses leaves _must_cancel.)
    try {
      return self.core_->cancel(self.task->cancel_msg());
    } catch (...) {
      return false;
    }
  }

  FutureCore* core_;
  ResultSlot<T>* slot_;
  bool suspended_ = false;
};

template <class T>
class InlineAwaiter {
 public:
  explicit InlineAwaiter(std::coroutine_handle<Promise<T>> h) noexcept : h_(h) {}
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) {
    Promise<T>& p = h_.promise();
    if (p.started_ || p.is_root_) [[unlikely]] {
      throw RuntimeError("cannot reuse already awaited coroutine");
    }
    p.started_ = true;
    p.continuation_ = caller;
    return h_;
  }
  T await_resume() {
    Promise<T>& p = h_.promise();
    if (p.exc_) [[unlikely]] std::rethrow_exception(p.exc_);
    if constexpr (!std::is_void_v<T>) return T(std::move(p.get()));
  }

 private:
  std::coroutine_handle<Promise<T>> h_;
};

template <class T>
void require_valid(std::coroutine_handle<Promise<T>> h) {
  if (!h) throw RuntimeError("invalid (empty or moved-from) Task");
}

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using value_type = T;
  using handle_type = std::coroutine_handle<promise_type>;

  Task() noexcept = default;
  explicit Task(handle_type h) noexcept : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  // False for a default-constructed or moved-from Task.
  [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(h_); }
  // True once the coroutine ran to its end (after an inline await).
  [[nodiscard]] bool done() const noexcept { return h_ && h_.done(); }

  // Runs the coroutine inline and returns its result (rethrows its exception).
  detail::InlineAwaiter<T> operator co_await() && {
    detail::require_valid(h_);
    return detail::InlineAwaiter<T>(h_);
  }
  detail::InlineAwaiter<T> operator co_await() & {
    detail::require_valid(h_);
    return detail::InlineAwaiter<T>(h_);
  }

  // Gives up ownership of the frame (for create_task).
  handle_type release() noexcept { return std::exchange(h_, {}); }

 private:
  handle_type h_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

template <class T>
class TaskHandle {
 public:
  using value_type = T;

  TaskHandle() noexcept = default;
  // Adopts one reference already taken on p.
  explicit TaskHandle(detail::Promise<T>* p, bool add_ref = true) noexcept : p_(p) {
    if (p_ && add_ref) p_->ref();
  }
  TaskHandle(const TaskHandle& o) noexcept : p_(o.p_) {
    if (p_) p_->ref();
  }
  TaskHandle(TaskHandle&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  TaskHandle& operator=(TaskHandle o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~TaskHandle() {
    if (p_) p_->unref();
  }

  [[nodiscard]] bool valid() const noexcept { return p_ != nullptr; }

  // Python: Task.cancel(msg=None). Requests cancellation: returns false if the task is already
  // done, else true (CancelledError(msg) will be raised in it at its await point).
  bool cancel(std::string_view msg = {}) { return core().task_cancel(msg); }
  // Python: Task.cancelled() / done().
  [[nodiscard]] bool cancelled() const { return core().cancelled(); }
  [[nodiscard]] bool done() const { return core().done(); }
  // Python: Task.result(). Raises InvalidStateError("Result is not set.") while pending,
  // CancelledError if cancelled, the task's exception if it raised. Returns T& (void for T =
  // void); the value lives as long as a handle to the task.
  decltype(auto) result() const {
    core().check_result();
    core().exc_retrieved_ = true;
    if constexpr (!std::is_void_v<T>) return static_cast<T&>(p_->get());
  }
  // Python: Task.exception(): the exception (null if the task returned), InvalidStateError
  // ("Exception is not set.") while pending, CancelledError if cancelled.
  [[nodiscard]] std::exception_ptr exception() const { return core().exception(); }
  // Python: Task.add_done_callback(fn): fn(TaskHandle<T>&) is scheduled with call_soon when
  // the task is done (at once if it is done already). Runs on the loop thread.
  template <class F>
  void add_done_callback(F&& fn) const {
    detail::Promise<T>* p = p_;
    core().add_callback(net::Callback([p, f = std::forward<F>(fn)]() mutable {
      TaskHandle h(p);
      f(h);
    }));
  }
  // Python: Task.get_name() ("Task-<n>" unless set) / set_name(name).
  [[nodiscard]] std::string get_name() const {
    return p_->name();
  }
  void set_name(std::string name) { p_->extras().name = std::move(name); }
  // Python: Task.cancelling() / uncancel() (3.11).
  [[nodiscard]] int cancelling() const noexcept { return p_->cancel_requests_; }
  int uncancel() noexcept {
    if (p_->cancel_requests_ > 0) --p_->cancel_requests_;
    return p_->cancel_requests_;
  }
  // Python: Task.get_loop().
  [[nodiscard]] EventLoop& get_loop() const noexcept { return p_->loop_->self(); }

  // co_await t: waits for the task; returns T& (co_await std::move(t): T, moved out).
  detail::CoreAwaiter<T, false> operator co_await() const& noexcept { return {p_, p_}; }
  detail::CoreAwaiter<T, true> operator co_await() && noexcept { return {p_, p_}; }

  [[nodiscard]] detail::FutureCore* core_ptr() const noexcept { return p_; }
  friend bool operator==(const TaskHandle& a, const TaskHandle& b) noexcept { return a.p_ == b.p_; }

 private:
  detail::PromiseBase& core() const {
    if (!p_) throw RuntimeError("invalid (empty) TaskHandle");
    return *p_;
  }
  detail::Promise<T>* p_ = nullptr;
};

}  // namespace triad::aio
