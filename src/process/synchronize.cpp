#include "triad/process/synchronize.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "triad/core/detail/futex.hpp"
#include "triad/process/connection.hpp"

namespace triad::process {
namespace detail {
namespace {

constexpr auto kCheckInterval = std::chrono::milliseconds(50);

thread_local std::uint32_t tl_tid = 0;
void reset_tid_in_child() { tl_tid = 0; }
[[maybe_unused]] const int kAtFork = ::pthread_atfork(nullptr, nullptr, reset_tid_in_child);

Deadline slice_of(Deadline d) {
  const Deadline s = Deadline::after(kCheckInterval);
  if (d.is_never() || s.time_point() < d.time_point()) return s;
  return d;
}

}  // namespace

SharedSegment::SharedSegment(std::size_t size) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  size_ = (std::max<std::size_t>(size, 1) + page - 1) / page * page;
  void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    size_ = 0;
    throw OSError(std::string("cannot map shared memory: ") + std::strerror(errno), errno);
  }
  base_ = p;
}

SharedSegment::~SharedSegment() {
  if (base_) ::munmap(base_, size_);
}

std::uint32_t current_tid() noexcept {
  if (tl_tid == 0) tl_tid = static_cast<std::uint32_t>(::syscall(SYS_gettid));
  return tl_tid;
}

bool thread_alive(std::uint32_t tid) noexcept {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%u/stat", tid);
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return !(errno == ENOENT || errno == ESRCH);
  char buf[512];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return false;  // it vanished while we read
  buf[n] = '\0';
  const char* close_paren = std::strrchr(buf, ')');
  if (!close_paren || close_paren[1] == '\0' || close_paren[2] == '\0') return true;
  const char state = close_paren[2];
  return state != 'Z' && state != 'X' && state != 'x';
}

namespace {
// Clears a dead holder's claim. Returns true if this call did it.
bool take_over(RobustWord& w, std::uint32_t seen) noexcept {
  std::uint32_t cur = seen;
  if (!w.word.compare_exchange_strong(cur, 0, std::memory_order_acq_rel)) return false;
  w.count.store(0, std::memory_order_relaxed);
  triad::detail::futex_wake_shared(w.word, INT32_MAX);
  return true;
}
}  // namespace

AcquireResult robust_acquire(RobustWord& w, bool blocking, Deadline deadline,
                             std::uint32_t* dead) noexcept {
  const std::uint32_t me = current_tid();
  std::uint32_t expected = 0;
  if (w.word.compare_exchange_strong(expected, me, std::memory_order_acquire,
                                     std::memory_order_relaxed))
    return AcquireResult::acquired;
  bool waited = false;
  for (;;) {
    std::uint32_t cur = w.word.load(std::memory_order_relaxed);
    if (cur == 0) {
      const std::uint32_t want = waited ? (me | RobustWord::kWaiters) : me;
      if (w.word.compare_exchange_weak(cur, want, std::memory_order_acquire,
                                       std::memory_order_relaxed))
        return AcquireResult::acquired;
      continue;
    }
    const std::uint32_t owner = cur & ~RobustWord::kWaiters;
    if (!blocking || deadline.expired()) {
      if (!thread_alive(owner)) {
        if (take_over(w, cur)) {
          if (dead) *dead = owner;
          return AcquireResult::abandoned;
        }
        continue;
      }
      return AcquireResult::timed_out;
    }
    if (!(cur & RobustWord::kWaiters)) {
      if (!w.word.compare_exchange_weak(cur, cur | RobustWord::kWaiters,
                                        std::memory_order_relaxed))
        continue;
      cur |= RobustWord::kWaiters;
    }
    const bool woken = triad::detail::futex_wait_shared(w.word, cur, slice_of(deadline));
    waited = true;
    if (!woken && !thread_alive(owner)) {
      const std::uint32_t now = w.word.load(std::memory_order_relaxed);
      if ((now & ~RobustWord::kWaiters) == owner && take_over(w, now)) {
        if (dead) *dead = owner;
        return AcquireResult::abandoned;
      }
    }
  }
}

bool robust_release(RobustWord& w) noexcept {
  const std::uint32_t old = w.word.exchange(0, std::memory_order_release);
  if (old == 0) return false;
  if (old & RobustWord::kWaiters) triad::detail::futex_wake_shared(w.word, 1);
  return true;
}

