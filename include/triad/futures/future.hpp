// Future<T> and Promise<T>: the result of an asynchronous computation.
//
// Python: concurrent.futures.Future (the Future's "executor side" — set_result,
// set_exception — lives on Promise<T> in triad).
//
//   triad::Promise<int> p;
//   triad::Future<int> f = p.get_future();
//   f.add_done_callback([](const triad::Future<int>& g) { std::printf("%d\n", g.result()); });
//   std::thread([p = std::move(p)]() mutable { p.set_result(42); }).detach();
//   int v = f.result(2s);                    // 42, or TimeoutError after 2 s
//   auto g = f.then([](int x) { return x * 2; });   // Future<int> holding 84
//
// State machine (Python's): PENDING -> RUNNING -> FINISHED (a value or an exception), or
// PENDING -> CANCELLED (-> CANCELLED_AND_NOTIFIED once an executor noticed). A future is set
// at most once; everything a completer wrote before completing is visible to whoever sees
// the future done (done(), result(), a callback, wait()).
//
// Handles: Future<T> is a cheap shared handle (one pointer, intrusively reference counted):
// copy it freely, compare it (same state), hash it. A default-constructed or moved-from
// Future is invalid (valid() == false) and every other member throws InvalidStateError.
// FutureBase is the type-erased handle (every Future<T> is one): use it for mixed
// collections in wait() and as_completed().
//
// Thread safety: the shared state is fully thread-safe: any number of threads may call any
// const member (result, done, add_done_callback, then, ...) and cancel() through their own
// handles, or through one shared handle, concurrently. Like std::shared_ptr, one handle
// object must not be assigned to while another thread uses it. Promise's members are
// thread-safe too (a Promise is move-only: one owner).
//
// Which thread runs callbacks and continuations (add_done_callback, then):
// - if the future is already done when you add it: the calling thread, at once, before
//   add_done_callback()/then() returns;
// - otherwise: the thread that completes the future (the executor's worker that ran the
//   task, the thread calling Promise::set_result/set_exception, or the thread calling
//   cancel()), after waiters were woken, in registration order.
// A callback that throws is reported on stderr ("exception calling callback for
// <Future ...>" and the exception), like Python's logger, and never stops the others.
// Keep callbacks short: they run on an executor's worker thread.
//
// Results of move-only (or expensive) types:
// - f.result() on an lvalue returns `const T&` into the shared state (valid while any
//   handle to it lives). Nothing is copied.
// - std::move(f).result() returns T: moved out if this handle is the only one left (nobody
//   else can observe it), copied otherwise; for a move-only T it is take().
// - f.take() moves the value out and returns it; afterwards result()/take() on any handle
//   throw InvalidStateError("the result was already moved out by take()").
// - Future<void>::result() returns nothing (rethrows like the others).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "triad/core/error.hpp"
#include "triad/core/timeout.hpp"
#include "triad/futures/detail/future_state.hpp"

