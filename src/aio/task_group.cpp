// TaskGroup (include/triad/aio/task_group.hpp): Python 3.12's asyncio.TaskGroup, rule by rule.
#include "triad/aio/task_group.hpp"

#include <cstdio>

namespace triad::aio {

namespace {
std::string group_message(const std::string& message, std::size_t n) {
  return message + " (" + std::to_string(n) + " sub-exception" + (n == 1 ? "" : "s") + ")";
}
bool is_cancelled_error(const std::exception_ptr& e) {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace

ExceptionGroup::ExceptionGroup(const std::string& message, std::vector<std::exception_ptr> excs)
    : Error(group_message(message, excs.size())), message_(message), excs_(std::move(excs)) {}

// Waits until the group has no children (Python: `await self._on_completed_fut`).
class TaskGroup::DrainAwaiter : public detail::Suspension {
 public:
  explicit DrainAwaiter(TaskGroup& g) noexcept : g_(g) {}
  DrainAwaiter(const DrainAwaiter&) = delete;
  DrainAwaiter& operator=(const DrainAwaiter&) = delete;
  ~DrainAwaiter() {
    if (g_.drain_ == this) g_.drain_ = nullptr;
  }
  bool await_ready() const noexcept { return g_.children_.empty(); }
  void await_suspend(std::coroutine_handle<> h) {
    detail::PromiseBase& t = detail::current_task_or_throw();
    on_cancel = &cancel_thunk;
    g_.drain_ = this;
    t.suspend(h, this);
  }
  // Returns false if the wait was cancelled (Python: the future raised CancelledError).
  bool await_resume() noexcept {
    g_.drain_ = nullptr;
    if (task != nullptr && (cancelled || task->must_cancel_)) {
      task->must_cancel_ = false;
      return false;
    }
    return true;
  }
  void resume() noexcept {
    if (resumed_) return;
    resumed_ = true;
    g_.drain_ = nullptr;
    task->waiting_on_ = nullptr;
    task->loop_->schedule(task);
  }

 private:
  static bool cancel_thunk(detail::Suspension& s) noexcept {
    auto& self = static_cast<DrainAwaiter&>(s);
    if (self.resumed_) return false;
    self.cancelled = true;
    self.resume();
    return true;
  }
  TaskGroup& g_;
  bool resumed_ = false;
};

TaskGroup::~TaskGroup() {
  for (Child& c : children_) {
    c.core->remove_waiter(c);
    c.core->unref();
  }
}

void TaskGroup::check_can_create() const {
  if (!entered_) throw RuntimeError("TaskGroup has not been entered");
  if (finished_ || (exiting_ && children_.empty())) throw RuntimeError("TaskGroup is finished");
  if (aborting_) throw RuntimeError("TaskGroup is shutting down");
}

void TaskGroup::add_child(detail::FutureCore* core) {
  children_.emplace_back();
  Child& c = children_.back();
  c.group = this;
  c.core = core;
  c.self = std::prev(children_.end());
  c.fire = &child_done;
  core->ref();
  core->add_waiter(c);
}

void TaskGroup::abort() noexcept {
  aborting_ = true;
  for (Child& c : children_) {
    if (!c.core->done()) {
      try {
        c.core->cancel({});
      } catch (...) {
      }
    }
  }
}

void TaskGroup::child_done(detail::DoneWaiter& w) noexcept {
  Child& c = static_cast<Child&>(w);
  TaskGroup& g = *c.group;
  detail::FutureCore* core = c.core;
  g.children_.erase(c.self);
  if (g.drain_ != nullptr && g.children_.empty()) g.drain_->resume();
  struct Unref {
    detail::FutureCore* c;
    ~Unref() { c->unref(); }
  } unref{core};
  if (core->cancelled() || !core->exc_) return;
  core->exc_retrieved_ = true;
  try {
    g.errors_.push_back(core->exc_);
  } catch (...) {
    std::fprintf(stderr, "triad::aio::TaskGroup: out of memory recording a child's error\n");
  }
  if (g.parent_->done()) return;
  if (!g.aborting_ && !g.parent_cancel_requested_) {
    g.abort();
    g.parent_cancel_requested_ = true;
    try {
      g.parent_->task_cancel({});
    } catch (...) {
    }
  }
}

Task<void> TaskGroup::run(Task<void> body) {
  if (entered_) throw RuntimeError("TaskGroup has already been entered");
  parent_ = &detail::current_task_or_throw();
  entered_ = true;

  std::exception_ptr exc;
  try {
    co_await std::move(body);
  } catch (...) {
    exc = std::current_exception();
  }

  // __aexit__
  exiting_ = true;
  const bool body_cancelled = is_cancelled_error(exc);
  std::exception_ptr propagate_cancellation = body_cancelled ? exc : nullptr;
  if (parent_cancel_requested_) {
    if (parent_->cancel_requests_ > 0) --parent_->cancel_requests_;  // uncancel()
    if (parent_->cancel_requests_ == 0) propagate_cancellation = nullptr;
  }
  if (exc && !aborting_) abort();
  while (!children_.empty()) {
    DrainAwaiter d(*this);
    const bool ok = co_await d;
    if (!ok && !aborting_) {
      propagate_cancellation = detail::make_cancelled(parent_->cancel_msg());
      abort();
    }
  }
  finished_ = true;
  if (propagate_cancellation && errors_.empty()) std::rethrow_exception(propagate_cancellation);
  if (exc && !body_cancelled) errors_.push_back(exc);
  if (!errors_.empty()) {
    throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(errors_));
  }
}

}  // namespace triad::aio