bool LockBase::acquire(bool blocking, Timeout timeout) {
  const std::uint32_t me = current_tid();
  if (recursive_ && robust_owner(*w_) == me) {
    w_->count.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  const Deadline d = blocking ? Deadline::after(timeout) : Deadline::after(std::chrono::nanoseconds(0));
  std::uint32_t dead = 0;
  switch (robust_acquire(*w_, blocking, d, &dead)) {
    case AcquireResult::acquired:
      if (recursive_) w_->count.store(1, std::memory_order_relaxed);
      return true;
    case AcquireResult::timed_out:
      return false;
    case AcquireResult::abandoned:
      break;
  }
  throw AbandonedLockError("the holder of the lock (thread " + std::to_string(dead) +
                           ") died while holding it; the lock has been released and can be "
                           "acquired again, but the data it guards may be inconsistent");
}

bool LockBase::is_mine() const noexcept { return robust_owner(*w_) == current_tid(); }

std::uint32_t LockBase::release_save() {
  std::uint32_t depth = 1;
  if (recursive_) {
    depth = w_->count.load(std::memory_order_relaxed);
    w_->count.store(0, std::memory_order_relaxed);
  }
  robust_release(*w_);
  return depth;
}

void LockBase::acquire_restore(std::uint32_t depth) {
  acquire();
  if (recursive_) w_->count.store(depth, std::memory_order_relaxed);
}

}  // namespace detail

Lock::Lock() : detail::LockBase(nullptr, false) {
  w_ = detail::make_shared_object<detail::RobustWord>(seg_, 0);
}

void Lock::release() {
  if (!detail::robust_release(*w_)) throw ValueError("semaphore or lock released too many times");
}

RLock::RLock() : detail::LockBase(nullptr, true) {
  w_ = detail::make_shared_object<detail::RobustWord>(seg_, 0);
}

void RLock::release() {
  if (detail::robust_owner(*w_) != detail::current_tid())
    throw RuntimeError("cannot release un-acquired lock");
  if (w_->count.fetch_sub(1, std::memory_order_relaxed) == 1) detail::robust_release(*w_);
}

// ---- Semaphore ----

Semaphore::Semaphore(int value) {
  if (value < 0) throw ValueError("semaphore initial value must be >= 0");
  s_ = detail::make_shared_object<State>(seg_, 0);
  s_->value.store(static_cast<std::uint32_t>(value), std::memory_order_relaxed);
}

