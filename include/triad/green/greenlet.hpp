// greenlet: a stackful coroutine with explicit switching — the primitive under the hub.
//
// Python: greenlet.greenlet (the `greenlet` package, 2.x), which gevent is built on.
//
// A greenlet runs a function on its own stack. Control moves only when some greenlet calls
// switch_to() (Python's `switch`) or throw_() on another one: nothing is preemptive and
// nothing switches on IO by itself (that is the hub's job, see hub.hpp). Every OS thread has
// an implicit *main* greenlet (the thread's own stack); greenlets belong to the thread that
// created them and can only be switched to from it.
//
//   using namespace triad::green;
//   greenlet* e = nullptr;
//   greenlet p([&](std::any) -> std::any { say("play"); e->switch_to(); say("play more"); return {}; });
//   greenlet eat([&](std::any) -> std::any { say("eat"); p.switch_to(); say("eat more"); return {}; });
//   e = &eat;
//   eat.switch_to();          // prints: eat, play, eat more   (play never resumes, as in the seed)
//
// Python ↔ triad
//   greenlet(run, parent)          greenlet(run, parent = getcurrent(), options)
//   g.switch(*args)                g.switch_to(std::any value)  (returns the value switched back)
//   g.throw(typ, val)              g.throw_(std::exception_ptr) / g.throw_(exception object)
//   g.parent / g.parent = p        g.parent() / g.set_parent(p)
//   g.dead, bool(g)                g.dead(), g.active() / explicit operator bool
//   greenlet.getcurrent()          triad::green::getcurrent()
//   greenlet.GreenletExit          triad::green::GreenletExit
//   greenlet.error                 triad::green::error (a triad::RuntimeError)
//
// Values: run receives the value of the first switch_to() and its return value is switched to
// the parent (the parent's pending switch_to() returns it). An exception escaping run is
// re-raised in the parent; GreenletExit escaping run is not an error: the parent receives the
// GreenletExit object as the value. Switching to a dead greenlet switches to its parent (the
// first live ancestor) instead.
//
// Lifetime: greenlet objects are not reference counted; a greenlet's parent must outlive it
// (the main greenlet and the hub live as long as their thread). Destroying a greenlet that is
// started and not dead throws GreenletExit into it first (as Python's garbage collector does),
// so its stack unwinds and its destructors run.
//
// Stacks: each greenlet runs on a stack from a per-thread pool of mmap'd stacks (default
// 64 KiB of address space, of which only the touched pages use memory) with a PROT_NONE guard
// page below. A stack overflow prints which greenlet overflowed and how to raise its stack
// size, then dies with SIGSEGV. Sanitizer builds annotate every switch for ASan and TSan.
//
// Thread safety: a greenlet is used only on the OS thread that created it; switching to it
// from another thread throws triad::green::error("cannot switch to a different thread").
#pragma once

#include <any>
#include <cstddef>
#include <exception>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "triad/core/error.hpp"
#include "triad/green/detail/greenlet_core.hpp"

namespace triad::green {

// Python: greenlet.GreenletExit. Thrown into a greenlet to make it exit (kill(), throw_() with
// no argument, destruction of a suspended greenlet). Deliberately NOT a triad::Error (Python's
// GreenletExit is a BaseException): `catch (const triad::Error&)` does not swallow a kill.
class GreenletExit : public std::exception {
 public:
  GreenletExit() = default;
  [[nodiscard]] const char* what() const noexcept override { return "GreenletExit"; }
};

// Python: greenlet.error — misuse of switching (another thread, cyclic parents, ...).
class error : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

// Per-greenlet options.
struct GreenletOptions {
  // Usable stack bytes, rounded up to whole pages; 0 = default_stack_size().
  std::size_t stack_size = 0;
  // Name used in diagnostics (stack overflow reports). Empty = "greenlet-<n>".
  std::string name;
};

// The default stack size for new greenlets (64 KiB unless changed). Thread-safe.
[[nodiscard]] std::size_t default_stack_size() noexcept;
// Changes the default stack size (bytes, rounded up to pages; at least 16 KiB). Thread-safe;
// affects greenlets created afterwards. Throws ValueError for sizes below 16 KiB or above 1 GiB.
void set_default_stack_size(std::size_t bytes);
// Whether new stacks get a PROT_NONE guard page (default true). Each guarded stack costs two
// kernel memory mappings, and Linux caps mappings per process (vm.max_map_count, 65530 by
// default), so programs with more than ~30,000 live green threads either raise that limit or
// turn guards off (an overflow is then undetected memory corruption). Thread-safe.
void set_stack_guard(bool enabled) noexcept;
[[nodiscard]] bool stack_guard() noexcept;

class greenlet {
 public:
  using Run = std::function<std::any(std::any)>;

  // A greenlet that will call run(value) on its first switch. parent == nullptr means the
  // current greenlet. The stack is allocated at the first switch, not here.
  // Throws: error if parent belongs to another thread.
  explicit greenlet(Run run, greenlet* parent = nullptr, GreenletOptions options = {});
  // Convenience: run may be `R()` or `R(std::any)`, R void or convertible to std::any.
  template <class F, class = std::enable_if_t<!std::is_convertible_v<F, Run> &&
                                              std::is_invocable_v<F&>>>
  explicit greenlet(F run, greenlet* parent = nullptr, GreenletOptions options = {})
      : greenlet(wrap(std::move(run)), parent, std::move(options)) {}

