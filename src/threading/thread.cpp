// triad::Thread, ThreadHandle, the module functions, the registry, exit and fork handling.
#include "triad/threading/thread.hpp"

#include <cxxabi.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <utility>
#include <vector>

#include "thread_runtime.hpp"
#include "triad/core/detail/futex.hpp"

namespace triad {
namespace detail {
namespace {

// The calling thread's record. Its destructor runs when the thread ends (for the main
// thread: first thing in exit(), before atexit handlers and static destructors).
struct ThreadSlot {
  std::shared_ptr<ThreadState> state;
  ~ThreadSlot();
};

thread_local ThreadSlot t_slot;
thread_local ThreadState* t_current = nullptr;
thread_local bool t_exited = false;
thread_local bool t_returning = false;  // triad_thread_main is returning: the OS thread exits next
thread_local int t_daemon_override = -1;
thread_local std::uint64_t t_native_id = 0;

// Registry (meta held).
void register_locked(ThreadRuntime& rt, ThreadState& s) {
  s.reg_ref = s.shared_from_this();
  s.reg_prev = nullptr;
  s.reg_next = rt.head;
  if (rt.head) rt.head->reg_prev = &s;
  rt.head = &s;
  ++rt.count;
}

// Moves the registry's reference into `out` so the caller can release it outside the lock.
void unregister_locked(ThreadRuntime& rt, ThreadState& s, std::shared_ptr<ThreadState>& out) {
  if (!s.reg_ref) return;
  if (s.reg_prev)
    s.reg_prev->reg_next = s.reg_next;
  else
    rt.head = s.reg_next;
  if (s.reg_next) s.reg_next->reg_prev = s.reg_prev;
  s.reg_prev = s.reg_next = nullptr;
  --rt.count;
  out = std::move(s.reg_ref);
}

std::shared_ptr<ThreadState> make_adopted_state(std::string name, bool daemon, ThreadKind kind) {
  auto st = std::make_shared<ThreadState>(std::move(name), daemon, kind);
  st->started.store(true, std::memory_order_relaxed);
  publish_ids(*st);
  return st;
}

void atfork_prepare() noexcept;
void atfork_parent() noexcept;
void atfork_child() noexcept;

extern "C" void triad_threading_atexit() {
  shutdown_threads();
}

ThreadRuntime* create_runtime() {
  auto* rt = new ThreadRuntime;  // never deleted: used during static destruction
  auto main = make_adopted_state("MainThread", false, ThreadKind::main);
  rt->main = main;
  register_locked(*rt, *main);
  t_current = main.get();
  t_slot.state = std::move(main);  // registers the slot's destructor on this thread
  pthread_atfork(&atfork_prepare, &atfork_parent, &atfork_child);
  return rt;
}

void set_os_thread_name(const std::string& name) noexcept {
  char buf[16];
  const std::size_t n = name.size() < 15 ? name.size() : 15;
  name.copy(buf, n);
  buf[n] = '\0';
  pthread_setname_np(pthread_self(), buf);
}

std::string name_of(const ThreadState& s) {
  auto& rt = runtime();
  std::lock_guard g(rt.meta);
  return s.name;
}

extern "C" void* triad_thread_main(void* arg) {
  auto* s = static_cast<ThreadState*>(arg);
  t_slot.state = s->shared_from_this();  // alive: the registry holds it until we end
  t_current = s;
  publish_ids(*s);
  set_os_thread_name(name_of(*s));
  try {
    if (s->has_target()) {
      s->invoke();
    } else {
      ThreadAccess::run(*s->owner);
    }
  } catch (abi::__forced_unwind&) {
    s->drop_target();
    t_returning = true;
    throw;  // pthread_exit / cancellation: let it finish; the slot still ends the thread
  } catch (...) {
    report_exception(std::current_exception(), name_of(*s), get_ident(),
                     ThreadHandle(s->shared_from_this()));
  }
  s->drop_target();
  t_returning = true;
  return nullptr;  // thread_local destructors run next; ~ThreadSlot ends the thread
}

ThreadSlot::~ThreadSlot() {
  t_exited = true;
  if (!state) return;
  ThreadState* s = state.get();
  auto& rt = runtime();
  std::shared_ptr<ThreadState> reg_ref;
  {
    std::unique_lock g(rt.meta);
    if (rt.main.get() == s) {
      // Normal exit (or pthread_exit) of the main thread: Python's threading._shutdown. The
      // main state stays registered (as in Python) and current, for static destructors.
      g.unlock();
      shutdown_threads();
      return;
    }
    t_current = nullptr;
    unregister_locked(rt, *s, reg_ref);
    // Not returning means this thread called exit() and its OS thread never ends: then
    // nobody may pthread_join it.
    if (s->kind == ThreadKind::user && reg_ref && t_returning) {
      // Hand the registry's reference to the reap list: join() or a later start() will
      // pthread_join this thread (so its stack is reused hot, as with std::thread). Marked
      // reapable before `ended`, so a joiner that sees the end also sees it reapable.
      s->reap.store(1, std::memory_order_release);
      s->reap_next = rt.reap_head;
      rt.reap_head = s;
      s->reap_ref = std::move(reg_ref);
    }
    s->ended.set();
  }
  // Subclass form owned by shared_ptr: may destroy the Thread object, on this thread.
  std::shared_ptr<Thread> keep = std::move(s->keepalive);
  keep.reset();
  reg_ref.reset();
  state.reset();
}

std::shared_ptr<ThreadState> adopt_dummy() {
  auto st = make_adopted_state(next_default_name("Dummy-"), true, ThreadKind::dummy);
  if (t_exited) return st;  // called from a late thread_local destructor: do not register
  auto& rt = runtime();
  {
    std::lock_guard g(rt.meta);
    register_locked(rt, *st);
  }
  t_current = st.get();
  t_slot.state = st;  // unregisters it when the thread ends
  return st;
}

void wait_ids(const ThreadState& s) {
  auto& word = s.ids_ready;
  std::uint32_t v = word.load(std::memory_order_acquire);
  while (v != 1) {
    if (v == 0 && !word.compare_exchange_weak(v, 2, std::memory_order_acquire)) continue;
    futex_wait(word, 2, Deadline::never());
    v = word.load(std::memory_order_acquire);
  }
}

void atfork_prepare() noexcept {
  auto& rt = runtime();
  rt.hook_lock.lock();
  timer_atfork_prepare();
  rt.meta.lock();
}

void atfork_parent() noexcept {
  auto& rt = runtime();
  rt.meta.unlock();
  timer_atfork_parent();
  rt.hook_lock.unlock();
}

void atfork_child() noexcept {
  auto& rt = runtime();
  ThreadState* me = t_current;
  if (me && me->kind == ThreadKind::internal) me = nullptr;  // forked from a timer callback
  t_native_id = 0;
  // Every other thread vanished in the child. References are released after the lock (a
  // release may run user destructors).
  std::vector<std::shared_ptr<void>> released;
  for (ThreadState* s = rt.head; s != nullptr;) {
    ThreadState* next = s->reg_next;
    if (s != me) {
      s->reap.store(2, std::memory_order_relaxed);
      s->ended.set_after_fork();
      if (s->ids_ready.load(std::memory_order_relaxed) != 1) {
        s->ids_ready.store(1, std::memory_order_release);
      }
      std::shared_ptr<ThreadState> ref;
      unregister_locked(rt, *s, ref);
      released.push_back(std::move(s->keepalive));
      released.push_back(std::move(ref));
    }
    s = next;
  }
  // Ended threads of the parent cannot be pthread_join'ed here.
  for (ThreadState* s = rt.reap_head; s != nullptr;) {
    ThreadState* next = s->reap_next;
    s->reap.store(2, std::memory_order_relaxed);
    s->reap_next = nullptr;
    released.push_back(std::move(s->reap_ref));
    s = next;
  }
  rt.reap_head = nullptr;
  if (me != nullptr) {
    me->reap.store(2, std::memory_order_relaxed);  // the child's main thread: never joined
    me->native_id.store(get_native_id(), std::memory_order_relaxed);
    rt.main = me->shared_from_this();
  } else {
    auto st = std::make_shared<ThreadState>("MainThread", false, ThreadKind::main);
    st->started.store(true, std::memory_order_relaxed);
    st->ident.store(get_ident(), std::memory_order_relaxed);
    st->native_id.store(get_native_id(), std::memory_order_relaxed);
    st->ids_ready.store(1, std::memory_order_release);
    register_locked(rt, *st);
    rt.main = st;
    t_current = st.get();
    t_slot.state = std::move(st);
  }
  rt.nondaemon_timers.store(0, std::memory_order_relaxed);
  rt.meta.unlock();
  released.clear();
  timer_atfork_child();
  rt.hook_lock.unlock();
}

bool is_current(const ThreadState* s) noexcept {
  return s == t_current;
}

// After the thread ended: wait for its OS thread to exit and release it (pthread_join), if
// nobody has yet. Blocks only for the thread's last microseconds (its exit path).
void reap_after_join(ThreadState& s) noexcept {
  std::uint8_t expected = 1;
  if (!s.reap.compare_exchange_strong(expected, 2, std::memory_order_acq_rel)) return;
  const auto tid = static_cast<pthread_t>(s.ident.load(std::memory_order_relaxed));
  if (pthread_equal(tid, pthread_self())) return;  // its own destructor path; never happens
  // The thread is in its exit path (microseconds): give it the CPU a few times before
  // sleeping a second time.
  for (int i = 0; i < 16; ++i) {
    if (pthread_tryjoin_np(tid, nullptr) == 0) return;
    sched_yield();
  }
  pthread_join(tid, nullptr);
}

// Releases ended threads nobody joined (detached Thread objects, unjoined threads) without
// blocking: called by start(), so their number stays bounded by the threads still exiting.
void reap_unjoined(ThreadRuntime& rt, bool wait) noexcept {
  ThreadState* list = nullptr;
  {
    std::lock_guard g(rt.meta);
    list = rt.reap_head;
    rt.reap_head = nullptr;
  }
  if (list == nullptr) return;
  ThreadState* keep = nullptr;
  ThreadState* keep_tail = nullptr;
  for (ThreadState* s = list; s != nullptr;) {
    ThreadState* next = s->reap_next;
    s->reap_next = nullptr;
    std::uint8_t expected = 1;
    bool release = true;
    if (s->reap.compare_exchange_strong(expected, 2, std::memory_order_acq_rel)) {
      const auto tid = static_cast<pthread_t>(s->ident.load(std::memory_order_relaxed));
      int rc = 0;
      if (wait) {
        // At exit: these threads returned and are in their last microseconds; bounded wait.
        timespec abs{};
        clock_gettime(CLOCK_REALTIME, &abs);
        abs.tv_sec += 1;
        rc = pthread_timedjoin_np(tid, nullptr, &abs);
      } else {
        rc = pthread_tryjoin_np(tid, nullptr);
      }
      if (rc == EBUSY || rc == ETIMEDOUT) {
        s->reap.store(1, std::memory_order_release);  // still exiting: try again later
        release = false;
      }
    }
    if (release) {
      std::shared_ptr<ThreadState> ref = std::move(s->reap_ref);  // may free *s: last use
    } else {
      if (keep_tail)
        keep_tail->reap_next = s;
      else
        keep = s;
      keep_tail = s;
    }
    s = next;
  }
  if (keep != nullptr) {
    std::lock_guard g(rt.meta);
    keep_tail->reap_next = rt.reap_head;
    rt.reap_head = keep;
  }
}

}  // namespace

// ---- CompletionFlag ----

void CompletionFlag::set() noexcept {
  if (word_.exchange(kSet, std::memory_order_acq_rel) == kSleepers) futex_wake(word_, INT_MAX);
  lock_.lock();
  WaitNode* chain = nullptr;
  while (WaitNode* n = waiters_.pop_front()) {
    n->slot = chain;
    chain = n;
  }
  lock_.unlock();
  while (chain != nullptr) {
    WaitNode* next = static_cast<WaitNode*>(chain->slot);
    chain->context->unpark(*chain);  // last access to *chain
    chain = next;
  }
}

bool CompletionFlag::wait(Deadline deadline) {
  if (is_set()) return true;
  if (deadline.expired()) return false;
  if (&current_parking_context() == &thread_parking_context()) {
    std::uint32_t v = word_.load(std::memory_order_acquire);
    while (v != kSet) {
      if (v == kUnset && !word_.compare_exchange_weak(v, kSleepers, std::memory_order_acquire)) {
        continue;
      }
      if (!futex_wait(word_, kSleepers, deadline)) return is_set();  // timed out
      v = word_.load(std::memory_order_acquire);
    }
    return true;
  }
  WaitNode node;
  lock_.lock();
  if (is_set()) {
    lock_.unlock();
    return true;
  }
  waiters_.push_back(node);
  lock_.unlock();
  return park_and_resolve(node, waiters_, lock_, deadline);
}

void CompletionFlag::set_after_fork() noexcept {
  waiters_ = WaitList{};
  lock_.unlock();
  word_.store(kSet, std::memory_order_release);
}

// ---- ThreadState ----

ThreadState::ThreadState(std::string n, std::optional<bool> d, ThreadKind k)
    : kind(k),
      name(n.empty() ? next_default_name("Thread-") : std::move(n)),
      daemon(d.has_value() ? *d : inherited_daemon()) {}

ThreadState::~ThreadState() = default;

void ThreadAccess::run(Thread& t) {
  t.run();
}

// ---- runtime ----

ThreadRuntime& runtime() noexcept {
  static ThreadRuntime* rt = create_runtime();
  return *rt;
}

namespace {
// Creates the runtime while the program's static initialisation runs (on the main thread),
// so that main_thread() is the thread that runs main() and its exit hook is installed.
[[maybe_unused]] const bool g_runtime_ready = (runtime(), true);
}  // namespace

ThreadState* current_state() noexcept {
  return t_current;
}

void set_current_state(ThreadState* s) noexcept {
  t_current = s;
}

std::string next_default_name(const char* prefix) {
  const auto n = runtime().name_counter.fetch_add(1, std::memory_order_relaxed) + 1;
  return prefix + std::to_string(n);
}

bool inherited_daemon() {
  if (t_daemon_override >= 0) return t_daemon_override != 0;
  ThreadState* s = t_current;
  std::shared_ptr<ThreadState> dummy;
  if (s == nullptr) {
    dummy = adopt_dummy();
    s = dummy.get();
  }
  auto& rt = runtime();
  std::lock_guard g(rt.meta);
  return s->daemon;
}

void set_inherited_daemon_override(int value) noexcept {
  t_daemon_override = value;
}

void ensure_exit_hooks() {
  auto& rt = runtime();
  if (rt.atexit_registered.load(std::memory_order_acquire)) return;
  std::lock_guard g(rt.meta);
  if (rt.atexit_registered.load(std::memory_order_relaxed)) return;
  std::atexit(&triad_threading_atexit);
  rt.atexit_registered.store(true, std::memory_order_release);
}

void shutdown_threads() {
  auto& rt = runtime();
  ThreadState* me = t_current;
  {
    std::lock_guard g(rt.meta);
    if (me != nullptr && rt.main.get() == me) me->ended.set();  // main_thread().join() returns
  }
  const bool timer_thread = on_timer_thread();
  for (;;) {
    std::shared_ptr<ThreadState> victim;
    std::uint32_t timers = 0;
    bool done = false;
    {
      std::lock_guard g(rt.meta);
      for (ThreadState* s = rt.head; s != nullptr; s = s->reg_next) {
        if (s != me && s != rt.main.get() && !s->daemon && !s->ended.is_set()) {
          victim = s->reg_ref;
          break;
        }
      }
      timers = timer_thread ? 0 : rt.nondaemon_timers.load(std::memory_order_acquire);
      if (!victim && timers == 0) {
        rt.finalizing.store(true, std::memory_order_release);
        done = true;
      }
    }
    if (done) {
      reap_unjoined(rt, true);  // release every OS thread that returned (none is left joinable)
      return;
    }
    if (victim) {
      victim->ended.wait(Deadline::never());
      reap_after_join(*victim);
    } else {
      futex_wait(rt.nondaemon_timers, timers, Deadline::never());
    }
  }
}

void release_nondaemon_timer() noexcept {
  auto& rt = runtime();
  if (rt.nondaemon_timers.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    futex_wake(rt.nondaemon_timers, INT_MAX);
  }
}

void publish_ids(ThreadState& s) noexcept {
  s.ident.store(get_ident(), std::memory_order_relaxed);
  s.native_id.store(get_native_id(), std::memory_order_relaxed);
  if (s.ids_ready.exchange(1, std::memory_order_release) == 2) futex_wake(s.ids_ready, INT_MAX);
}

}  // namespace detail

// ---- ThreadHandle ----

std::string ThreadHandle::name() const {
  return detail::name_of(*state_);
}

void ThreadHandle::set_name(std::string name) {
  auto& rt = detail::runtime();
  {
    std::lock_guard g(rt.meta);
    state_->name.swap(name);
  }
}

bool ThreadHandle::daemon() const {
  auto& rt = detail::runtime();
  std::lock_guard g(rt.meta);
  return state_->daemon;
}

void ThreadHandle::set_daemon(bool daemonic) {
  auto& rt = detail::runtime();
  std::lock_guard g(rt.meta);
  if (state_->started.load(std::memory_order_relaxed)) {
    throw RuntimeError("cannot set daemon status of active thread");
  }
  state_->daemon = daemonic;
}

std::optional<std::uint64_t> ThreadHandle::ident() const {
  if (!state_->started.load(std::memory_order_acquire)) return std::nullopt;
  detail::wait_ids(*state_);
  return state_->ident.load(std::memory_order_relaxed);
}

std::optional<std::uint64_t> ThreadHandle::native_id() const {
  if (!state_->started.load(std::memory_order_acquire)) return std::nullopt;
  detail::wait_ids(*state_);
  return state_->native_id.load(std::memory_order_relaxed);
}

bool ThreadHandle::is_alive() const noexcept {
  return state_->started.load(std::memory_order_acquire) && !state_->ended.is_set();
}

bool ThreadHandle::join(Timeout timeout) const {
  if (state_->kind == detail::ThreadKind::dummy) throw RuntimeError("cannot join a dummy thread");
  if (!state_->started.load(std::memory_order_acquire)) {
    throw RuntimeError("cannot join thread before it is started");
  }
  if (detail::is_current(state_.get())) throw RuntimeError("cannot join current thread");
  if (!state_->ended.wait(Deadline::after(timeout))) return false;
  detail::reap_after_join(*state_);
  return true;
}

// ---- Thread ----

Thread::Thread(ThreadOptions options)
    : state_(std::make_shared<detail::ThreadState>(std::move(options.name), options.daemon,
                                                   detail::ThreadKind::user)) {
  state_->owner = this;
}

Thread::~Thread() {
  detail::ThreadState& s = *state_;
  if (s.owner != this) return;  // callable form: the thread does not touch this object
  // Subclass form: the thread is running this->run(); it must not outlive *this.
  if (s.started.load(std::memory_order_acquire) && !s.ended.is_set() && !detail::is_current(&s)) {
    s.ended.wait(Deadline::never());
  }
}

void Thread::start() {
  auto& rt = detail::runtime();
  detail::ensure_exit_hooks();
  detail::reap_unjoined(rt, false);
  detail::ThreadState& s = *state_;
  {
    std::lock_guard g(rt.meta);
    if (s.started.load(std::memory_order_relaxed)) {
      throw RuntimeError("threads can only be started once");
    }
    if (rt.finalizing.load(std::memory_order_relaxed)) {
      throw RuntimeError("can't create new thread at interpreter shutdown");
    }
    s.ids_ready.store(0, std::memory_order_relaxed);
    s.reap.store(0, std::memory_order_relaxed);
    s.started.store(true, std::memory_order_release);
    detail::register_locked(rt, s);
  }
  if (s.owner == this) s.keepalive = weak_from_this().lock();
  pthread_t tid{};
  // Joinable, like std::thread: join() (or a later start()) pthread_joins it.
  const int rc = pthread_create(&tid, nullptr, &detail::triad_thread_main, &s);
  if (rc != 0) {
    std::shared_ptr<detail::ThreadState> ref;
    {
      std::lock_guard g(rt.meta);
      s.started.store(false, std::memory_order_release);
      s.reap.store(2, std::memory_order_relaxed);
      detail::unregister_locked(rt, s, ref);
      if (s.ids_ready.exchange(1, std::memory_order_release) == 2) {
        detail::futex_wake(s.ids_ready, INT_MAX);
      }
    }
    s.keepalive.reset();
    throw RuntimeError("can't start new thread");
  }
}

bool Thread::is_alive() const noexcept {
  return state_->started.load(std::memory_order_acquire) && !state_->ended.is_set();
}

// ---- module functions ----

ThreadHandle current_thread() {
  if (detail::ThreadState* s = detail::current_state()) return ThreadHandle(s->shared_from_this());
  return ThreadHandle(detail::adopt_dummy());
}

ThreadHandle main_thread() {
  auto& rt = detail::runtime();
  std::lock_guard g(rt.meta);
  return ThreadHandle(rt.main);
}

std::size_t active_count() {
  auto& rt = detail::runtime();
  std::lock_guard g(rt.meta);
  return rt.count;
}

std::vector<ThreadHandle> enumerate() {
  auto& rt = detail::runtime();
  std::vector<ThreadHandle> out;
  for (;;) {
    std::size_t n = 0;
    {
      std::lock_guard g(rt.meta);
      n = rt.count;
    }
    out.reserve(n + 4);
    std::lock_guard g(rt.meta);
    if (rt.count > out.capacity()) continue;
    for (detail::ThreadState* s = rt.head; s != nullptr; s = s->reg_next) {
      out.emplace_back(s->reg_ref);  // copies a shared_ptr: no allocation
    }
    return out;
  }
}

std::uint64_t get_ident() noexcept {
  return static_cast<std::uint64_t>(pthread_self());
}

std::uint64_t get_native_id() noexcept {
  if (detail::t_native_id == 0) {
    detail::t_native_id = static_cast<std::uint64_t>(syscall(SYS_gettid));
  }
  return detail::t_native_id;
}

}  // namespace triad