namespace triad {

template <class T>
class Future;
template <class T>
class Promise;

namespace detail {
struct AdoptRef {
  explicit AdoptRef() = default;
};
inline constexpr AdoptRef adopt_ref{};
}  // namespace detail

// The type-erased handle: everything about a future except its value.
class FutureBase {
 public:
  FutureBase() noexcept = default;
  FutureBase(const FutureBase& o) noexcept : s_(o.s_) {
    if (s_) s_->add_ref();
  }
  FutureBase(FutureBase&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  FutureBase& operator=(const FutureBase& o) noexcept {
    if (o.s_) o.s_->add_ref();
    reset(o.s_);
    return *this;
  }
  FutureBase& operator=(FutureBase&& o) noexcept {
    if (this != &o) reset(std::exchange(o.s_, nullptr));
    return *this;
  }
  ~FutureBase() { reset(nullptr); }

  // True if this handle refers to a state.
  [[nodiscard]] bool valid() const noexcept { return s_ != nullptr; }

  // Python: done() — finished (value or exception) or cancelled. Never blocks.
  [[nodiscard]] bool done() const { return state().done(); }
  // Python: running() — an executor is running it now. Never blocks.
  [[nodiscard]] bool running() const { return state().running(); }
  // Python: cancelled(). Never blocks.
  [[nodiscard]] bool cancelled() const { return state().cancelled(); }
  // Python: cancel(). Cancels a PENDING future and returns true (also true if it was already
  // cancelled); returns false if it is running or done. Wakes its waiters and runs its
  // callbacks in the calling thread. Never blocks.
  bool cancel() { return state().cancel(); }
  // Python: set_running_or_notify_cancel() (for executor implementations): PENDING ->
  // RUNNING and true; CANCELLED -> false; otherwise RuntimeError("Future in unexpected
  // state").
  bool set_running_or_notify_cancel() { return state().set_running_or_notify_cancel(); }

  // Python: exception(timeout).
  // Blocks until done or the timeout · yields a green thread (parking interface) ·
  // thread-safe · throws TimeoutError if not done in time, CancelledError if cancelled ·
  // returns the task's exception, or a null exception_ptr if it returned a value. A zero or
  // negative timeout does not wait.
  [[nodiscard]] std::exception_ptr exception(Timeout timeout = {}) const {
    return state().await_exception(timeout);
  }

  // Python: add_done_callback(fn) with fn(const FutureBase&). See the header comment for
  // which thread runs it.
  template <class Fn>
  void add_done_callback(Fn&& fn) const;

  // Python: repr(future), e.g. "<Future at 0x55d0c0 state=finished returned int>".
  [[nodiscard]] std::string repr() const { return state().repr(); }

  friend bool operator==(const FutureBase& a, const FutureBase& b) noexcept {
    return a.s_ == b.s_;
  }

  // For executors and wait(): the shared state (null if invalid).
  [[nodiscard]] detail::FutureStateBase* state_ptr() const noexcept { return s_; }
  // For executors: wraps a state whose reference the caller transfers.
  static FutureBase adopt(detail::FutureStateBase* s) noexcept {
    return FutureBase(detail::adopt_ref, s);
  }

 protected:
  FutureBase(detail::AdoptRef, detail::FutureStateBase* s) noexcept : s_(s) {}
  detail::FutureStateBase& state() const {
    if (!s_) throw InvalidStateError("Future has no state (default-constructed or moved-from)");
    return *s_;
  }

 private:
  void reset(detail::FutureStateBase* s) noexcept {
    detail::FutureStateBase* old = std::exchange(s_, s);
    if (old) old->release();
  }
  detail::FutureStateBase* s_ = nullptr;
};

namespace detail {

template <class H, class Fn>
class CallbackImpl final : public CallbackNode {
 public:
  explicit CallbackImpl(Fn&& fn) : fn_(std::move(fn)) {}
  void invoke(FutureStateBase& f) override {
    f.add_ref();
    const H handle = H::adopt(&f);
    std::invoke(fn_, handle);
  }

 private:
  Fn fn_;
};

template <class H, class Fn>
void add_callback_to(FutureStateBase& s, Fn&& fn) {
  using D = std::decay_t<Fn>;
  static_assert(std::is_invocable_v<D&, const H&>,
                "add_done_callback: the callback must be callable with the future "
                "(const Future<T>&)");
  s.add_callback(new CallbackImpl<H, D>(D(std::forward<Fn>(fn))));
}

template <class T>
struct IsFuture : std::false_type {};
template <class T>
struct IsFuture<Future<T>> : std::true_type {};

}  // namespace detail

// The typed handle.
template <class T>
class Future : public FutureBase {
  static_assert(!std::is_reference_v<T>, "Future<T&> is not supported: use Future<T*> or "
                                         "Future<std::reference_wrapper<T>>");

 public:
  using value_type = T;

  Future() noexcept = default;

