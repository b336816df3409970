// Future<T>: a result that will be set later by someone on the loop (Python: asyncio.Future).
// Python: asyncio.Future.
//
// Python                                   triad::aio
// fut = loop.create_future()               Future<int> fut = loop.create_future<int>();
// fut.set_result(1) / set_exception(e)     the same (e: a std::exception_ptr or any exception)
// await fut                                co_await fut        (int&; co_await std::move(fut): int)
// fut.cancel(msg) / cancelled() / done()   the same
// fut.result() / exception()               the same (exception() returns exception_ptr)
// fut.add_done_callback(cb)                the same; cb(Future<int>&) runs on the loop thread
//
//   auto fut = loop.create_future<std::string>();
//   loop.call_later(50ms, [fut]() mutable { fut.set_result("done"); });
//   std::string s = loop.run_until_complete(wait_for_it(fut));   // a task doing co_await fut
//
// Unlike a Task, a Future runs no code: cancel() cancels it at once (its awaiters get
// CancelledError). A task awaiting a Future that is cancelled by Task.cancel() cancels the
// Future (Python). Future<T> is a reference-counted handle: copies share one state.
//
// Threads: loop thread only. From another thread, complete it through
// loop.call_soon_threadsafe (or use triad::Future/Promise and co_await that; bridge.hpp).
#pragma once

#include <exception>
#include <string_view>
#include <type_traits>
#include <utility>

#include "triad/aio/event_loop.hpp"

namespace triad::aio {
namespace detail {

template <class T>
class FutureState final : public FutureCore, public ResultSlot<T> {
 public:
  explicit FutureState(LoopBase* loop) noexcept : FutureCore(&kOps) { loop_ = loop; }
  FutureState(const FutureState&) = delete;
  FutureState& operator=(const FutureState&) = delete;
  ~FutureState() { release_storage(); }

 private:
  static bool cancel_op(FutureCore& c, std::string_view msg) {
    if (c.done()) return false;
    c.exc_ = make_cancelled(msg);
    c.complete(State::cancelled);
    return true;
  }
  static void destroy_op(FutureCore& c) noexcept { delete static_cast<FutureState*>(&c); }
  static constexpr CoreOps kOps{&cancel_op, &destroy_op};
};

}  // namespace detail

template <class T = void>
class Future {
 public:
  using value_type = T;

  Future() noexcept = default;
  // A pending future on `loop` (Python: loop.create_future()).
  explicit Future(EventLoop& loop) : s_(new detail::FutureState<T>(&loop)) { s_->ref(); }
  Future(const Future& o) noexcept : s_(o.s_) {
    if (s_) s_->ref();
  }
  Future(Future&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Future& operator=(Future o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Future() {
    if (s_) s_->unref();
  }

  [[nodiscard]] bool valid() const noexcept { return s_ != nullptr; }
  [[nodiscard]] bool done() const { return st().done(); }
  [[nodiscard]] bool cancelled() const { return st().cancelled(); }

  // Python: set_result(v). Raises InvalidStateError("invalid state") if already done.
  template <class U = T>
    requires(!std::is_void_v<U>)
  void set_result(U&& v) {
    check_pending();
    s_->set_value(std::forward<U>(v));
    s_->complete(detail::State::finished);
  }
  void set_result()
    requires std::is_void_v<T>
  {
    check_pending();
    s_->complete(detail::State::finished);
  }
  // Python: set_exception(e). Raises InvalidStateError("invalid state") if already done, and
  // TypeError-like ValueError if e is a CancelledError (Python: "invalid exception object").
  void set_exception(std::exception_ptr e) {
    check_pending();
    if (!e) throw ValueError("set_exception: a null exception_ptr");
    try {
      std::rethrow_exception(e);
    } catch (const CancelledError&) {
      throw ValueError("invalid exception object: CancelledError cannot be set; use cancel()");
    } catch (...) {
    }
    s_->exc_ = std::move(e);
    s_->complete(detail::State::finished);
  }
  template <class E>
    requires std::is_base_of_v<std::exception, std::decay_t<E>>
  void set_exception(E&& e) {
    set_exception(std::make_exception_ptr(std::forward<E>(e)));
  }
  // Python: cancel(msg): false if already done; else cancels at once and schedules callbacks.
  bool cancel(std::string_view msg = {}) { return st().cancel(msg); }

  // Python: result() / exception(); see TaskHandle.
  decltype(auto) result() const {
    st().check_result();
    if constexpr (!std::is_void_v<T>) return static_cast<T&>(s_->get());
  }
  [[nodiscard]] std::exception_ptr exception() const { return st().exception(); }
  // Python: add_done_callback(fn): fn(Future<T>&) scheduled with call_soon once done.
  template <class F>
  void add_done_callback(F&& fn) const {
    detail::FutureState<T>* s = s_;
    st().add_callback(net::Callback([s, f = std::forward<F>(fn)]() mutable {
      Future h(s);
      f(h);
    }));
  }
  [[nodiscard]] EventLoop& get_loop() const { return st().loop()->self(); }

  detail::CoreAwaiter<T, false> operator co_await() const& noexcept { return {s_, s_}; }
  detail::CoreAwaiter<T, true> operator co_await() && noexcept { return {s_, s_}; }

  [[nodiscard]] detail::FutureCore* core_ptr() const noexcept { return s_; }

 private:
  explicit Future(detail::FutureState<T>* s) noexcept : s_(s) { s_->ref(); }
  detail::FutureState<T>& st() const {
    if (!s_) throw RuntimeError("invalid (empty) Future");
    return *s_;
  }
  void check_pending() const {
    if (st().done()) throw InvalidStateError("invalid state");
  }
  detail::FutureState<T>* s_ = nullptr;
};

template <class T>
Future<T> EventLoop::create_future() {
  check_closed();
  return Future<T>(*this);
}

}  // namespace triad::aio
