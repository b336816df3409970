// EventLoop: runs coroutines, callbacks and timers on one OS thread (Python: asyncio's event
// loop), on the shared triad::net::Reactor.
// Python: asyncio.AbstractEventLoop / BaseEventLoop, asyncio.run, get_running_loop, get_event_loop.
//
// Python                                         triad::aio
// asyncio.run(main())                            triad::aio::run(main())  (or run(main): a function)
// loop = asyncio.new_event_loop()                EventLoop loop;  (or new_event_loop())
// loop = asyncio.get_event_loop()                EventLoop& loop = get_event_loop();
// asyncio.get_running_loop()                     get_running_loop()
// loop.run_until_complete(coro_or_future)        loop.run_until_complete(task)   -> its result
// loop.run_forever() / stop() / close()          the same
// loop.is_running() / is_closed()                the same
// loop.call_soon(cb) / call_soon_threadsafe(cb)  the same; return a Handle (cancel())
// loop.call_later(delay, cb) / call_at(when, cb) the same; return a TimerHandle
// loop.time()                                    the same (seconds on the steady clock)
// loop.create_task(coro, name=)                  loop.create_task(task, name) -> TaskHandle<T>
// asyncio.create_task(coro)                      create_task(task) (on the running loop)
// loop.create_future()                           loop.create_future<T>() -> Future<T>
// asyncio.current_task() / all_tasks()           current_task_name(), all_tasks_count()
// loop.set_exception_handler(h)                  the same; h(EventLoop&, const ExceptionContext&)
//
//   triad::aio::EventLoop loop;
//   loop.call_later(triad::seconds(0.1), [&] { loop.stop(); });
//   loop.run_forever();                                   // returns after ~100 ms
//   int v = loop.run_until_complete(compute());            // runs a Task<int> to its end
//
// Threads: an EventLoop belongs to the OS thread that runs it; only one loop runs per thread at
// a time. Every member is loop-thread-only EXCEPT call_soon_threadsafe(), which any thread may
// call while the loop is alive. Every callback (call_soon, timers, done-callbacks) and every
// task step runs on the loop thread, inside run_forever()/run_until_complete().
//
// Exceptions: a callback that throws is reported to the exception handler (default: printed on
// stderr as "Exception in callback: <what>") and the loop goes on, as in Python. A task whose
// exception is never retrieved (result(), exception(), await) reports "Task exception was
// never retrieved: <what>" on stderr when its last handle goes.
//
// close() (also run by the destructor) differs from Python in one way, for RAII: tasks still
// pending are cancelled and the loop runs until they finish (what asyncio.run() does at exit),
// so their coroutine frames and everything in them are destroyed. A task that refuses to end
// after 100 rounds of cancellation is leaked with a warning ("Task was destroyed but it is
// pending!"). Then the default executor (to_thread, run_in_executor) is shut down and joined.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "triad/aio/task.hpp"
#include "triad/core/timeout.hpp"
#include "triad/net/reactor.hpp"

namespace triad {
class ThreadPoolExecutor;
}

