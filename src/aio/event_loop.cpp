// EventLoop, and the out-of-line parts of FutureCore / PromiseBase (detail/core.hpp).
#include "triad/aio/event_loop.hpp"

#include <cstdio>
#include <cstdlib>
#include <typeinfo>

#include "triad/core/detail/spinlock.hpp"
#include "triad/futures/thread_pool_executor.hpp"
#include "triad/aio/detail/loop_link.hpp"

namespace triad::aio {
namespace detail {

// ---- frame cache ------------------------------------------------------------------------

namespace {
struct FrameCacheCleaner {
  ~FrameCacheCleaner() {
    FrameCache& fc = tl_frame_cache;
    for (std::size_t c = 0; c < kFrameClasses; ++c) {
      while (FreeFrame* f = fc.heads[c]) {
        fc.heads[c] = f->next;
        ::operator delete(f);
      }
      fc.counts[c] = 0;
    }
    fc.cap = 0;
  }
};
}  // namespace

void register_frame_cache_cleanup() noexcept {
  static thread_local FrameCacheCleaner cleaner;
  (void)&cleaner;
  tl_frame_cache.cap = kMaxCached;
}

// ---- callbacks (call_soon) ----------------------------------------------------------------

struct LoopBase::HandleState {
  std::atomic<std::uint32_t> refs{1};
  std::atomic<bool> cancelled{false};
  net::Callback fn;

  void unref() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

void LoopBase::schedule_callback(net::Callback fn) {
  auto* hs = new HandleState;
  hs->fn = std::move(fn);
  try {
    ready_.push_back(Ready{nullptr, hs});
  } catch (...) {
    hs->unref();
    throw;
  }
}

// ---- FutureCore ---------------------------------------------------------------------------

namespace {
std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return std::string(typeid(x).name()) + ": " + x.what();
  } catch (...) {
    return "unknown exception";
  }
}
}  // namespace

void FutureCore::destroy_slow() noexcept {
  if (state_ == State::finished && exc_ && !exc_retrieved_ && ops_ != nullptr) {
    try {
      std::fprintf(stderr, "Task exception was never retrieved: %s\n", describe(exc_).c_str());
    } catch (...) {
    }
  }
  delete callbacks_;
  exc_.~exception_ptr();
}

void FutureCore::throw_not_value() {
  if (state_ == State::pending) throw InvalidStateError("Result is not set.");
  std::rethrow_exception(exc_);
}

std::exception_ptr FutureCore::exception() {
  if (state_ == State::pending) throw InvalidStateError("Exception is not set.");
  if (state_ == State::cancelled) std::rethrow_exception(exc_);
  exc_retrieved_ = true;
  return exc_;
}

void FutureCore::add_callback(net::Callback cb) {
  if (done()) {
    ref();
    struct Unref {
      FutureCore* c;
      ~Unref() { c->unref(); }
    };
    loop_->schedule_callback([this, f = std::move(cb)]() mutable {
      Unref u{this};
      f();
    });
    return;
  }
  if (!callbacks_) callbacks_ = new std::vector<net::Callback>;
  callbacks_->push_back(std::move(cb));
}

void FutureCore::complete(State s) noexcept {
  state_ = s;
  while (DoneWaiter* w = whead_) {
    remove_waiter(*w);
    w->fire(*w);
  }
  if (callbacks_) {
    std::vector<net::Callback>* cbs = std::exchange(callbacks_, nullptr);
    for (auto& cb : *cbs) {
      ref();
      struct Unref {
        FutureCore* c;
        ~Unref() { c->unref(); }
      };
      try {
        loop_->schedule_callback([this, f = std::move(cb)]() mutable {
          Unref u{this};
          f();
        });
      } catch (...) {
        unref();  // bad_alloc: the callback is lost (reported)
        std::fprintf(stderr, "triad::aio: out of memory scheduling a done-callback\n");
      }
    }
    delete cbs;
  }
}

std::exception_ptr make_cancelled(std::string_view msg) {
  if (msg.empty()) return std::make_exception_ptr(CancelledError());
  return std::make_exception_ptr(CancelledError(std::string(msg)));
}

// ---- PromiseBase (tasks) --------------------------------------------------------------------

namespace {
bool task_cancel_op(FutureCore& c, std::string_view msg) {
  return static_cast<PromiseBase&>(c).task_cancel(msg);
}
void task_destroy_op(FutureCore& c) noexcept { static_cast<PromiseBase&>(c).frame_.destroy(); }
}  // namespace

const CoreOps PromiseBase::kTaskOps{&task_cancel_op, &task_destroy_op};

void PromiseBase::release_task_slow() noexcept {
  if (is_root_) {
    delete extras_;
    release_storage();
  } else {
    exc_.~exception_ptr();  // awaited inline: only the exception slot is in use
  }
}

bool PromiseBase::task_cancel(std::string_view msg) {
  if (done()) return false;
  ++cancel_requests_;
  if (!msg.empty() || extras_) extras().cancel_msg.assign(msg);
  if (waiting_on_ != nullptr && waiting_on_->on_cancel(*waiting_on_)) return true;
  must_cancel_ = true;
  return true;
}

void PromiseBase::throw_cancelled() {
  must_cancel_ = false;
  if (cancel_msg().empty()) throw CancelledError();
  throw CancelledError(std::string(cancel_msg()));
}

void finish_root(PromiseBase& p) noexcept {
  static_cast<EventLoop*>(p.loop_)->drop_task(p);
  if (p.exc_) {
    bool cancelled = false;
    try {
      std::rethrow_exception(p.exc_);
    } catch (const CancelledError&) {
      cancelled = true;
    } catch (...) {
    }
    p.complete(cancelled ? State::cancelled : State::finished);
  } else if (p.must_cancel_) {
    // Python: cancelled right before the coroutine returned.
    p.must_cancel_ = false;
    p.exc_ = make_cancelled(p.cancel_msg());
    p.complete(State::cancelled);
  } else {
    p.complete(State::finished);
  }
  p.unref();  // the loop's reference
}

EventLoop* exchange_current_loop(EventLoop* loop) noexcept;

}  // namespace detail

