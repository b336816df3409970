// wait and as_completed: wait for some of a set of tasks (Python: asyncio.wait,
// asyncio.as_completed).
// Python: asyncio.wait, asyncio.as_completed, FIRST_COMPLETED / FIRST_EXCEPTION / ALL_COMPLETED.
//
// Python                                               triad::aio
// done, pending = await asyncio.wait(aws)              auto [done, pending] = co_await wait(hs);
// ... = await asyncio.wait(aws, timeout=2,             co_await wait(hs, 2s, FIRST_COMPLETED);
//                          return_when=FIRST_COMPLETED)
// loop.run_until_complete(asyncio.wait([f(), g()]))    loop.run_until_complete(wait(tasks)) — the
//                                                      seed's form: a vector of Task<T> is
//                                                      scheduled first (Python < 3.11 did that)
// for aw in asyncio.as_completed(aws, timeout=5):      auto it = as_completed(hs, 5s);
//     r = await aw                                     while (it) { auto h = co_await it.next(); h.result(); }
//
//   std::vector<triad::aio::TaskHandle<int>> hs = {create_task(a()), create_task(b())};
//   auto [done, pending] = co_await triad::aio::wait(hs, 1s);
//
// wait(): returns WaitResult{done, pending} (Python's pair of sets; here vectors in argument
// order). It never raises for the children's errors nor on timeout (the timed-out children
// are in `pending`), and cancelling the waiting task does not cancel the children.
// Throws ValueError("Set of Tasks/Futures is empty.") for no tasks.
//
// as_completed(): an iterator over the handles in completion order (Python 3.13's async-for
// form, which yields the original tasks). next() suspends until the next one completes;
// once `timeout` (from the as_completed() call) has passed it raises TimeoutError. Cancelling
// the waiting task does not cancel the children.
//
// Blocks? suspends only the calling task · loop thread only, inside a task · timeout: as
// above (forever = none).
#pragma once

#include <cstddef>
#include <deque>
#include <utility>
#include <vector>

#include "triad/aio/detail/multi_wait.hpp"

namespace triad::aio {

template <class H>
struct WaitResult {
  std::vector<H> done;
  std::vector<H> pending;
};

namespace detail {
template <class H>
Task<WaitResult<H>> wait_impl(std::vector<H> hs, Timeout timeout, ReturnWhen rw) {
  if (hs.empty()) throw ValueError("Set of Tasks/Futures is empty.");
  const WaitMode mode = rw == FIRST_COMPLETED   ? WaitMode::first_completed
                        : rw == FIRST_EXCEPTION ? WaitMode::first_exception
                                                : WaitMode::all_completed;
  {
    MultiWait w(cores_of(hs), mode, false, Deadline::after(timeout));
    co_await w;
  }
  WaitResult<H> r;
  for (H& h : hs) (h.done() ? r.done : r.pending).push_back(std::move(h));
  co_return r;
}
}  // namespace detail

// Python: asyncio.wait(aws, timeout=None, return_when=ALL_COMPLETED) over TaskHandles or
// Futures. See the header comment.
template <class H>
  requires requires(const H& h) { h.core_ptr(); }
Task<WaitResult<H>> wait(std::vector<H> hs, Timeout timeout = forever,
                         ReturnWhen return_when = ALL_COMPLETED) {
  return detail::wait_impl(std::move(hs), timeout, return_when);
}
// The seed's form: coroutines, scheduled as tasks when the wait starts.
template <class T>
Task<WaitResult<TaskHandle<T>>> wait(std::vector<Task<T>> tasks, Timeout timeout = forever,
                                     ReturnWhen return_when = ALL_COMPLETED) {
  std::vector<TaskHandle<T>> hs;
  hs.reserve(tasks.size());
  for (Task<T>& t : tasks) hs.push_back(create_task(std::move(t)));
  co_return co_await detail::wait_impl(std::move(hs), timeout, return_when);
}

// Python: asyncio.as_completed(aws, timeout=None). Non-copyable, non-movable; loop thread only.
template <class H>
class AsCompleted {
 public:
  AsCompleted(std::vector<H> hs, Timeout timeout)
      : hs_(std::move(hs)), nodes_(hs_.size()), deadline_(Deadline::after(timeout)) {
    for (std::size_t i = 0; i < hs_.size(); ++i) {
      nodes_[i].owner = this;
      nodes_[i].index = i;
      nodes_[i].fire = &fire_thunk;
      if (hs_[i].done()) {
        done_.push_back(i);
      } else {
        hs_[i].core_ptr()->add_waiter(nodes_[i]);
      }
    }
  }
  AsCompleted(const AsCompleted&) = delete;
  AsCompleted& operator=(const AsCompleted&) = delete;
  ~AsCompleted() {
    for (std::size_t i = 0; i < hs_.size(); ++i) hs_[i].core_ptr()->remove_waiter(nodes_[i]);
  }

