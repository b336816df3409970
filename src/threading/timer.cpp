// triad::Timer and the shared timer thread: a binary min-heap of deadlines (each entry knows
// its heap index, so cancel() removes it in O(log n)), served by one lazily started OS thread
// that sleeps on a futex until the earliest deadline or until an earlier timer arrives.
#include "triad/threading/timer.hpp"

#include <cxxabi.h>
#include <pthread.h>

#include <climits>
#include <cmath>
#include <mutex>
#include <vector>

#include "thread_runtime.hpp"
#include "triad/core/detail/futex.hpp"

namespace triad {
namespace detail {
namespace {

struct TimerService {
  SpinLock lock;
  std::vector<std::shared_ptr<TimerState>> heap;  // guarded by lock
  std::uint64_t next_seq = 0;
  bool thread_running = false;  // the timer thread exists (or is being created)
  bool sleeping = false;        // the timer thread sleeps until sleep_until
  Clock::time_point sleep_until{};
  std::atomic<std::uint32_t> wake_word{0};  // bumped (under lock) to wake the timer thread
  std::shared_ptr<TimerState> running;      // the callback in progress
  std::shared_ptr<ThreadState> thread_state;
  std::uint64_t generation = 0;  // bumped in a forked child
};

TimerService& service() noexcept {
  static TimerService* s = new TimerService;  // never deleted: used during exit
  return *s;
}

thread_local bool t_is_timer_thread = false;

bool earlier(const TimerState& a, const TimerState& b) noexcept {
  if (a.deadline != b.deadline) return a.deadline < b.deadline;
  return a.seq < b.seq;
}

void place(TimerService& s, std::size_t i, std::shared_ptr<TimerState> t) noexcept {
  t->heap_index = i;
  s.heap[i] = std::move(t);
}

void sift_up(TimerService& s, std::size_t i) noexcept {
  std::shared_ptr<TimerState> t = std::move(s.heap[i]);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!earlier(*t, *s.heap[parent])) break;
    place(s, i, std::move(s.heap[parent]));
    i = parent;
  }
  place(s, i, std::move(t));
}

void sift_down(TimerService& s, std::size_t i) noexcept {
  const std::size_t n = s.heap.size();
  std::shared_ptr<TimerState> t = std::move(s.heap[i]);
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && earlier(*s.heap[child + 1], *s.heap[child])) ++child;
    if (!earlier(*s.heap[child], *t)) break;
    place(s, i, std::move(s.heap[child]));
    i = child;
  }
  place(s, i, std::move(t));
}

// Removes heap[i] and returns it.
std::shared_ptr<TimerState> heap_remove(TimerService& s, std::size_t i) noexcept {
  std::shared_ptr<TimerState> out = std::move(s.heap[i]);
  std::shared_ptr<TimerState> last = std::move(s.heap.back());
  s.heap.pop_back();
  if (i < s.heap.size()) {
    place(s, i, std::move(last));
    if (i > 0 && earlier(*s.heap[i], *s.heap[(i - 1) / 2])) {
      sift_up(s, i);
    } else {
      sift_down(s, i);
    }
  }
  return out;
}

std::string timer_name(const TimerState& t) {
  auto& rt = runtime();
  std::lock_guard g(rt.meta);
  return t.name;
}

void release_count(TimerState& t) noexcept {
  if (t.counted.exchange(false, std::memory_order_acq_rel)) release_nondaemon_timer();
}

void run_callback(TimerState& t) {
  set_inherited_daemon_override(t.daemon ? 1 : 0);
  try {
    t.invoke();
  } catch (abi::__forced_unwind&) {
    set_inherited_daemon_override(-1);
    throw;
  } catch (...) {
    report_exception(std::current_exception(), timer_name(t), get_ident(), std::nullopt);
  }
  set_inherited_daemon_override(-1);
}