// ---- Handle --------------------------------------------------------------------------------

Handle::Handle(const Handle& o) noexcept : s_(o.s_) {
  if (s_) s_->refs.fetch_add(1, std::memory_order_relaxed);
}
Handle::~Handle() {
  if (s_) s_->unref();
}
void Handle::cancel() noexcept {
  if (s_) s_->cancelled.store(true, std::memory_order_release);
}
bool Handle::cancelled() const noexcept {
  return s_ && s_->cancelled.load(std::memory_order_acquire);
}

// ---- EventLoop ----------------------------------------------------------------------------

namespace {
thread_local EventLoop* tl_current_loop = nullptr;   // set_event_loop
thread_local std::unique_ptr<EventLoop> tl_owned_loop;  // get_event_loop's own
}  // namespace

EventLoop* detail::exchange_current_loop(EventLoop* loop) noexcept {
  return std::exchange(tl_current_loop, loop);
}

namespace {
std::atomic<std::uint64_t> g_next_loop_id{1};
}  // namespace

EventLoop::EventLoop(net::Backend backend)
    : own_reactor_(std::make_unique<net::Reactor>(backend)),
      link_(std::make_shared<detail::LoopLink>()) {
  reactor_ = own_reactor_.get();
  loop_id_ = g_next_loop_id.fetch_add(1, std::memory_order_relaxed);
  link_->loop = this;
  ready_.reserve(64);
  batch_.reserve(64);
}

EventLoop::~EventLoop() {
  if (running_) {
    std::fprintf(stderr, "triad::aio: EventLoop destroyed while running\n");
    std::abort();
  }
  close();
  if (tl_current_loop == this) tl_current_loop = nullptr;
}

void EventLoop::check_closed() const {
  if (is_closed()) throw RuntimeError("Event loop is closed");
}

void EventLoop::check_can_run() const {
  check_closed();
  if (running_) throw RuntimeError("This event loop is already running");
  if (detail::tl_running_loop != nullptr) {
    throw RuntimeError("Cannot run the event loop while another loop is running");
  }
}