bool Semaphore::acquire(bool blocking, Timeout timeout) {
  const Deadline d = blocking ? Deadline::after(timeout) : Deadline::after(std::chrono::nanoseconds(0));
  for (;;) {
    std::uint32_t v = s_->value.load(std::memory_order_relaxed);
    while (v > 0)
      if (s_->value.compare_exchange_weak(v, v - 1, std::memory_order_acquire,
                                          std::memory_order_relaxed))
        return true;
    if (!blocking || d.expired()) return false;
    s_->waiters.fetch_add(1, std::memory_order_seq_cst);
    if (s_->value.load(std::memory_order_seq_cst) == 0) triad::detail::futex_wait_shared(s_->value, 0, d);
    s_->waiters.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Semaphore::release(unsigned n) {
  s_->value.fetch_add(n, std::memory_order_seq_cst);
  if (s_->waiters.load(std::memory_order_seq_cst) > 0)
    triad::detail::futex_wake_shared(s_->value, static_cast<int>(std::min<unsigned>(n, INT32_MAX)));
}

int Semaphore::get_value() const noexcept {
  return static_cast<int>(s_->value.load(std::memory_order_relaxed));
}

BoundedSemaphore::BoundedSemaphore(int value) : Semaphore(value) {
  s_->max = static_cast<std::uint32_t>(value);
}

void BoundedSemaphore::release(unsigned n) {
  std::uint32_t v = s_->value.load(std::memory_order_relaxed);
  do {
    if (static_cast<std::uint64_t>(v) + n > s_->max)
      throw ValueError("semaphore or lock released too many times");
  } while (!s_->value.compare_exchange_weak(v, v + n, std::memory_order_seq_cst));
  if (s_->waiters.load(std::memory_order_seq_cst) > 0)
    triad::detail::futex_wake_shared(s_->value, static_cast<int>(std::min<unsigned>(n, INT32_MAX)));
}

// ---- Event ----

Event::Event() { s_ = detail::make_shared_object<State>(seg_, 0); }

bool Event::is_set() const noexcept { return s_->flag.load(std::memory_order_acquire) != 0; }

void Event::set() noexcept {
  s_->flag.store(1, std::memory_order_seq_cst);
  if (s_->waiters.load(std::memory_order_seq_cst) > 0) triad::detail::futex_wake_shared(s_->flag, INT32_MAX);
}

void Event::clear() noexcept { s_->flag.store(0, std::memory_order_release); }

bool Event::wait(Timeout timeout) {
  if (is_set()) return true;
  const Deadline d = Deadline::after(timeout);
  s_->waiters.fetch_add(1, std::memory_order_seq_cst);
  while (s_->flag.load(std::memory_order_seq_cst) == 0) {
    if (!triad::detail::futex_wait_shared(s_->flag, 0, d)) break;
  }
  s_->waiters.fetch_sub(1, std::memory_order_relaxed);
  return is_set();
}

// ---- Condition ----

Condition::Condition() : own_(new RLock), lock_(own_) {
  s_ = detail::make_shared_object<State>(seg_, 0);
}

Condition::Condition(detail::LockBase& lock) : lock_(&lock) {
  s_ = detail::make_shared_object<State>(seg_, 0);
}

Condition::~Condition() { delete own_; }

bool Condition::wait(Timeout timeout) {
  if (!lock_->is_mine()) throw RuntimeError("cannot wait on un-acquired lock");
  const Deadline d = Deadline::after(timeout);
  const std::uint32_t seq0 = s_->seq.load(std::memory_order_seq_cst);
  s_->waiters.fetch_add(1, std::memory_order_seq_cst);
  const std::uint32_t depth = lock_->release_save();
  bool notified = true;
  while (s_->seq.load(std::memory_order_acquire) == seq0) {
    if (!triad::detail::futex_wait_shared(s_->seq, seq0, d)) {
      notified = s_->seq.load(std::memory_order_acquire) != seq0;
      break;
    }
  }
  s_->waiters.fetch_sub(1, std::memory_order_relaxed);
  lock_->acquire_restore(depth);
  return notified;
}

void Condition::notify(int n) {
  if (!lock_->is_mine()) throw RuntimeError("cannot notify on un-acquired lock");
  if (n <= 0 || s_->waiters.load(std::memory_order_seq_cst) == 0) return;
  s_->seq.fetch_add(1, std::memory_order_seq_cst);
  triad::detail::futex_wake_shared(s_->seq, n);
}

// ---- Barrier ----

Barrier::Barrier(std::size_t parties, std::function<void()> action, Timeout timeout)
    : parties_(parties), action_(std::move(action)), default_timeout_(timeout) {
  if (parties == 0) throw ValueError("parties must be >= 1");
  s_ = detail::make_shared_object<State>(seg_, 0);
}

void Barrier::lock_state() {
  std::uint32_t dead = 0;
  if (detail::robust_acquire(s_->mutex, true, Deadline::never(), &dead) ==
      detail::AcquireResult::abandoned) {
    // A party died inside the barrier's bookkeeping: the state is suspect, so break it.
    detail::robust_acquire(s_->mutex, true, Deadline::never(), nullptr);
    s_->broken = 1;
  }
}

void Barrier::bump_and_wake() {
  s_->generation.fetch_add(1, std::memory_order_seq_cst);
  triad::detail::futex_wake_shared(s_->generation, INT32_MAX);
}

std::size_t Barrier::wait(Timeout timeout) {
  const Timeout t = timeout.is_forever() ? default_timeout_ : timeout;
  lock_state();
  if (s_->broken) {
    detail::robust_release(s_->mutex);
    throw BrokenBarrierError();
  }
  const std::uint32_t gen = s_->generation.load(std::memory_order_relaxed);
  const std::size_t index = s_->count++;
  if (s_->count == parties_) {
    try {
      if (action_) action_();
    } catch (...) {
      s_->broken = 1;
      bump_and_wake();
      detail::robust_release(s_->mutex);
      throw;
    }
    s_->count = 0;
    bump_and_wake();
    detail::robust_release(s_->mutex);
    return index;
  }
  detail::robust_release(s_->mutex);
  const Deadline d = Deadline::after(t);
  for (;;) {
    if (s_->generation.load(std::memory_order_acquire) != gen) {
      lock_state();
      const bool bad = s_->broken || s_->reset_generation == gen;
      detail::robust_release(s_->mutex);
      if (bad) throw BrokenBarrierError();
      return index;
    }
    if (!triad::detail::futex_wait_shared(s_->generation, gen, d)) {
      lock_state();
      if (s_->generation.load(std::memory_order_relaxed) == gen) {
        s_->broken = 1;
        bump_and_wake();
        detail::robust_release(s_->mutex);
        throw BrokenBarrierError();
      }
      detail::robust_release(s_->mutex);
    }
  }
}

void Barrier::reset() {
  lock_state();
  if (s_->count > 0) s_->reset_generation = s_->generation.load(std::memory_order_relaxed);
  s_->count = 0;
  s_->broken = 0;
  bump_and_wake();
  detail::robust_release(s_->mutex);
}

void Barrier::abort() {
  lock_state();
  s_->broken = 1;
  bump_and_wake();
  detail::robust_release(s_->mutex);
}

std::size_t Barrier::n_waiting() const noexcept {
  return s_->broken.load(std::memory_order_relaxed) ? 0 : s_->count.load(std::memory_order_relaxed);
}

bool Barrier::broken() const noexcept { return s_->broken != 0; }

}  // namespace triad::process
