// shield: protect an awaitable from cancellation (Python: asyncio.shield).
// Python: asyncio.shield.
//
// Python                                   triad::aio
// res = await asyncio.shield(something())  auto res = co_await shield(something());
//
//   auto h = triad::aio::create_task(save_to_disk());
//   co_await triad::aio::shield(h);   // if this task is cancelled, save_to_disk() goes on
//
// If the awaiting task is cancelled, the await raises CancelledError at once but the shielded
// task (a Task<T> argument is scheduled with create_task first) keeps running; cancelling the
// shielded task itself still cancels it (and the await raises CancelledError). Returns T&
// (T for a temporary). Loop thread only, inside a task.
#pragma once

#include <coroutine>
#include <type_traits>
#include <utility>

#include "triad/aio/detail/multi_wait.hpp"

namespace triad::aio {

template <class H>
class Shielded {
 public:
  using T = typename H::value_type;
  explicit Shielded(H h) : h_(std::move(h)) {}

  class Awaiter : public detail::Suspension, public detail::DoneWaiter {
   public:
    explicit Awaiter(H& h) noexcept : h_(h) {}
    Awaiter(const Awaiter&) = delete;
    Awaiter& operator=(const Awaiter&) = delete;
    ~Awaiter() { h_.core_ptr()->remove_waiter(*this); }
    bool await_ready() const noexcept { return h_.done(); }
    void await_suspend(std::coroutine_handle<> c) {
      detail::PromiseBase& t = detail::current_task_or_throw();
      on_cancel = &cancel_thunk;
      fire = &fire_thunk;
      t.suspend(c, this);
      h_.core_ptr()->add_waiter(*this);
    }
    T await_resume() {
      if (task != nullptr) task->check_cancel(cancelled);
      if constexpr (std::is_void_v<T>) {
        h_.result();
      } else {
        return T(h_.result());
      }
    }

   private:
    static void fire_thunk(detail::DoneWaiter& w) noexcept {
      auto& self = static_cast<Awaiter&>(w);
      self.task->waiting_on_ = nullptr;
      self.task->loop_->schedule(self.task);
    }
    static bool cancel_thunk(detail::Suspension& s) noexcept {
      auto& self = static_cast<Awaiter&>(s);
      self.h_.core_ptr()->remove_waiter(self);
      self.cancelled = true;
      self.task->waiting_on_ = nullptr;
      try {
        self.task->loop_->schedule(self.task);
      } catch (...) {
        return false;
      }
      return true;
    }
    H& h_;
  };
  Awaiter operator co_await() & noexcept { return Awaiter(h_); }
  Awaiter operator co_await() && noexcept { return Awaiter(h_); }
  // The shielded task or future.
  [[nodiscard]] const H& inner() const noexcept { return h_; }

 private:
  H h_;
};

// Python: asyncio.shield(aw).
template <class A>
auto shield(A&& aw) {
  return Shielded<detail::handle_of_t<A&&>>(detail::ensure_future(std::forward<A>(aw)));
}

}  // namespace triad::aio
