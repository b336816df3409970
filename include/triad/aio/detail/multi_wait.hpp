// MultiWait: one await point over several futures/tasks (gather, wait, as_completed).
// Implementation detail of triad::aio.
#pragma once

#include <coroutine>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "triad/aio/event_loop.hpp"
#include "triad/aio/future.hpp"
#include "triad/aio/task.hpp"

namespace triad::aio {

// Python: asyncio.FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED.
enum class ReturnWhen : unsigned char { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;  // NOLINT
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;  // NOLINT
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;      // NOLINT

namespace detail {

// Python: ensure_future(aw): a Task<T> is scheduled on the running loop; handles pass through.
template <class T>
TaskHandle<T> ensure_future(Task<T>&& t) {
  return create_task(std::move(t));
}
template <class T>
TaskHandle<T> ensure_future(const TaskHandle<T>& h) {
  return h;
}
template <class T>
Future<T> ensure_future(const Future<T>& f) {
  return f;
}
template <class A>
using handle_of_t = decltype(ensure_future(std::declval<A>()));

enum class WaitMode : unsigned char {
  gather,           // all done, or the first failure (unless return_exceptions)
  gather_all,       // all done (return_exceptions=True)
  first_completed,  // wait(FIRST_COMPLETED)
  first_exception,  // wait(FIRST_EXCEPTION)
  all_completed,    // wait(ALL_COMPLETED)
};

class MultiWait : public Suspension {
 public:
  struct Node : DoneWaiter {
    MultiWait* owner = nullptr;
    FutureCore* core = nullptr;
  };

  // cancel_children: gather's semantics (cancelling the waiter cancels the children and the
  // waiter resumes when they are all done); otherwise wait()'s (the waiter just raises).
  MultiWait(std::vector<FutureCore*> cores, WaitMode mode, bool cancel_children,
            Deadline deadline = Deadline::never())
      : nodes_(cores.size()), mode_(mode), cancel_children_(cancel_children), deadline_(deadline) {
    for (std::size_t i = 0; i < cores.size(); ++i) {
      nodes_[i].owner = this;
      nodes_[i].core = cores[i];
      nodes_[i].fire = &fire_thunk;
      if (cores[i]->done()) {
        ++completed_;
        note_failure(cores[i]);
      }
    }
  }
  MultiWait(const MultiWait&) = delete;
  MultiWait& operator=(const MultiWait&) = delete;
  ~MultiWait() {
    for (Node& n : nodes_) n.core->remove_waiter(n);
    timer_.cancel();
  }

  bool await_ready() const noexcept { return satisfied() || nodes_.empty(); }
  void await_suspend(std::coroutine_handle<> h) {
    PromiseBase& t = current_task_or_throw();
    on_cancel = &cancel_thunk;
    if (!deadline_.is_never()) {
      if (deadline_.expired()) {
        t.loop_->schedule(&t);
        timed_out_ = true;
        resumed_ = true;
        t.suspend(h, this);
        return;
      }
      timer_ = t.loop_->reactor().call_at(deadline_, [this]() noexcept {
        timed_out_ = true;
        resume();
      });
    }
    for (Node& n : nodes_) {
      if (!n.core->done()) n.core->add_waiter(n);
    }
    t.suspend(h, this);
  }
  void await_resume() {
    if (task != nullptr) task->check_cancel(cancelled);
  }

  // The first child (in completion order) that failed (cancelled or raised), or null.
  [[nodiscard]] FutureCore* first_failure() const noexcept { return first_failure_; }
  [[nodiscard]] bool timed_out() const noexcept { return timed_out_; }

 private:
  [[nodiscard]] bool satisfied() const noexcept {
    const bool all = completed_ == nodes_.size();
    switch (mode_) {
      case WaitMode::gather: return all || (first_failure_ != nullptr && !children_cancelled_);
      case WaitMode::gather_all: return all;
      case WaitMode::first_completed: return completed_ > 0;
      case WaitMode::first_exception: return all || first_exception_;
      case WaitMode::all_completed: return all;
    }
    return all;
  }
  void note_failure(FutureCore* c) noexcept {
    if (!c->exc_) return;
    if (first_failure_ == nullptr) first_failure_ = c;
    if (!c->cancelled()) first_exception_ = true;
  }
  void resume() noexcept {
    if (resumed_ || task == nullptr) return;
    resumed_ = true;
    timer_.cancel();
    task->waiting_on_ = nullptr;
    task->loop_->schedule(task);
  }
  static void fire_thunk(DoneWaiter& w) noexcept {
    Node& n = static_cast<Node&>(w);
    MultiWait& self = *n.owner;
    ++self.completed_;
    self.note_failure(n.core);
    if (self.satisfied()) self.resume();
  }
  static bool cancel_thunk(Suspension& s) noexcept {
    auto& self = static_cast<MultiWait&>(s);
    if (self.resumed_) return false;
    self.cancelled = true;
    if (self.cancel_children_) {
      // Python's gather: cancelling the gather cancels every child; it completes (with
      // CancelledError) when they are all done.
      self.children_cancelled_ = true;
      self.mode_ = WaitMode::gather_all;
      for (Node& n : self.nodes_) {
        if (!n.core->done()) {
          try {
            n.core->cancel(self.task->cancel_msg());
          } catch (...) {
          }
        }
      }
      if (self.satisfied()) self.resume();
      return true;
    }
    self.resume();
    return true;
  }

  std::vector<Node> nodes_;
  WaitMode mode_;
  bool cancel_children_;
  Deadline deadline_;
  net::TimerHandle timer_;
  std::size_t completed_ = 0;
  FutureCore* first_failure_ = nullptr;
  bool first_exception_ = false;
  bool children_cancelled_ = false;
  bool timed_out_ = false;
  bool resumed_ = false;
};

}  // namespace detail
}  // namespace triad::aio
