// Greenlet, spawn, joinall, killall: gevent's green threads.
//
// Python: gevent.Greenlet, gevent.spawn, gevent.spawn_later, gevent.joinall, gevent.killall.
//
//   using namespace triad::green;
//   Greenlet<int> g = spawn([](int n) { sleep(triad::seconds(0.1)); return n * n; }, 7);
//   g.join();                                 // waits (the hub runs other green threads)
//   assert(g.successful() && *g.value() == 49);
//   auto many = joinall({spawn(f), spawn(f)}, triad::seconds(5));
//
// A Greenlet<T> is a cheap copyable handle (like a Python reference) to a green thread that
// runs fn(args...) on the calling OS thread's hub. spawn() schedules it: it starts when the
// spawning context next yields (join, sleep, IO...), in spawn order.
//
// Python ↔ triad
//   gevent.spawn(fn, *args)          spawn(fn, args...) -> Greenlet<R>
//   gevent.spawn_later(s, fn, *a)    spawn_later(seconds, fn, args...)
//   Greenlet(fn); g.start()          Greenlet<R>::create(fn, args...); g.start()
//   g.join(timeout)                  g.join(timeout) -> bool (true if finished)
//   g.get(block, timeout)            g.get(timeout): value or the greenlet's exception
//   g.kill(exc, block, timeout)      g.kill(exc, block, timeout)
//   g.value / g.exception            g.value() (std::optional<T>) / g.exception() (exception_ptr)
//   g.ready() / g.successful()       same; g.dead(), g.started(), bool(g)
//   g.link(cb)                       g.link(cb): cb(g) runs in a new green thread when g ends
//   g.link_value / link_exception    same
//   gevent.joinall(gs, timeout, raise_error)   joinall(gs, timeout, raise_error) -> finished ones
//   gevent.killall(gs, exc, block, timeout)    killall(...)
//
// Outcome (as gevent): returning sets value() and successful(); an exception escaping fn sets
// exception() (and is printed to stderr like gevent's hub does); GreenletExit escaping fn (a
// kill) counts as successful with no value.
//
// Thread safety: a Greenlet runs on the hub of the OS thread that spawned it. ready(),
// successful(), value(), exception() and join() may be called from any thread (join from
// another OS thread blocks it through the parking interface); kill(), link() and start()
// only on the greenlet's own thread.
#pragma once

#include <any>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "triad/core/detail/spinlock.hpp"
#include "triad/core/error.hpp"
#include "triad/core/parking.hpp"
#include "triad/core/timeout.hpp"
#include "triad/green/greenlet.hpp"
#include "triad/green/hub.hpp"
#include "triad/green/timeout.hpp"

namespace triad::green {

class BasicGreenlet;

namespace detail {

enum class GStatus : std::uint8_t { pending, running, dead };

class GreenletState {
 public:
  explicit GreenletState(GreenletOptions options);
  GreenletState(const GreenletState&) = delete;
  GreenletState& operator=(const GreenletState&) = delete;
  virtual ~GreenletState();

  // Runs the body (in the green thread); stores the value; never throws.
  virtual void invoke() = 0;

  void start(std::shared_ptr<GreenletState> self);
  void start_later(std::shared_ptr<GreenletState> self, triad::Timeout seconds);
  bool join(triad::Timeout timeout);
  void kill(std::exception_ptr e, bool block, triad::Timeout timeout);
  void add_link(std::function<void(BasicGreenlet)> cb, int which);  // 0 any, 1 value, 2 exception
  void add_raw_link(std::function<void()> cb);  // runs in the dying green thread; must not block
  void body() noexcept;  // the raw greenlet's run

  std::unique_ptr<greenlet> raw;
  Hub* hub = nullptr;
  std::atomic<GStatus> status{GStatus::pending};
  std::exception_ptr exception;  // set before status becomes dead
  bool has_value = false;         // set before status becomes dead
  std::weak_ptr<GreenletState> weak_self;

 private:
  void finish() noexcept;
  static void on_dead(void* self) noexcept;
  triad::detail::SpinLock lock_;
  WaitList waiters_;
  std::vector<std::pair<int, std::function<void(BasicGreenlet)>>> links_;
  std::vector<std::function<void()>> raw_links_;
  std::shared_ptr<GreenletState> keepalive_;
  net::TimerHandle start_timer_;
};

template <class R>
class GreenletStateT final : public GreenletState {
 public:
  GreenletStateT(GreenletOptions options, std::function<R()> fn)
      : GreenletState(std::move(options)), fn_(std::move(fn)) {}
  void invoke() override {
    if constexpr (std::is_void_v<R>) {
      fn_();
    } else {
      value_.emplace(fn_());
    }
    has_value = true;
  }
  std::optional<std::conditional_t<std::is_void_v<R>, char, R>> value_;