  // Python: result(timeout).
  // Blocks until done or the timeout (an OS thread spins ~20 µs before sleeping) · yields a
  // green thread (parking interface) · thread-safe · throws TimeoutError if not done in time,
  // CancelledError if cancelled, the task's own exception (rethrown) if it raised, and
  // InvalidStateError if the value was taken · a zero or negative timeout does not wait.
  // Returns const T& (void for Future<void>); see the header comment.
  decltype(auto) result(Timeout timeout = {}) const& {
    auto& s = typed();
    if (!detail::fs::has_value(s.load_state())) s.await_value(timeout);
    if constexpr (std::is_void_v<T>) {
      return;
    } else {
      return static_cast<const T&>(s.value());
    }
  }
  // As above, returning T by value: moved out when this is the last handle, else copied
  // (move-only T: take()).
  auto result(Timeout timeout = {}) && {
    if constexpr (std::is_void_v<T>) {
      static_cast<const Future&>(*this).result(timeout);
    } else if constexpr (!std::is_copy_constructible_v<T>) {
      return take(timeout);
    } else {
      auto& s = typed();
      if (!detail::fs::has_value(s.load_state())) s.await_value(timeout);
      if (s.use_count() == 1) return T(std::move(s.value()));
      return T(s.value());
    }
  }
  // Waits like result(), then moves the value out (InvalidStateError on a second take()).
  auto take(Timeout timeout = {}) const {
    auto& s = typed();
    s.await_value(timeout);
    if constexpr (std::is_void_v<T>) {
      return;
    } else {
      s.mark_taken();
      return T(std::move(s.value()));
    }
  }

  // Python: add_done_callback(fn); fn is called with the future (const Future<T>&).
  template <class Fn>
  void add_done_callback(Fn&& fn) const {
    detail::add_callback_to<Future<T>>(state(), std::forward<Fn>(fn));
  }

  // A continuation (concurrent.futures has none): returns a Future<U> completed with
  // fn's result. fn is either
  //   - callable with the future (const Future<T>&): always called, may inspect
  //     exception()/cancelled(); or
  //   - callable with the value (const T&; T&& for move-only T, which takes it; nothing for
  //     Future<void>): called only if this future finished with a value. Otherwise the
  //     returned future gets the same exception, or is cancelled if this one was.
  // An exception thrown by fn becomes the returned future's exception. fn runs like a done
  // callback: in the thread that completes this future, or at once in the caller if it is
  // already done. Cancelling the returned future before fn runs skips fn; it never cancels
  // this one. A Future<Future<V>> result is not flattened.
  template <class Fn>
  auto then(Fn&& fn) const;

  // For executors: wraps a state whose reference the caller transfers.
  static Future adopt(detail::FutureStateBase* s) noexcept { return Future(s); }

