// The machinery shared by Task, Future, the event loop and the combinators (implementation
// detail of triad::aio; nothing here is public API).
//
// FutureCore   the state of anything awaitable that completes once: asyncio.Future and the
//              scheduled Task (whose core is embedded in its coroutine promise, so a task is one
//              allocation). Intrusive DoneWaiters are fired synchronously at completion (they
//              only schedule work); user done-callbacks are scheduled with call_soon.
// Suspension   an await point of a task: what the task waits on, and how to cancel it.
// PromiseBase  the promise part common to every Task<T>; for a scheduled (root) task it is also
//              the task's state (cancel requests, where to resume, the loop's task list).
// LoopBase     the part of EventLoop the templates need inline (ready queue, current task).
//
// Single-threaded by design: every object here belongs to one loop's thread. Cross-thread entry
// goes through EventLoop::call_soon_threadsafe (the reactor's post()).
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "triad/core/error.hpp"
#include "triad/net/reactor.hpp"

namespace triad::aio {

class EventLoop;

namespace detail {

class FutureCore;
class PromiseBase;
class LoopBase;

// Fired once, on the loop thread, when the core completes; it must not throw and should only
// schedule work (it runs inside the completing call).
struct DoneWaiter {
  void (*fire)(DoneWaiter&) noexcept = nullptr;
  DoneWaiter* prev = nullptr;
  DoneWaiter* next = nullptr;
  bool linked = false;
};

// A task's current await point. on_cancel is called by Task.cancel(): it returns true if it
// takes care of delivering the cancellation (e.g. by cancelling the awaited future, or by
// resuming the task with `cancelled` set), false if the task should get CancelledError at its
// next resumption instead.
struct Suspension {
  bool (*on_cancel)(Suspension&) noexcept = nullptr;
  PromiseBase* task = nullptr;
  bool cancelled = false;
};

enum class State : std::uint8_t { pending, finished, cancelled };

struct CoreOps {
  // Python: Future.cancel(msg) / Task.cancel(msg).
  bool (*cancel)(FutureCore&, std::string_view msg);
  // Frees the core (refs dropped to zero).
  void (*destroy)(FutureCore&) noexcept;
};

class FutureCore {
 public:
  explicit FutureCore(const CoreOps* ops) noexcept
      : loop_(nullptr),
        exc_(),
        exc_retrieved_(false),
        ops_(ops),
        state_(State::pending),
        refs_(0),
        whead_(nullptr),
        wtail_(nullptr),
        callbacks_(nullptr) {}
  FutureCore(const FutureCore&) = delete;
  FutureCore& operator=(const FutureCore&) = delete;
  // The derived class calls release_storage() (a coroutine awaited inline has less to free).
  ~FutureCore() {}  // NOLINT: exc_ is released by release_storage()
  void release_storage() noexcept {
    if (callbacks_ != nullptr || exc_) [[unlikely]] destroy_slow();
  }

  [[nodiscard]] bool done() const noexcept { return state_ != State::pending; }
  [[nodiscard]] bool cancelled() const noexcept { return state_ == State::cancelled; }
  [[nodiscard]] State state() const noexcept { return state_; }
  [[nodiscard]] LoopBase* loop() const noexcept { return loop_; }

  void ref() noexcept { ++refs_; }
  void unref() noexcept {
    if (--refs_ == 0) ops_->destroy(*this);
  }
  bool cancel(std::string_view msg) { return ops_->cancel(*this, msg); }

  void add_waiter(DoneWaiter& w) noexcept {
    w.prev = wtail_;
    w.next = nullptr;
    if (wtail_) wtail_->next = &w; else whead_ = &w;
    wtail_ = &w;
    w.linked = true;
  }
  void remove_waiter(DoneWaiter& w) noexcept {
    if (!w.linked) return;
    if (w.prev) w.prev->next = w.next; else whead_ = w.next;
    if (w.next) w.next->prev = w.prev; else wtail_ = w.prev;
    w.prev = w.next = nullptr;
    w.linked = false;
  }

  // Throws what result() throws when the core did not finish with a value: InvalidStateError
  // while pending, CancelledError if cancelled, the stored exception.
  void check_result() {
    exc_retrieved_ = true;
    if (state_ == State::finished && !exc_) [[likely]] return;
    throw_not_value();
  }
  [[noreturn]] void throw_not_value();
  void destroy_slow() noexcept;
  // Python: Future.exception().
  std::exception_ptr exception();

  // Adds a user callback (scheduled with call_soon when done; at once if done already).
  void add_callback(net::Callback cb);

  // --- completion (loop thread) ---
  void finish_value() noexcept { complete(State::finished); }
  void finish_exception(std::exception_ptr e) noexcept {
    exc_ = std::move(e);
    complete(State::finished);
  }
  void finish_cancelled(std::exception_ptr cancelled_error) noexcept {
    exc_ = std::move(cancelled_error);
    complete(State::cancelled);
  }

  // Sets the final state, fires the DoneWaiters and schedules the callbacks.
  void complete(State s) noexcept;

  LoopBase* loop_;
  // The exception, or the CancelledError of a cancelled core. In a union so that the common
  // case (no exception) costs no call to libstdc++'s out-of-line ~exception_ptr().
  union {
    std::exception_ptr exc_;
  };
  bool exc_retrieved_;

 protected:
  // For a coroutine promise: initialises only what a coroutine awaited inline uses (the
  // exception slot and what the destructor reads); the rest is set by init_scheduled() when
  // the coroutine becomes a scheduled task. Keeps `co_await f()` cheap.
  struct Lazy {};
  explicit FutureCore(Lazy) noexcept : exc_() {}
  void init_scheduled(LoopBase* loop, const CoreOps* ops) noexcept {
    loop_ = loop;
    exc_retrieved_ = false;
    ops_ = ops;
    state_ = State::pending;
    refs_ = 0;
    whead_ = wtail_ = nullptr;
    callbacks_ = nullptr;
  }