 private:
  std::function<R()> fn_;
};

}  // namespace detail

// A handle to a green thread of any result type.
class BasicGreenlet {
 public:
  BasicGreenlet() noexcept = default;

  // Python: g.ready() — the green thread has finished (or was killed before starting).
  [[nodiscard]] bool ready() const noexcept {
    return st_->status.load(std::memory_order_acquire) == detail::GStatus::dead;
  }
  // Python: g.dead.
  [[nodiscard]] bool dead() const noexcept { return ready(); }
  // Python: g.started / bool(g): started and not dead.
  [[nodiscard]] bool started() const noexcept {
    return st_->status.load(std::memory_order_acquire) != detail::GStatus::pending;
  }
  explicit operator bool() const noexcept {
    return st_ && st_->status.load(std::memory_order_acquire) == detail::GStatus::running;
  }
  // Python: g.successful() — finished without an exception (a kill counts as success).
  [[nodiscard]] bool successful() const noexcept { return ready() && !st_->exception; }
  // Python: g.exception — the exception that ended it, or nullptr.
  [[nodiscard]] std::exception_ptr exception() const noexcept {
    return ready() ? st_->exception : nullptr;
  }
  // Python: g.join(timeout). Waits until the green thread finishes or the timeout passes;
  // returns ready(). Blocks? yes, the caller (a green thread yields to its hub; an OS thread
  // parks). Yields a green thread? yes. Thread safety: any thread. Throws: the caller's
  // pending interrupt (GreenletExit, TimeoutExpired) if it is a green thread; LoopExit if it
  // would block forever. Timeout: absent = forever; zero = just check.
  bool join(triad::Timeout timeout = {}) const { return st_->join(timeout); }
  // Python: g.kill(exception=GreenletExit, block=True, timeout=None). Raises `e` (nullptr:
  // GreenletExit) inside the green thread; a green thread that has not started never runs.
  // With block, waits for it to finish (up to timeout). Yields? yes when blocking. Thread
  // safety: the greenlet's own OS thread only (RuntimeError otherwise). Throws: the caller's
  // pending interrupt while blocking.
  void kill(std::exception_ptr e = nullptr, bool block = true, triad::Timeout timeout = {}) const {
    st_->kill(std::move(e), block, timeout);
  }
  // Python: g.link(callback). cb(g) runs in a new green thread of the same hub once g is
  // ready (at once, scheduled, if it already is). Own thread only.
  void link(std::function<void(BasicGreenlet)> cb) const { st_->add_link(std::move(cb), 0); }
  void link_value(std::function<void(BasicGreenlet)> cb) const { st_->add_link(std::move(cb), 1); }
  void link_exception(std::function<void(BasicGreenlet)> cb) const {
    st_->add_link(std::move(cb), 2);
  }
  // Python: g.start() / g.start_later(seconds) for a greenlet made with Greenlet<R>::create.
  // Own thread only. Starting one that is already scheduled or started is a no-op (gevent).
  void start() const { st_->start(st_); }
  void start_later(triad::Timeout seconds) const { st_->start_later(st_, seconds); }

  [[nodiscard]] const std::string& name() const noexcept { return st_->raw->name(); }
  // The underlying greenlet.
  [[nodiscard]] greenlet& raw() const noexcept { return *st_->raw; }
  [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(st_); }
  friend bool operator==(const BasicGreenlet& a, const BasicGreenlet& b) noexcept {
    return a.st_ == b.st_;
  }
  [[nodiscard]] const std::shared_ptr<detail::GreenletState>& state() const noexcept { return st_; }

 protected:
  explicit BasicGreenlet(std::shared_ptr<detail::GreenletState> st) noexcept : st_(std::move(st)) {}
  std::shared_ptr<detail::GreenletState> st_;
  friend class detail::GreenletState;
};

template <class R>
class Greenlet : public BasicGreenlet {
 public:
  using value_type = R;
  Greenlet() noexcept = default;