 private:
  explicit Future(detail::FutureStateBase* s) noexcept : FutureBase(detail::adopt_ref, s) {}
  detail::FutureState<T>& typed() const {
    return static_cast<detail::FutureState<T>&>(state());
  }
};

template <class Fn>
void FutureBase::add_done_callback(Fn&& fn) const {
  detail::add_callback_to<FutureBase>(state(), std::forward<Fn>(fn));
}

// Python: the executor side of a Future (set_result, set_exception). Move-only; owns the
// right to complete the future. Destroying a Promise whose future is still pending or
// running completes it with RuntimeError("Promise destroyed without setting a result"),
// so no waiter hangs.
template <class T>
class Promise {
 public:
  Promise() : s_(new detail::PlainState<T>(1)) {}
  Promise(Promise&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Promise& operator=(Promise&& o) noexcept {
    if (this != &o) {
      abandon();
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  Promise(const Promise&) = delete;
  Promise& operator=(const Promise&) = delete;
  ~Promise() { abandon(); }

  // A handle to the future (any number of times).
  [[nodiscard]] Future<T> get_future() const {
    auto& s = state();
    s.add_ref();
    return Future<T>::adopt(&s);
  }

  // Python: set_result(value). Completes the future, wakes its waiters and runs its callbacks
  // in the calling thread. Throws InvalidStateError("FINISHED: <Future ...>" or
  // "CANCELLED: ...") if it was already done. Never blocks (beyond the callbacks).
  template <class... A>
  void set_result(A&&... value) {
    static_assert(std::is_void_v<T> ? sizeof...(A) == 0 : sizeof...(A) >= 1,
                  "set_result: pass the value (nothing for Promise<void>)");
    auto& s = state();
    if (!detail::try_set_value(s, std::forward<A>(value)...)) s.throw_invalid_state();
  }
  // Python: set_exception(exc). Same rules as set_result.
  void set_exception(std::exception_ptr e) {
    if (!e) throw ValueError("set_exception: the exception_ptr is null");
    auto& s = state();
    if (!s.try_set_exception(std::move(e))) s.throw_invalid_state();
  }
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>)
  void set_exception(E&& e) {
    set_exception(std::make_exception_ptr(std::forward<E>(e)));
  }
  // Python: Future.set_running_or_notify_cancel() (see FutureBase).
  bool set_running_or_notify_cancel() { return state().set_running_or_notify_cancel(); }

 private:
  detail::FutureState<T>& state() const {
    if (!s_) throw InvalidStateError("Promise has no state (moved-from)");
    return *s_;
  }
  void abandon() noexcept {
    if (!s_) return;
    if (!s_->done()) {
      s_->try_set_exception(std::make_exception_ptr(
          RuntimeError("Promise destroyed without setting a result")));
    }
    std::exchange(s_, nullptr)->release();
  }
  detail::FutureState<T>* s_;
};

// ---- then() ------------------------------------------------------------------------------

namespace detail {

template <class T, class Fn>
auto then_result_helper() {
  using F = std::decay_t<Fn>;
  if constexpr (std::is_invocable_v<F&, const Future<T>&>) {
    return std::type_identity<std::invoke_result_t<F&, const Future<T>&>>{};
  } else if constexpr (std::is_void_v<T>) {
    static_assert(std::is_invocable_v<F&>,
                  "then: the continuation of a Future<void> takes no argument or the future");
    return std::type_identity<std::invoke_result_t<F&>>{};
  } else if constexpr (std::is_invocable_v<F&, const T&>) {
    return std::type_identity<std::invoke_result_t<F&, const T&>>{};
  } else {
    static_assert(std::is_invocable_v<F&, T&&>,
                  "then: the continuation must be callable with the future, or with the value");
    return std::type_identity<std::invoke_result_t<F&, T&&>>{};
  }
}

}  // namespace detail

template <class T>
template <class Fn>
auto Future<T>::then(Fn&& fn) const {
  using F = std::decay_t<Fn>;
  using U = std::remove_cvref_t<typename decltype(detail::then_result_helper<T, Fn>())::type>;
  auto* next = new detail::PlainState<U>(2);  // the returned handle + the callback
  Future<U> out = Future<U>::adopt(next);
  struct Holder {
    detail::PlainState<U>* s;
    explicit Holder(detail::PlainState<U>* p) noexcept : s(p) {}
    Holder(Holder&& o) noexcept : s(std::exchange(o.s, nullptr)) {}
    Holder(const Holder&) = delete;
    Holder& operator=(const Holder&) = delete;
    Holder& operator=(Holder&&) = delete;
    ~Holder() {
      if (s) {
        if (!s->done()) {
          s->try_set_exception(std::make_exception_ptr(
              RuntimeError("continuation dropped without running")));
        }
        s->release();
      }
    }
  };
  auto body = [f = F(std::forward<Fn>(fn)), h = Holder(next)](const Future<T>& src) mutable {
    detail::PlainState<U>& ns = *h.s;
    constexpr bool kWantsFuture = std::is_invocable_v<F&, const Future<T>&>;
    if constexpr (!kWantsFuture) {
      if (src.cancelled()) {
        ns.cancel();
        return;
      }
      if (auto e = src.exception()) {
        ns.try_set_exception(std::move(e));
        return;
      }
    }
    if (!ns.try_set_running()) return;  // the continuation's future was cancelled
    try {
      auto call = [&]() -> decltype(auto) {
        if constexpr (kWantsFuture) {
          return std::invoke(f, src);
        } else if constexpr (std::is_void_v<T>) {
          return std::invoke(f);
        } else if constexpr (std::is_invocable_v<F&, const T&>) {
          return std::invoke(f, src.result());
        } else {
          return std::invoke(f, src.take());
        }
      };
      if constexpr (std::is_void_v<U>) {
        call();
        ns.try_claim();
        ns.publish(false);
      } else {
        U value = call();
        ns.try_claim();
        ns.emplace(std::move(value));
        ns.publish(false);
      }
    } catch (...) {
      ns.try_claim();
      ns.store_exception(std::current_exception());
      ns.publish(true);
    }
  };
  add_done_callback(std::move(body));
  return out;
}

}  // namespace triad

template <class T>
struct std::hash<triad::Future<T>> {
  std::size_t operator()(const triad::Future<T>& f) const noexcept {
    return std::hash<const void*>()(f.state_ptr());
  }
};
template <>
struct std::hash<triad::FutureBase> {
  std::size_t operator()(const triad::FutureBase& f) const noexcept {
    return std::hash<const void*>()(f.state_ptr());
  }
};