  // How many handles next() has not returned yet.
  [[nodiscard]] std::size_t remaining() const noexcept { return hs_.size() - returned_; }
  explicit operator bool() const noexcept { return remaining() > 0; }

  class NextAwaiter : public detail::Suspension {
   public:
    explicit NextAwaiter(AsCompleted& a) noexcept : a_(a) {}
    bool await_ready() const {
      if (a_.remaining() == 0) throw RuntimeError("as_completed: no more tasks");
      return !a_.done_.empty();
    }
    void await_suspend(std::coroutine_handle<> h) {
      detail::PromiseBase& t = detail::current_task_or_throw();
      on_cancel = &cancel_thunk;
      if (!a_.deadline_.is_never()) {
        timer_ = t.loop_->reactor().call_at(a_.deadline_, [this]() noexcept {
          timed_out_ = true;
          resume();
        });
      }
      a_.waiter_ = this;
      t.suspend(h, this);
    }
    H await_resume() {
      a_.waiter_ = nullptr;
      timer_.cancel();
      if (task != nullptr) task->check_cancel(cancelled);
      if (a_.done_.empty()) throw TimeoutError();
      const std::size_t i = a_.done_.front();
      a_.done_.pop_front();
      ++a_.returned_;
      return a_.hs_[i];
    }
    ~NextAwaiter() {
      timer_.cancel();
      if (a_.waiter_ == this) a_.waiter_ = nullptr;
    }
    void resume() noexcept {
      if (resumed_) return;
      resumed_ = true;
      timer_.cancel();
      task->waiting_on_ = nullptr;
      task->loop_->schedule(task);
    }

   private:
    static bool cancel_thunk(detail::Suspension& s) noexcept {
      auto& self = static_cast<NextAwaiter&>(s);
      if (self.resumed_) return false;
      self.cancelled = true;
      self.resume();
      return true;
    }
    AsCompleted& a_;
    net::TimerHandle timer_;
    bool timed_out_ = false;
    bool resumed_ = false;
  };

  // Awaits the next handle to complete (in completion order). Throws TimeoutError once the
  // timeout passed, CancelledError if the awaiting task is cancelled, RuntimeError when
  // nothing remains.
  [[nodiscard]] NextAwaiter next() { return NextAwaiter(*this); }

 private:
  struct Node : detail::DoneWaiter {
    AsCompleted* owner = nullptr;
    std::size_t index = 0;
  };
  static void fire_thunk(detail::DoneWaiter& w) noexcept {
    Node& n = static_cast<Node&>(w);
    AsCompleted& self = *n.owner;
    try {
      self.done_.push_back(n.index);
    } catch (...) {
      return;  // bad_alloc: this completion is lost to the iterator (documented limit)
    }
    if (self.waiter_ != nullptr) self.waiter_->resume();
  }

  std::vector<H> hs_;
  std::vector<Node> nodes_;
  std::deque<std::size_t> done_;
  Deadline deadline_;
  NextAwaiter* waiter_ = nullptr;
  std::size_t returned_ = 0;
};

// Python: asyncio.as_completed(aws, timeout). Accepts TaskHandles/Futures, or Task<T>s (then
// scheduled at once).
template <class A>
auto as_completed(std::vector<A> aws, Timeout timeout = forever) {
  using H = detail::handle_of_t<A>;
  std::vector<H> hs;
  hs.reserve(aws.size());
  for (A& a : aws) hs.push_back(detail::ensure_future(std::move(a)));
  return AsCompleted<H>(std::move(hs), timeout);
}

}  // namespace triad::aio