namespace triad::aio {

template <class T>
class Future;

// A callback for call_soon & co. Captures of up to four pointers allocate nothing.
using Callback = net::Callback;

// Python: asyncio.Handle — a scheduled callback. Copyable; cancel() from the loop thread (or,
// for a call_soon_threadsafe handle, any thread).
class Handle {
 public:
  Handle() noexcept = default;
  Handle(const Handle& o) noexcept;
  Handle(Handle&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Handle& operator=(Handle o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Handle();
  // Python: Handle.cancel(): the callback will not run (no effect if it ran already).
  void cancel() noexcept;
  // Python: Handle.cancelled().
  [[nodiscard]] bool cancelled() const noexcept;

 private:
  friend class EventLoop;
  explicit Handle(detail::LoopBase::HandleState* s) noexcept : s_(s) {}
  detail::LoopBase::HandleState* s_ = nullptr;
};

// Python: asyncio.TimerHandle — a callback scheduled at a time. Loop thread only.
class TimerHandle {
 public:
  TimerHandle() noexcept = default;
  // Python: TimerHandle.cancel().
  void cancel() noexcept {
    cancelled_ = true;
    h_.cancel();
  }
  [[nodiscard]] bool cancelled() const noexcept { return cancelled_; }
  // Python: TimerHandle.when(): the loop time() it is scheduled for.
  [[nodiscard]] double when() const noexcept { return when_; }

 private:
  friend class EventLoop;
  TimerHandle(net::TimerHandle h, double when) noexcept : h_(h), when_(when) {}
  net::TimerHandle h_;
  double when_ = 0;
  bool cancelled_ = false;
};

// What the exception handler receives (Python: the context dict's "message"/"exception").
struct ExceptionContext {
  std::string message;
  std::exception_ptr exception;
};
using ExceptionHandler = std::function<void(class EventLoop&, const ExceptionContext&)>;

namespace detail {
struct LoopLink;  // lets other threads post to a loop that may be gone (bridges)
}

class EventLoop : public detail::LoopBase {
 public:
  // A loop on its own Reactor (epoll unless $TRIAD_REACTOR / `backend` says otherwise).
  // Throws OSError if the kernel refuses the reactor.
  explicit EventLoop(net::Backend backend = net::Backend::automatic);
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  // close(); see the header comment. Must not be called while the loop runs.
  ~EventLoop();

  // --- running ------------------------------------------------------------------------
  // Python: run_until_complete(future): runs the loop until the task is done and returns its
  // result (rethrows its exception; CancelledError if it was cancelled). A Task<T> is wrapped
  // with create_task first. Blocks the calling OS thread (it IS the loop) · not in a green
  // thread · loop thread only · throws RuntimeError("This event loop is already running"),
  // RuntimeError("Cannot run the event loop while another loop is running"),
  // RuntimeError("Event loop is closed"), RuntimeError("Event loop stopped before Future
  // completed.") if stop() ended the run first · no timeout (use wait_for inside).
  template <class T>
  T run_until_complete(Task<T> task) {
    return run_until_complete(create_task(std::move(task)));
  }
  template <class T>
  T run_until_complete(TaskHandle<T> task) {
    return run_until_complete_impl<T>(task.core_ptr(), [&]() -> decltype(auto) { return task.result(); });
  }
  template <class T>
  T run_until_complete(Future<T> fut) {
    return run_until_complete_impl<T>(fut.core_ptr(), [&]() -> decltype(auto) { return fut.result(); });
  }
  // Python: run_forever(): runs until stop(). Same errors as run_until_complete.
  void run_forever();
  // Python: stop(): run_forever() returns after the current iteration (or after one iteration
  // if it is not running yet). Loop thread only (other threads: call_soon_threadsafe).
  void stop() noexcept { stopping_ = true; }
  // Python: close(). See the header comment. Throws RuntimeError("Cannot close a running event
  // loop"). Idempotent.
  void close();
  [[nodiscard]] bool is_running() const noexcept { return running_; }
  [[nodiscard]] bool is_closed() const noexcept { return closed_.load(std::memory_order_acquire); }

  // --- callbacks and timers ----------------------------------------------------------
  // Python: call_soon(cb): cb runs at the next iteration, after what is already queued (FIFO).
  Handle call_soon(Callback cb);
  // Python: call_soon_threadsafe(cb): the same from any thread; wakes the loop. Throws
  // RuntimeError("Event loop is closed") once closed.
  Handle call_soon_threadsafe(Callback cb);
  // Python: call_later(delay, cb) / call_at(when, cb) with when on time()'s clock.
  TimerHandle call_later(Timeout delay, Callback cb);
  TimerHandle call_at(double when, Callback cb);
  // Python: time(): the loop's clock, seconds (steady clock).
  [[nodiscard]] double time() const noexcept;

  // --- tasks ---------------------------------------------------------------------------
  // Python: create_task(coro, name=None): schedules the coroutine; it starts at the next
  // iteration. Throws RuntimeError("Event loop is closed"), RuntimeError("cannot reuse already
  // awaited coroutine") for a Task already awaited or scheduled.
  template <class T>
  TaskHandle<T> create_task(Task<T> task, std::string name = {});
  // Number of tasks not done yet (Python: len(asyncio.all_tasks(loop))).
  [[nodiscard]] std::size_t all_tasks_count() const noexcept { return pending_tasks_; }
  // Python: create_future(): a pending Future<T> on this loop (future.hpp).
  template <class T = void>
  Future<T> create_future();

  // --- errors --------------------------------------------------------------------------
  // Python: set_exception_handler(handler) (nullptr restores the default) and
  // call_exception_handler(context).
  void set_exception_handler(ExceptionHandler h) { handler_ = std::move(h); }
  void call_exception_handler(const ExceptionContext& ctx) noexcept;

  // --- executors (bridge.hpp uses these) -------------------------------------------------
  // The executor behind to_thread()/run_in_executor(nullptr, ...): created on first use
  // (ThreadPoolExecutor with Python's default size), shut down by close().
  ThreadPoolExecutor& default_executor();
  // A link other threads can use to post to this loop for as long as it lives.
  [[nodiscard]] std::shared_ptr<detail::LoopLink> link() const noexcept { return link_; }

  // A process-unique id (addresses of closed loops get reused).
  [[nodiscard]] std::uint64_t loop_id() const noexcept { return loop_id_; }

  // The Reactor under the loop (for IO awaitables).
  using LoopBase::reactor;

  // Internal (task.hpp/event_loop.cpp): track a new root task.
  void adopt_task(detail::PromiseBase& p, std::coroutine_handle<> frame) noexcept;
  void drop_task(detail::PromiseBase& p) noexcept;

 private:
  template <class T, class Get>
  T run_until_complete_impl(detail::FutureCore* core, Get&& get);
  void run_once();
  void run_ready(Ready r) noexcept;
  void step(detail::PromiseBase* t) noexcept;
  void check_closed() const;
  void check_can_run() const;
  void cancel_all_and_drain() noexcept;

  std::unique_ptr<net::Reactor> own_reactor_;
  std::vector<Ready> batch_;
  detail::PromiseBase* tasks_head_ = nullptr;
  std::size_t pending_tasks_ = 0;
  std::uint64_t next_task_id_ = 1;
  std::uint64_t loop_id_ = 0;
  std::atomic<bool> closed_{false};
  bool running_ = false;
  bool stopping_ = false;
  ExceptionHandler handler_;
  std::unique_ptr<ThreadPoolExecutor> executor_;
  std::shared_ptr<detail::LoopLink> link_;
};

// Python: asyncio.get_running_loop(). Throws RuntimeError("no running event loop").
EventLoop& get_running_loop();
// Python: asyncio.get_event_loop(): the running loop, else this thread's current loop
// (set_event_loop), else a new one that becomes current (owned by the thread until it exits).
// Unlike Python 3.12+, a closed current loop is replaced by a new one instead of being returned.
EventLoop& get_event_loop();
// Python: asyncio.set_event_loop(loop) (nullptr: none). The caller keeps ownership.
void set_event_loop(EventLoop* loop) noexcept;
// Python: asyncio.new_event_loop().
std::unique_ptr<EventLoop> new_event_loop();
// Python: asyncio.create_task(coro): on the running loop (RuntimeError("no running event loop")).
template <class T>
TaskHandle<T> create_task(Task<T> task, std::string name = {}) {
  return get_running_loop().create_task(std::move(task), std::move(name));
}
// Python: asyncio.current_task().get_name(); "" outside a task.
std::string current_task_name();

// Python: asyncio.run(main): runs main on a new event loop, which is set as the thread's
// current loop for the run and closed afterwards (remaining tasks are cancelled and finished,
// the default executor shut down). Returns main's result or rethrows its exception.
// Blocks the calling OS thread · loop thread = the caller · throws RuntimeError
// ("asyncio.run() cannot be called from a running event loop") · no timeout.
// `main` may be a Task<T> or a function returning one: run(main) or run(main()).
template <class T>
T run(Task<T> main);
template <class F>
  requires std::is_invocable_v<F&>
auto run(F&& main) {
  return run(main());
}

// ---- implementation ------------------------------------------------------------------------

namespace detail {
// Sets the thread's current loop (set_event_loop) and returns the previous one.
EventLoop* exchange_current_loop(EventLoop* loop) noexcept;
struct StopWaiter : DoneWaiter {
  EventLoop* loop;
};
}  // namespace detail

inline EventLoop& detail::LoopBase::self() noexcept { return static_cast<EventLoop&>(*this); }

template <class T>
TaskHandle<T> EventLoop::create_task(Task<T> task, std::string name) {
  check_closed();
  auto h = task.release();
  detail::require_valid(h);
  detail::Promise<T>& p = h.promise();
  if (p.started_ || p.is_root_) {
    task = Task<T>(h);  // give it back (destroyed with the argument)
    throw RuntimeError("cannot reuse already awaited coroutine");
  }
  adopt_task(p, h);
  TaskHandle<T> handle(&p);
  if (!name.empty()) handle.set_name(std::move(name));
  return handle;
}

template <class T, class Get>
T EventLoop::run_until_complete_impl(detail::FutureCore* core, Get&& get) {
  check_can_run();
  if (core == nullptr) throw RuntimeError("invalid (empty) TaskHandle or Future");
  if (!core->done()) {
    detail::StopWaiter w;
    w.loop = this;
    w.fire = [](detail::DoneWaiter& d) noexcept { static_cast<detail::StopWaiter&>(d).loop->stop(); };
    core->add_waiter(w);
    try {
      run_forever();
    } catch (...) {
      core->remove_waiter(w);
      throw;
    }
    core->remove_waiter(w);
    if (!core->done()) throw RuntimeError("Event loop stopped before Future completed.");
  }
  if constexpr (std::is_void_v<T>) {
    get();
  } else {
    return T(std::move(get()));
  }
}

template <class T>
T run(Task<T> main) {
  if (detail::tl_running_loop != nullptr) {
    throw RuntimeError("asyncio.run() cannot be called from a running event loop");
  }
  EventLoop loop;
  struct Current {
    EventLoop* prev;
    ~Current() { detail::exchange_current_loop(prev); }
  } current{detail::exchange_current_loop(&loop)};
  auto handle = loop.create_task(std::move(main));
  if constexpr (std::is_void_v<T>) {
    loop.run_until_complete(handle);
    handle = {};
    loop.close();
  } else {
    T r = loop.run_until_complete(handle);
    handle = {};
    loop.close();
    return r;
  }
}

}  // namespace triad::aio