 private:
  const CoreOps* ops_;
  State state_;
  std::uint32_t refs_;
  DoneWaiter* whead_;
  DoneWaiter* wtail_;
  std::vector<net::Callback>* callbacks_;
};

// The result of a Task<T> or Future<T>: a value slot (T may be void or move-only).
template <class T>
struct ResultSlot {
  std::optional<T> value_;
  template <class U>
  void set_value(U&& v) { value_.emplace(std::forward<U>(v)); }
  T& get() noexcept { return *value_; }
};
template <>
struct ResultSlot<void> {
  void get() noexcept {}
};

// A bounded CancelledError carrying the cancel message (Python: CancelledError(msg)).
std::exception_ptr make_cancelled(std::string_view msg);

class PromiseBase : public FutureCore {
 public:
  PromiseBase() noexcept : FutureCore(Lazy{}) {}
  PromiseBase(const PromiseBase&) = delete;
  PromiseBase& operator=(const PromiseBase&) = delete;
  ~PromiseBase() {
    if (is_root_ || exc_) [[unlikely]] release_task_slow();
  }
  void release_task_slow() noexcept;

  // Turns this coroutine into a scheduled (root) task of `loop` (EventLoop::adopt_task): the
  // task state that a coroutine awaited inline never touches is initialised here.
  void init_root(LoopBase* loop, std::coroutine_handle<> frame, std::uint64_t id) noexcept {
    init_scheduled(loop, &kTaskOps);
    is_root_ = true;
    extras_ = nullptr;
    frame_ = frame;
    resume_point_ = frame;
    waiting_on_ = nullptr;
    prev_task_ = next_task_ = nullptr;
    id_ = id;
    cancel_requests_ = 0;
    must_cancel_ = false;
  }

  // --- Task (root) state; see EventLoop::create_task ---
  // Python: Task.cancel(msg).
  bool task_cancel(std::string_view msg);
  // Records where the task suspended and on what.
  void suspend(std::coroutine_handle<> h, Suspension* s) noexcept {
    resume_point_ = h;
    waiting_on_ = s;
    s->task = this;
  }
  // At an await point's resumption: raises CancelledError if the await was cancelled or a
  // cancellation is pending (Python's _must_cancel), consuming the request.
  void check_cancel(bool leaf_cancelled) {
    if (leaf_cancelled || must_cancel_) [[unlikely]] throw_cancelled();
  }
  [[noreturn]] void throw_cancelled();

  static const CoreOps kTaskOps;

  // Fields marked (root) are initialised by init_root() only: never read them on a coroutine
  // that is awaited inline.
  std::coroutine_handle<> frame_;          // (root) its own frame (destroyed at refs 0)
  std::coroutine_handle<> continuation_;   // who awaits this coroutine inline (null for a root)
  std::coroutine_handle<> resume_point_;   // (root) its innermost suspended coroutine
  Suspension* waiting_on_;                 // (root) its current await point
  PromiseBase* prev_task_;                 // (root) the loop's list of pending tasks
  PromiseBase* next_task_;
  // Rarely used task data, allocated on first use (keeps every coroutine frame small).
  struct Extras {
    std::string name;        // set_name(); empty = "Task-<id>"
    std::string cancel_msg;  // the message of the last cancel(msg)
  };
  Extras* extras_;                         // (root) owned
  [[nodiscard]] std::string_view cancel_msg() const noexcept {
    return extras_ ? std::string_view(extras_->cancel_msg) : std::string_view();
  }
  [[nodiscard]] std::string name() const {
    if (extras_ && !extras_->name.empty()) return extras_->name;
    return "Task-" + std::to_string(id_);
  }
  Extras& extras() {
    if (!extras_) extras_ = new Extras;
    return *extras_;
  }
  std::uint64_t id_;                       // (root)
  int cancel_requests_;                    // (root) Python: Task.cancelling()
  bool must_cancel_;                       // (root)
  bool started_ = false;
  bool is_root_ = false;
};

// What the event loop must offer to the templates inline.
class LoopBase {
 public:
  LoopBase() = default;
  LoopBase(const LoopBase&) = delete;
  LoopBase& operator=(const LoopBase&) = delete;

  [[nodiscard]] PromiseBase* current_task() const noexcept { return current_task_; }
  // Queues one step of task t (resume where it suspended) at the end of the ready queue.
  void schedule(PromiseBase* t) { ready_.push_back(Ready{t, nullptr}); }
  // Queues a callback (refcounted handle state; see EventLoop::call_soon).
  void schedule_callback(net::Callback fn);
  [[nodiscard]] net::Reactor& reactor() noexcept { return *reactor_; }
  [[nodiscard]] EventLoop& self() noexcept;

  struct HandleState;  // a call_soon callback (event_loop.cpp)
  struct Ready {
    PromiseBase* task;
    HandleState* handle;
  };

 protected:
  PromiseBase* current_task_ = nullptr;
  std::vector<Ready> ready_;
  net::Reactor* reactor_ = nullptr;
};

// The running loop of this OS thread (null when none).
inline thread_local LoopBase* tl_running_loop = nullptr;

// The task running on this thread's loop; throws RuntimeError when called outside a task.
inline PromiseBase& current_task_or_throw() {
  LoopBase* l = tl_running_loop;
  PromiseBase* t = l ? l->current_task() : nullptr;
  if (t == nullptr) [[unlikely]] {
    throw RuntimeError(l ? "await outside of a task: run coroutines with create_task() or run()"
                         : "no running event loop");
  }
  return *t;
}

}  // namespace detail
}  // namespace triad::aio