void EventLoop::adopt_task(detail::PromiseBase& p, std::coroutine_handle<> frame) noexcept {
  p.init_root(this, frame, next_task_id_++);
  p.ref();  // the loop's reference, dropped when the task finishes
  p.next_task_ = tasks_head_;
  if (tasks_head_) tasks_head_->prev_task_ = &p;
  tasks_head_ = &p;
  ++pending_tasks_;
  schedule(&p);
}

void EventLoop::drop_task(detail::PromiseBase& p) noexcept {
  if (p.prev_task_) p.prev_task_->next_task_ = p.next_task_; else tasks_head_ = p.next_task_;
  if (p.next_task_) p.next_task_->prev_task_ = p.prev_task_;
  p.prev_task_ = p.next_task_ = nullptr;
  --pending_tasks_;
}

void EventLoop::step(detail::PromiseBase* t) noexcept {
  current_task_ = t;
  if (!t->started_) [[unlikely]] {
    t->started_ = true;
    if (t->must_cancel_) {  // cancelled before it started: never runs (Python)
      current_task_ = nullptr;
      t->exc_ = detail::make_cancelled(t->cancel_msg());
      t->must_cancel_ = false;
      detail::finish_root(*t);
      return;
    }
  }
  t->waiting_on_ = nullptr;
  t->resume_point_.resume();
  current_task_ = nullptr;
}

void EventLoop::run_ready(Ready r) noexcept {
  if (r.task != nullptr) {
    step(r.task);
    return;
  }
  detail::LoopBase::HandleState* hs = r.handle;
  if (!hs->cancelled.load(std::memory_order_acquire)) {
    try {
      hs->fn();
    } catch (...) {
      call_exception_handler({"Exception in callback", std::current_exception()});
    }
  }
  hs->fn.reset();
  hs->unref();
}

void EventLoop::run_once() {
  const bool poll = !ready_.empty() || stopping_;
  reactor_->run_once(poll ? Deadline::at(Clock::time_point{}) : Deadline::never());
  batch_.swap(ready_);
  const std::size_t n = batch_.size();
  for (std::size_t i = 0; i < n; ++i) run_ready(batch_[i]);
  batch_.clear();
}

void EventLoop::run_forever() {
  check_can_run();
  running_ = true;
  detail::tl_running_loop = this;
  struct Reset {
    EventLoop* l;
    ~Reset() {
      l->running_ = false;
      l->stopping_ = false;
      detail::tl_running_loop = nullptr;
    }
  } reset{this};
  for (;;) {
    run_once();
    if (stopping_) break;
  }
}

void EventLoop::cancel_all_and_drain() noexcept {
  if (pending_tasks_ == 0 && ready_.empty()) return;
  detail::tl_running_loop = this;
  running_ = true;
  for (int round = 0; round < 100 && pending_tasks_ > 0; ++round) {
    for (detail::PromiseBase* t = tasks_head_; t != nullptr; t = t->next_task_) {
      try {
        t->task_cancel({});
      } catch (...) {
      }
    }
    // Let the cancellations run (and what they trigger) without blocking for long.
    for (int i = 0; i < 50 && pending_tasks_ > 0; ++i) {
      try {
        reactor_->run_once(ready_.empty() ? Deadline::after(std::chrono::milliseconds(1))
                                          : Deadline::at(Clock::time_point{}));
      } catch (...) {
      }
      batch_.swap(ready_);
      for (const Ready& r : batch_) run_ready(r);
      batch_.clear();
    }
  }
  if (pending_tasks_ > 0) {
    std::fprintf(stderr, "Task was destroyed but it is pending! (%zu task(s) leaked)\n",
                 pending_tasks_);
  }
  running_ = false;
  detail::tl_running_loop = nullptr;
}

void EventLoop::close() {
  if (running_) throw RuntimeError("Cannot close a running event loop");
  if (is_closed()) return;
  cancel_all_and_drain();
  {
    std::lock_guard<triad::detail::SpinLock> g(link_->mu);
    link_->loop = nullptr;
  }
  closed_.store(true, std::memory_order_release);
  if (executor_) {
    executor_->shutdown(true);
    executor_.reset();
  }
  // Posted callbacks still in the reactor are destroyed with it; ready callbacks are dropped.
  for (const Ready& r : ready_) {
    if (r.handle) r.handle->unref();
  }
  ready_.clear();
}