extern "C" void* triad_timer_main(void* /*unused*/) {
  TimerService& s = service();
  t_is_timer_thread = true;
  pthread_setname_np(pthread_self(), "triad-timer");
  s.lock.lock();
  std::uint64_t generation = s.generation;
  ThreadState* self = s.thread_state.get();
  s.lock.unlock();
  publish_ids(*self);
  set_current_state(self);  // current_thread() here reports the (unlisted) timer thread

  s.lock.lock();
  for (;;) {
    if (s.heap.empty() || s.heap.front()->deadline > Clock::now()) {
      const Deadline until =
          s.heap.empty() ? Deadline::never() : Deadline::at(s.heap.front()->deadline);
      s.sleeping = true;
      s.sleep_until = s.heap.empty() ? Clock::time_point::max() : s.heap.front()->deadline;
      const std::uint32_t word = s.wake_word.load(std::memory_order_relaxed);
      s.lock.unlock();
      futex_wait(s.wake_word, word, until);
      s.lock.lock();
      s.sleeping = false;
      continue;
    }
    std::shared_ptr<TimerState> t = heap_remove(s, 0);
    t->phase.store(TimerPhase::running, std::memory_order_relaxed);
    s.running = t;
    const bool run_it = !runtime().finalizing.load(std::memory_order_acquire);
    s.lock.unlock();

    if (run_it) {
      run_callback(*t);
      t->finished.store(true, std::memory_order_release);
    }
    t->drop_target();

    s.lock.lock();
    if (s.generation != generation) {
      // fork() was called from the callback and this is the child: the child handler dropped
      // the old state; carry on as the child's timer thread.
      generation = s.generation;
      s.thread_running = true;
      continue;
    }
    t->phase.store(run_it ? TimerPhase::done : TimerPhase::dropped, std::memory_order_relaxed);
    s.running.reset();
    t->ended.set();
    release_count(*t);
  }
}

}  // namespace

bool on_timer_thread() noexcept {
  return t_is_timer_thread;
}

void timer_atfork_prepare() noexcept {
  service().lock.lock();
}
void timer_atfork_parent() noexcept {
  service().lock.unlock();
}

void timer_atfork_child() noexcept {
  TimerService& s = service();
  for (auto& t : s.heap) {
    t->phase.store(TimerPhase::dropped, std::memory_order_relaxed);
    t->counted.store(false, std::memory_order_relaxed);
    t->ended.set_after_fork();
  }
  if (s.running) {
    s.running->phase.store(TimerPhase::dropped, std::memory_order_relaxed);
    s.running->counted.store(false, std::memory_order_relaxed);
    s.running->ended.set_after_fork();
  }
  // The entries' references are dropped after the lock is released (user destructors).
  std::vector<std::shared_ptr<TimerState>> released;
  released.swap(s.heap);
  std::shared_ptr<TimerState> running = std::move(s.running);
  s.thread_running = t_is_timer_thread;  // forked from a callback: this thread carries on
  s.sleeping = false;
  s.wake_word.store(0, std::memory_order_relaxed);
  ++s.generation;
  if (!t_is_timer_thread) s.thread_state.reset();
  s.lock.unlock();
}

}  // namespace detail

using detail::TimerPhase;

namespace detail {

TimerState::TimerState(std::string n, std::optional<bool> d, std::chrono::duration<double> iv)
    : name(), daemon(false), interval(iv), wait(Timeout(iv).duration()) {
  if (std::isnan(iv.count())) throw ValueError("Invalid value NaN (not a number)");
  name = n.empty() ? next_default_name("Thread-") : std::move(n);
  daemon = d.has_value() ? *d : inherited_daemon();
}

TimerState::~TimerState() = default;

}  // namespace detail