  greenlet(const greenlet&) = delete;
  greenlet& operator=(const greenlet&) = delete;
  // Kills a suspended greenlet first (see above). Must run on the greenlet's thread when it
  // is active; never throws (an exception escaping the kill is discarded).
  ~greenlet();

  // Python: g.switch(value). Switches to this greenlet (starting it with `value`, or making
  // its pending switch_to() return `value`) and returns the value that is switched back to
  // the caller later. Blocks? only in the sense that the caller is suspended until someone
  // switches back. Thread safety: the greenlet's own thread only. Throws: whatever is thrown
  // into the caller while it is suspended (an exception escaping a child's run, throw_());
  // error for a greenlet of another thread.
  std::any switch_to(std::any value = {});
  // The general (out-of-line) form of switch_to(): first switch, dead targets, other threads.
  std::any switch_to_slow(std::any value);

  // Python: g.throw(exc). Switches to this greenlet and raises `e` in it at once (a greenlet
  // that has not started dies without running; `e` then goes to its parent). nullptr means
  // GreenletExit. Returns/throws like switch_to().
  std::any throw_(std::exception_ptr e = nullptr);
  template <class E, class = std::enable_if_t<!std::is_same_v<std::decay_t<E>, std::exception_ptr> &&
                                              !std::is_same_v<std::decay_t<E>, std::nullptr_t>>>
  std::any throw_(E&& e) {
    return throw_(std::make_exception_ptr(std::forward<E>(e)));
  }

  // Python: g.parent. The greenlet that receives control (and run's result) when this one
  // finishes. The main greenlet has none (nullptr).
  [[nodiscard]] greenlet* parent() const noexcept { return core_.parent; }
  // Python: g.parent = p. Throws ValueError("cyclic parent chain") for a cycle, error
  // ("parent cannot be on a different thread") across threads, ValueError for nullptr.
  void set_parent(greenlet* p);

  // Python: g.dead — started and finished.
  [[nodiscard]] bool dead() const noexcept { return core_.dead; }
  // Python: bool(g) — started and not dead.
  [[nodiscard]] bool active() const noexcept { return core_.started && !core_.dead; }
  explicit operator bool() const noexcept { return active(); }
  [[nodiscard]] bool started() const noexcept { return core_.started; }
  [[nodiscard]] bool is_main() const noexcept { return core_.is_main; }
  // Python: g.gr_frame is not None — suspended somewhere in run.
  [[nodiscard]] bool suspended() const noexcept { return active() && !is_current(); }
  [[nodiscard]] bool is_current() const noexcept;

  [[nodiscard]] const std::string& name() const noexcept { return core_.name; }
  void set_name(std::string name) { core_.name = std::move(name); }
  // Usable stack bytes (0 for a main greenlet).
  [[nodiscard]] std::size_t stack_size() const noexcept { return core_.stack_size; }

  // For the hub (triad::green internals).
  [[nodiscard]] detail::GreenletCore& core() noexcept { return core_; }
  [[nodiscard]] const detail::GreenletCore& core() const noexcept { return core_; }
  // Internal: the main greenlet of a thread.
  explicit greenlet(detail::MainTag);

 private:

  template <class F>
  static Run wrap(F f) {
    return [f = std::move(f)](std::any) mutable -> std::any {
      if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
        f();
        return {};
      } else {
        return std::any(f());
      }
    };
  }

  detail::GreenletCore core_;
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TRIAD_GREEN_INLINE_SWITCH 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TRIAD_GREEN_INLINE_SWITCH 0
#endif
#endif
#ifndef TRIAD_GREEN_INLINE_SWITCH
#define TRIAD_GREEN_INLINE_SWITCH 1
#endif

namespace detail {
// Rethrows a transferred exception (out of line).
[[noreturn]] void rethrow_transfer(ThreadState& ts);
}  // namespace detail

// The common case inline: a started, live greenlet of this thread, no sanitizer annotations.
// Keeping the jump in the caller's frame avoids an extra mispredicted return per switch.
[[gnu::always_inline]] inline std::any greenlet::switch_to(std::any value) {
#if TRIAD_GREEN_INLINE_SWITCH
  detail::ThreadState* ts = detail::t_state;
  if (ts != nullptr && core_.thread_key == reinterpret_cast<std::uintptr_t>(ts) && core_.started &&
      !core_.dead && ts->current != this) [[likely]] {
    greenlet& self = *ts->current;
    if (value.has_value()) ts->transfer_value = std::move(value);
    ts->switching_from = &self;
    ts->current = this;
    if (ts->hub_active) exchange_parking_context(core_.is_hub ? nullptr : &core_.parker);
    boost::context::fiber back = std::move(core_.fiber).resume();
    // Resumed: whoever switched to us left itself in switching_from.
    greenlet* prev = ts->switching_from;
    prev->core_.fiber = std::move(back);
    if (ts->transfer_exc) [[unlikely]] detail::rethrow_transfer(*ts);
    if (!ts->transfer_value.has_value()) return {};
    std::any out = std::move(ts->transfer_value);
    ts->transfer_value.reset();
    return out;
  }
#endif
  return switch_to_slow(std::move(value));
}

// Python: greenlet.getcurrent(). The running greenlet of the calling OS thread (its main
// greenlet if none other runs; created on first use). Never throws except std::bad_alloc.
greenlet& getcurrent();

}  // namespace triad::green
