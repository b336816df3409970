#include "triad/green/greenlet.hpp"

#include <atomic>
#include <memory>
#include <new>
#include <string>

#include "stack_pool.hpp"
#include "thread_state.hpp"
#include "triad/core/parking.hpp"

// Sanitizer fiber annotations.
#if defined(__SANITIZE_ADDRESS__)
#define TRIAD_GREEN_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define TRIAD_GREEN_TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRIAD_GREEN_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define TRIAD_GREEN_TSAN 1
#endif
#endif

#if defined(TRIAD_GREEN_ASAN)
extern "C" {
void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom, std::size_t size);
void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old,
                                     std::size_t* size_old);
}
#endif
#if defined(TRIAD_GREEN_TSAN)
extern "C" {
void* __tsan_get_current_fiber(void);
void* __tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void* fiber);
void __tsan_switch_to_fiber(void* fiber, unsigned flags);
}
#endif

namespace triad::green {
namespace detail {

// initial-exec: no __tls_get_addr call on the switch path (triad_green is linked into the
// executable or a library loaded at startup, never dlopen()ed late).
constinit __attribute__((tls_model("initial-exec"))) thread_local ThreadState* t_state = nullptr;

namespace {

namespace ctx = boost::context;

std::atomic<std::uint64_t> g_greenlet_ids{0};

// Annotations around one switch. `dying` = the calling greenlet never resumes.
inline void san_before(GreenletCore& from, GreenletCore& to, bool dying) noexcept {
#if defined(TRIAD_GREEN_ASAN)
  __sanitizer_start_switch_fiber(dying ? nullptr : &from.asan_fake_stack, to.asan_bottom,
                                 to.asan_size);
#else
  (void)from;
  (void)dying;
#endif
#if defined(TRIAD_GREEN_TSAN)
  __tsan_switch_to_fiber(to.tsan_fiber, 0);
#else
  (void)to;
#endif
}

inline void san_after(GreenletCore& self, ThreadState& ts) noexcept {
#if defined(TRIAD_GREEN_ASAN)
  const void* old_bottom = nullptr;
  std::size_t old_size = 0;
  __sanitizer_finish_switch_fiber(self.asan_fake_stack, &old_bottom, &old_size);
  if (ts.switching_from != nullptr) {
    GreenletCore& prev = ts.switching_from->core();
    if (prev.is_main && prev.asan_bottom == nullptr) {  // learn the main stack's bounds
      prev.asan_bottom = old_bottom;
      prev.asan_size = old_size;
    }
  }
#else
  (void)self;
  (void)ts;
#endif
}

inline void san_reap(GreenletCore& dead) noexcept {
#if defined(TRIAD_GREEN_TSAN)
  if (dead.tsan_fiber != nullptr && !dead.is_main) {
    __tsan_destroy_fiber(dead.tsan_fiber);
    dead.tsan_fiber = nullptr;
  }
#else
  (void)dead;
#endif
}

// Boost.Context stack allocator drawing from the per-thread pool.
struct PoolAllocator {
  GreenletCore* core;
  ctx::stack_context allocate() {
    const StackBlock b = acquire_stack(core->stack_size);
    core->guard_lo = b.guard_lo;
    core->stack_lo = b.lo;
    core->stack_hi = b.hi;
    core->asan_bottom = reinterpret_cast<const void*>(b.lo);
    core->asan_size = b.hi - b.lo;
    ctx::stack_context sc;
    sc.size = b.hi - b.lo;
    sc.sp = reinterpret_cast<void*>(b.hi);
    return sc;
  }
  void deallocate(ctx::stack_context& sc) noexcept {
    StackBlock b;
    b.hi = reinterpret_cast<std::uintptr_t>(sc.sp);
    b.lo = b.hi - sc.size;
    b.guard_lo = core->guard_lo;
    release_stack(b);
  }
};

[[noreturn]] void bad_thread() { throw error("cannot switch to a different thread"); }

// The body of every non-main greenlet's fiber.
struct Entry {
  greenlet* self;
  ctx::fiber operator()(ctx::fiber&& caller) {
    ThreadState& ts = *t_state;
    GreenletCore& me = self->core();
    san_after(me, ts);
    ts.switching_from->core().fiber = std::move(caller);
    std::any result;
    std::exception_ptr exc;
    if (ts.transfer_exc) {  // thrown into before it ran (parent-start edge case)
      exc = std::move(ts.transfer_exc);
      ts.transfer_exc = nullptr;
      ts.transfer_value.reset();
    } else {
      std::any arg = std::move(ts.transfer_value);
      ts.transfer_value.reset();
      try {
        result = me.run(std::move(arg));
      } catch (const ctx::detail::forced_unwind&) {
        throw;
      } catch (const GreenletExit& e) {
        result = e;
      } catch (...) {
        exc = std::current_exception();
      }
    }
    // Finished: hand the outcome to the first live ancestor.
    me.dead = true;
    try {
      me.run = nullptr;
    } catch (...) {
    }
    greenlet* target = live_target(me.parent);
    ThreadState& ts2 = *t_state;
    ts2.transfer_value = std::move(result);
    ts2.transfer_exc = std::move(exc);
    ts2.switching_from = self;
    ts2.current = target;
    install_context(ts2, *target);
    if (!target->core().started) {
      // Starting a parent from a dying child: create its fiber here.
      GreenletCore& t = target->core();
      t.started = true;
      t.fiber = ctx::fiber(std::allocator_arg, PoolAllocator{&t}, Entry{target});
#if defined(TRIAD_GREEN_TSAN)
      t.tsan_fiber = __tsan_create_fiber(0);
#endif
    }
    san_before(me, target->core(), /*dying=*/true);
    return std::move(target->core().fiber);
  }
};

}  // namespace

ThreadState::ThreadState() = default;
ThreadState::~ThreadState() {
  // The hub (if any) goes first: it may still reference greenlets of this thread.
  if (hub != nullptr && destroy_hub != nullptr) destroy_hub(hub);
  hub = nullptr;
  hub_active = false;
  t_state = nullptr;
}

ThreadState& tstate_slow() noexcept {
  if (t_state != nullptr) return *t_state;
  thread_local ThreadState state;
  t_state = &state;
  if (!state.main) {
    state.main.reset(new greenlet(MainTag{}));
    state.current = state.main.get();
  }
  return state;
}


greenlet* live_target(greenlet* g) noexcept {
  while (g != nullptr && g->dead()) g = g->parent();
  return g;
}

// Inlined into switch_to(): every extra call level between two stacks costs a mispredicted
// return after each switch (the return-stack buffer holds the other stack's addresses).
__attribute__((always_inline)) inline void raw_switch_inline(ThreadState& ts, greenlet& from,
                                                             greenlet& to) {
  GreenletCore& t = to.core();
  if (!t.started) {
    t.started = true;
    t.fiber = ctx::fiber(std::allocator_arg, PoolAllocator{&t}, Entry{&to});
#if defined(TRIAD_GREEN_TSAN)
    t.tsan_fiber = __tsan_create_fiber(0);
#endif
  }
  ts.switching_from = &from;
  ts.current = &to;
  install_context(ts, to);
  san_before(from.core(), t, /*dying=*/false);
  ctx::fiber back = std::move(t.fiber).resume();
  // Resumed: whoever switched to us left itself in switching_from.
  ThreadState& ts2 = *t_state;
  san_after(from.core(), ts2);
  greenlet* prev = ts2.switching_from;
  prev->core().fiber = std::move(back);
  if (prev->core().dead) san_reap(prev->core());
}

void raw_switch(ThreadState& ts, greenlet& from, greenlet& to) { raw_switch_inline(ts, from, to); }

void rethrow_transfer(ThreadState& ts) {
  std::exception_ptr e = std::move(ts.transfer_exc);
  ts.transfer_exc = nullptr;
  ts.transfer_value.reset();
  std::rethrow_exception(e);
}

}  // namespace detail

// --- greenlet ----------------------------------------------------------------------------

greenlet::greenlet(detail::MainTag) : core_(this) {
  core_.is_main = true;
  core_.started = true;
  core_.name = "main";
  core_.thread_key = reinterpret_cast<std::uintptr_t>(detail::t_state);
#if defined(TRIAD_GREEN_TSAN)
  core_.tsan_fiber = __tsan_get_current_fiber();
#endif
}

greenlet::greenlet(Run run, greenlet* parent, GreenletOptions options) : core_(this) {
  detail::ThreadState& ts = detail::tstate();
  if (parent == nullptr) parent = ts.current;
  if (parent->core_.thread_key != reinterpret_cast<std::uintptr_t>(&ts)) {
    throw error("parent cannot be on a different thread");
  }
  core_.run = std::move(run);
  core_.parent = parent;
  core_.thread_key = reinterpret_cast<std::uintptr_t>(&ts);
  core_.stack_size = detail::round_stack_size(options.stack_size != 0 ? options.stack_size
                                                                      : default_stack_size());
  core_.name = options.name.empty()
                   ? "greenlet-" + std::to_string(detail::g_greenlet_ids.fetch_add(1) + 1)
                   : std::move(options.name);
}

greenlet::~greenlet() {
  if (core_.is_main || !active()) return;
  detail::ThreadState* ts = detail::tstate_if_exists();
  if (ts == nullptr || core_.thread_key != reinterpret_cast<std::uintptr_t>(ts) ||
      ts->current == this) {
    // Cannot unwind it from here: leak the suspended stack rather than corrupt anything.
    new boost::context::fiber(std::move(core_.fiber));
    return;
  }
  // Python's greenlet: a suspended greenlet being collected gets GreenletExit; its parent
  // becomes the current greenlet so that the kill returns here.
  core_.parent = ts->current;
  try {
    throw_();
  } catch (...) {
  }
  if (!core_.dead) new boost::context::fiber(std::move(core_.fiber));  // refused to die
}

bool greenlet::is_current() const noexcept {
  detail::ThreadState* ts = detail::tstate_if_exists();
  return ts != nullptr && ts->current == this;
}


std::any greenlet::switch_to_slow(std::any value) {
  detail::ThreadState& ts = detail::tstate();
  if (core_.thread_key != reinterpret_cast<std::uintptr_t>(&ts)) detail::bad_thread();
  greenlet* target = core_.dead ? detail::live_target(this) : this;
  greenlet& self = *ts.current;
  if (target == &self) return value;
  if (value.has_value()) ts.transfer_value = std::move(value);
  detail::raw_switch_inline(ts, self, *target);
  // Resumed (same thread): the switcher left a value or an exception in the thread state.
  if (ts.transfer_exc) [[unlikely]] {
    std::exception_ptr e = std::move(ts.transfer_exc);
    ts.transfer_exc = nullptr;
    ts.transfer_value.reset();
    std::rethrow_exception(e);
  }
  if (!ts.transfer_value.has_value()) return {};
  std::any out = std::move(ts.transfer_value);
  ts.transfer_value.reset();
  return out;
}

std::any greenlet::throw_(std::exception_ptr e) {
  detail::ThreadState& ts = detail::tstate();
  if (core_.thread_key != reinterpret_cast<std::uintptr_t>(&ts)) detail::bad_thread();
  if (!e) e = std::make_exception_ptr(GreenletExit());
  greenlet& self = *ts.current;
  greenlet* target = this;
  if (!core_.started) {
    // Dies without running; the exception goes to its parent as if run had raised it.
    core_.started = true;
    core_.dead = true;
    core_.run = nullptr;
    target = detail::live_target(core_.parent);
    std::any value;
    std::exception_ptr exc = e;
    try {
      std::rethrow_exception(e);
    } catch (const GreenletExit& ge) {
      value = ge;
      exc = nullptr;
    } catch (...) {
    }
    if (target == &self) {
      if (exc) std::rethrow_exception(exc);
      return value;
    }
    ts.transfer_value = std::move(value);
    ts.transfer_exc = exc;
  } else {
    target = detail::live_target(this);
    if (target == &self) std::rethrow_exception(e);
    ts.transfer_value.reset();
    ts.transfer_exc = e;
  }
  detail::raw_switch(ts, self, *target);
  detail::ThreadState& back = *detail::t_state;
  if (back.transfer_exc) {
    std::exception_ptr x = std::move(back.transfer_exc);
    back.transfer_exc = nullptr;
    back.transfer_value.reset();
    std::rethrow_exception(x);
  }
  std::any out = std::move(back.transfer_value);
  back.transfer_value.reset();
  return out;
}

void greenlet::set_parent(greenlet* p) {
  if (p == nullptr) throw ValueError("can't delete the parent attribute");
  if (p->core_.thread_key != core_.thread_key) {
    throw error("parent cannot be on a different thread");
  }
  for (greenlet* g = p; g != nullptr; g = g->core_.parent) {
    if (g == this) throw ValueError("cyclic parent chain");
  }
  core_.parent = p;
}

greenlet& getcurrent() { return *detail::tstate().current; }

}  // namespace triad::green