Handle EventLoop::call_soon(Callback cb) {
  check_closed();
  auto* hs = new HandleState;
  hs->fn = std::move(cb);
  hs->refs.store(2, std::memory_order_relaxed);
  try {
    ready_.push_back(Ready{nullptr, hs});
  } catch (...) {
    delete hs;
    throw;
  }
  return Handle(hs);
}

namespace {
struct HandleRef {
  detail::LoopBase::HandleState* p;
  explicit HandleRef(detail::LoopBase::HandleState* s) noexcept : p(s) {}
  HandleRef(HandleRef&& o) noexcept : p(std::exchange(o.p, nullptr)) {}
  HandleRef& operator=(HandleRef&&) = delete;
  ~HandleRef();
};
}  // namespace

HandleRef::~HandleRef() {
  if (p) p->unref();
}

Handle EventLoop::call_soon_threadsafe(Callback cb) {
  if (is_closed()) throw RuntimeError("Event loop is closed");
  auto* hs = new HandleState;
  hs->fn = std::move(cb);
  hs->refs.store(2, std::memory_order_relaxed);
  Handle h(hs);
  reactor_->post([this, r = HandleRef(hs)]() mutable {
    ready_.push_back(Ready{nullptr, std::exchange(r.p, nullptr)});
  });
  return h;
}

TimerHandle EventLoop::call_later(Timeout delay, Callback cb) {
  check_closed();
  const Deadline d = Deadline::after(delay);
  const double when = d.is_never() ? 1e300 : std::chrono::duration<double>(d.time_point().time_since_epoch()).count();
  auto h = reactor_->call_at(d, [this, f = std::move(cb)]() mutable {
    try {
      f();
    } catch (...) {
      call_exception_handler({"Exception in callback", std::current_exception()});
    }
  });
  return TimerHandle(h, when);
}

TimerHandle EventLoop::call_at(double when, Callback cb) {
  check_closed();
  const auto tp = Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(when)));
  auto h = reactor_->call_at(Deadline::at(tp), [this, f = std::move(cb)]() mutable {
    try {
      f();
    } catch (...) {
      call_exception_handler({"Exception in callback", std::current_exception()});
    }
  });
  return TimerHandle(h, when);
}

double EventLoop::time() const noexcept {
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

void EventLoop::call_exception_handler(const ExceptionContext& ctx) noexcept {
  if (handler_) {
    try {
      handler_(*this, ctx);
      return;
    } catch (...) {
      std::fprintf(stderr, "triad::aio: the exception handler raised\n");
    }
  }
  std::string what = ctx.exception ? detail::describe(ctx.exception) : std::string();
  std::fprintf(stderr, "%s%s%s\n", ctx.message.c_str(), what.empty() ? "" : ": ", what.c_str());
}

ThreadPoolExecutor& EventLoop::default_executor() {
  check_closed();
  if (!executor_) executor_ = std::make_unique<ThreadPoolExecutor>();
  return *executor_;
}

EventLoop& get_running_loop() {
  if (detail::tl_running_loop == nullptr) throw RuntimeError("no running event loop");
  return static_cast<EventLoop&>(*detail::tl_running_loop);
}

EventLoop& get_event_loop() {
  if (detail::tl_running_loop != nullptr) return static_cast<EventLoop&>(*detail::tl_running_loop);
  if (tl_current_loop != nullptr && !tl_current_loop->is_closed()) return *tl_current_loop;
  tl_owned_loop = std::make_unique<EventLoop>();
  tl_current_loop = tl_owned_loop.get();
  return *tl_current_loop;
}

void set_event_loop(EventLoop* loop) noexcept { tl_current_loop = loop; }

std::unique_ptr<EventLoop> new_event_loop() { return std::make_unique<EventLoop>(); }

std::string current_task_name() {
  detail::LoopBase* l = detail::tl_running_loop;
  detail::PromiseBase* t = l ? l->current_task() : nullptr;
  if (t == nullptr) return {};
  return t->name();
}

}  // namespace triad::aio