  // Python: Greenlet(fn, *args) — created, not started (call start()).
  template <class F, class... Args>
  static Greenlet create_with(GreenletOptions options, F&& fn, Args&&... args) {
    auto bound = [f = std::forward<F>(fn),
                  tup = std::make_tuple(std::forward<Args>(args)...)]() mutable -> R {
      return std::apply(f, std::move(tup));
    };
    auto st = std::make_shared<detail::GreenletStateT<R>>(std::move(options),
                                                          std::function<R()>(std::move(bound)));
    st->weak_self = st;
    return Greenlet(std::move(st));
  }
  template <class F, class... Args>
  static Greenlet create(F&& fn, Args&&... args) {
    return create_with(GreenletOptions{}, std::forward<F>(fn), std::forward<Args>(args)...);
  }

  // Python: g.value — the return value once finished successfully, else nullopt.
  template <class T = R, class = std::enable_if_t<!std::is_void_v<T>>>
  [[nodiscard]] std::optional<T> value() const {
    if (!ready()) return std::nullopt;
    return typed().value_;
  }
  // Python: g.get(block=True, timeout). Waits (like join) and returns the value, or rethrows
  // the greenlet's exception. Throws TimeoutExpired if the timeout passes first.
  R get(triad::Timeout timeout = {}) const {
    if (!join(timeout)) throw TimeoutExpired(this, "timed out waiting for " + name());
    if (st_->exception) std::rethrow_exception(st_->exception);
    if constexpr (!std::is_void_v<R>) {
      if (!typed().value_) throw GreenletExit();  // killed: no value
      return *typed().value_;
    }
  }

 private:
  explicit Greenlet(std::shared_ptr<detail::GreenletState> st) noexcept
      : BasicGreenlet(std::move(st)) {}
  const detail::GreenletStateT<R>& typed() const noexcept {
    return static_cast<const detail::GreenletStateT<R>&>(*st_);
  }
};

template <class F, class... Args>
using spawn_result_t = std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&&...>;

// Python: gevent.spawn(fn, *args). Creates and schedules a green thread on the calling OS
// thread's hub (created if needed). Never blocks. Throws std::bad_alloc only.
template <class F, class... Args>
Greenlet<spawn_result_t<F, Args...>> spawn(F&& fn, Args&&... args) {
  auto g = Greenlet<spawn_result_t<F, Args...>>::create(std::forward<F>(fn),
                                                        std::forward<Args>(args)...);
  g.start();
  return g;
}

// spawn() with options: stack size and name (Python: Greenlet(run, ...) then g.name = ...).
template <class F, class... Args>
Greenlet<spawn_result_t<F, Args...>> spawn_with(GreenletOptions options, F&& fn, Args&&... args) {
  auto g = Greenlet<spawn_result_t<F, Args...>>::create_with(
      std::move(options), std::forward<F>(fn), std::forward<Args>(args)...);
  g.start();
  return g;
}

// Python: gevent.spawn_later(seconds, fn, *args). Starts it after `seconds`.
template <class F, class... Args>
Greenlet<spawn_result_t<F, Args...>> spawn_later(triad::Timeout seconds, F&& fn, Args&&... args) {
  auto g = Greenlet<spawn_result_t<F, Args...>>::create(std::forward<F>(fn),
                                                        std::forward<Args>(args)...);
  g.start_later(seconds);
  return g;
}

// Python: gevent.joinall(greenlets, timeout=None, raise_error=False). Waits until all are
// ready (or the timeout) and returns those that are ready, in the given order. With
// raise_error, rethrows the first exception a greenlet ended with (as soon as it is seen).
// Blocks/yields like join(). Throws: see join().
std::vector<BasicGreenlet> joinall(const std::vector<BasicGreenlet>& greenlets,
                                   triad::Timeout timeout = {}, bool raise_error = false);

// Python: gevent.killall(greenlets, exception=GreenletExit, block=True, timeout=None).
void killall(const std::vector<BasicGreenlet>& greenlets, std::exception_ptr e = nullptr,
             bool block = true, triad::Timeout timeout = {});

// Python: gevent.getcurrent() for gevent code: the running greenlet (see greenlet.hpp).

// Python: gevent.with_timeout(seconds, fn, *args). Runs fn(args...) under a Timeout.
template <class F, class... Args>
auto with_timeout(triad::Timeout seconds, F&& fn, Args&&... args) {
  Timeout t(seconds);
  return std::invoke(std::forward<F>(fn), std::forward<Args>(args)...);
}

}  // namespace triad::green