void Timer::start() {
  auto& rt = detail::runtime();
  detail::TimerState& t = *state_;
  {
    std::lock_guard g(rt.meta);
    if (t.started.load(std::memory_order_relaxed)) {
      throw RuntimeError("threads can only be started once");
    }
    if (rt.finalizing.load(std::memory_order_relaxed)) {
      throw RuntimeError("can't create new thread at interpreter shutdown");
    }
    t.started.store(true, std::memory_order_release);
    if (!t.daemon) {
      rt.nondaemon_timers.fetch_add(1, std::memory_order_acq_rel);
      t.counted.store(true, std::memory_order_relaxed);
    }
  }
  detail::ensure_exit_hooks();

  detail::TimerService& s = detail::service();
  bool create = false;
  bool wake = false;
  s.lock.lock();
  if (t.cancel_before_start) {
    t.phase.store(TimerPhase::cancelled, std::memory_order_relaxed);
    t.ended.set();
    s.lock.unlock();
    detail::release_count(t);
    t.drop_target();
    return;
  }
  const Deadline d = Deadline::after(Timeout(t.wait));
  t.deadline = d.is_never() ? Clock::time_point::max() : d.time_point();
  t.seq = s.next_seq++;
  s.heap.push_back(state_);
  t.heap_index = s.heap.size() - 1;
  detail::sift_up(s, t.heap_index);
  t.phase.store(TimerPhase::scheduled, std::memory_order_relaxed);
  if (!s.thread_running) {
    s.thread_running = true;
    if (!s.thread_state) {
      s.thread_state =
          std::make_shared<detail::ThreadState>("triad-timer", true, detail::ThreadKind::internal);
      s.thread_state->started.store(true, std::memory_order_relaxed);
    }
    create = true;
  } else if (t.heap_index == 0 && s.sleeping && t.deadline < s.sleep_until) {
    s.wake_word.fetch_add(1, std::memory_order_relaxed);
    s.sleep_until = t.deadline;  // one wake is enough until the thread sleeps again
    wake = true;
  }
  s.lock.unlock();
  if (wake) detail::futex_wake(s.wake_word, 1);
  if (create) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t tid{};
    const int rc = pthread_create(&tid, &attr, &detail::triad_timer_main, nullptr);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      std::shared_ptr<detail::TimerState> removed;
      s.lock.lock();
      s.thread_running = false;
      if (t.phase.load(std::memory_order_relaxed) == TimerPhase::scheduled) {
        removed = detail::heap_remove(s, t.heap_index);
        t.phase.store(TimerPhase::idle, std::memory_order_relaxed);
      }
      s.lock.unlock();
      {
        std::lock_guard g(rt.meta);
        t.started.store(false, std::memory_order_release);
      }
      detail::release_count(t);
      throw RuntimeError("can't start new thread");
    }
  }
}

void Timer::cancel() noexcept {
  detail::TimerState& t = *state_;
  t.finished.store(true, std::memory_order_release);
  detail::TimerService& s = detail::service();
  std::shared_ptr<detail::TimerState> removed;
  s.lock.lock();
  switch (t.phase.load(std::memory_order_relaxed)) {
    case TimerPhase::idle:
      t.cancel_before_start = true;
      break;
    case TimerPhase::scheduled:
      removed = detail::heap_remove(s, t.heap_index);
      t.phase.store(TimerPhase::cancelled, std::memory_order_relaxed);
      t.ended.set();
      break;
    default:
      break;  // running, done, cancelled, dropped: nothing to do
  }
  s.lock.unlock();
  if (removed) {
    detail::release_count(t);
    t.drop_target();
  }
}

bool Timer::join(Timeout timeout) {
  detail::TimerState& t = *state_;
  if (!t.started.load(std::memory_order_acquire)) {
    throw RuntimeError("cannot join thread before it is started");
  }
  if (detail::on_timer_thread() && !t.ended.is_set()) {
    detail::TimerService& s = detail::service();
    bool self = false;
    s.lock.lock();
    self = s.running.get() == &t;
    s.lock.unlock();
    if (self) throw RuntimeError("cannot join current thread");
    throw RuntimeError("cannot join a timer from a timer callback");
  }
  return t.ended.wait(Deadline::after(timeout));
}

bool Timer::is_alive() const noexcept {
  return state_->started.load(std::memory_order_acquire) && !state_->ended.is_set();
}

bool Timer::finished() const noexcept {
  return state_->finished.load(std::memory_order_acquire);
}

std::string Timer::name() const {
  return detail::timer_name(*state_);
}

void Timer::set_name(std::string name) {
  auto& rt = detail::runtime();
  std::lock_guard g(rt.meta);
  state_->name.swap(name);
}

bool Timer::daemon() const {
  auto& rt = detail::runtime();
  std::lock_guard g(rt.meta);
  return state_->daemon;
}

void Timer::set_daemon(bool daemonic) {
  auto& rt = detail::runtime();
  std::lock_guard g(rt.meta);
  if (state_->started.load(std::memory_order_relaxed)) {
    throw RuntimeError("cannot set daemon status of active thread");
  }
  state_->daemon = daemonic;
}

}  // namespace triad
