// Internal: the shared state behind triad::Thread, ThreadHandle and Timer. Not public API;
// include <triad/threading/thread.hpp> or <triad/threading/timer.hpp> instead.
//
// Every Thread owns a ThreadState through a std::shared_ptr, and so does every ThreadHandle,
// the running OS thread itself (until it has ended) and the registry behind enumerate(). That
// is what makes handles safe to keep after the Thread object is gone. Mutable metadata (name,
// daemon) is guarded by one process-wide lock in src/threading/thread_runtime.hpp, which the
// fork handlers also hold, so a forked child always sees it consistent.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "triad/core/detail/spinlock.hpp"
#include "triad/core/parking.hpp"
#include "triad/core/timeout.hpp"

namespace triad {
class Thread;
}  // namespace triad

namespace triad::detail {

// A flag that is set once and awaited by join(). An OS thread waits on a futex without
// spinning (threads and timers live far longer than a spin, and on a loaded 2-core machine a
// spinning joiner steals the CPU from the thread it waits for); any other execution context
// (a green thread) waits through the parking interface, so it never blocks its hub.
// set() wakes every waiter.
class CompletionFlag {
 public:
  CompletionFlag() = default;
  CompletionFlag(const CompletionFlag&) = delete;
  CompletionFlag& operator=(const CompletionFlag&) = delete;

  [[nodiscard]] bool is_set() const noexcept {
    return word_.load(std::memory_order_acquire) == kSet;
  }
  // Sets the flag and wakes all waiters. Idempotent. Never blocks (beyond a short lock).
  void set() noexcept;
  // Waits until set or the deadline; returns is_set().
  bool wait(Deadline deadline);
  // In a forked child only: forget waiters (they were threads of the parent), release the
  // lock if a vanished thread held it, and set the flag.
  void set_after_fork() noexcept;

 private:
  static constexpr std::uint32_t kUnset = 0, kSet = 1, kSleepers = 2;
  std::atomic<std::uint32_t> word_{kUnset};  // futex word of OS-thread waiters
  SpinLock lock_;                            // guards waiters_
  WaitList waiters_;                         // waiters of other parking contexts
};

enum class ThreadKind : std::uint8_t { user, main, dummy, internal };

// The state of one thread of execution known to triad.
class ThreadState : public std::enable_shared_from_this<ThreadState> {
 public:
  // name empty -> "Thread-N"; daemon absent -> inherited from the creating thread.
  ThreadState(std::string name, std::optional<bool> daemon, ThreadKind kind);
  ThreadState(const ThreadState&) = delete;
  ThreadState& operator=(const ThreadState&) = delete;
  virtual ~ThreadState();

  // The target (callable form). The subclass form has none and calls Thread::run().
  [[nodiscard]] virtual bool has_target() const noexcept { return false; }
  virtual void invoke() {}
  // Destroys the callable and its arguments (on the thread that ran them, after run).
  virtual void drop_target() noexcept {}

  const ThreadKind kind;
  std::string name;  // guarded by the runtime's meta lock
  bool daemon;       // guarded by the runtime's meta lock
  std::atomic<bool> started{false};
  std::atomic<std::uint64_t> ident{0};
  std::atomic<std::uint64_t> native_id{0};
  mutable std::atomic<std::uint32_t> ids_ready{0};  // 0 = not yet, 1 = ready, 2 = not yet + waiters
  CompletionFlag ended;

  // Subclass form: the object whose run() the thread calls, and (when that object is owned
  // by a std::shared_ptr) a reference that keeps it alive while it runs, as in Python.
  Thread* owner = nullptr;
  std::shared_ptr<Thread> keepalive;

  // Registry links (guarded by the runtime's meta lock).
  ThreadState* reg_prev = nullptr;
  ThreadState* reg_next = nullptr;
  std::shared_ptr<ThreadState> reg_ref;  // non-null while registered

  // Reaping of the (joinable) OS thread of a triad-started thread: 0 = running, 1 = ended
  // and not yet pthread_join'ed, 2 = reaped or nothing to reap. Whoever moves it 1 -> 2 joins.
  std::atomic<std::uint8_t> reap{2};
  ThreadState* reap_next = nullptr;       // the runtime's list of ended, unreaped threads
  std::shared_ptr<ThreadState> reap_ref;  // (guarded by the meta lock)
};

template <class F, class... Args>
class TargetThreadState final : public ThreadState {
 public:
  template <class G, class... A>
  TargetThreadState(std::string thread_name, std::optional<bool> is_daemon, G&& g, A&&... a)
      : ThreadState(std::move(thread_name), is_daemon, ThreadKind::user),
        target_(std::in_place, std::forward<G>(g), std::forward<A>(a)...) {}

  [[nodiscard]] bool has_target() const noexcept override { return true; }
  void invoke() override {
    std::apply([](F& f, Args&... args) { std::invoke(std::move(f), std::move(args)...); },
               *target_);
  }
  void drop_target() noexcept override { target_.reset(); }

 private:
  std::optional<std::tuple<F, Args...>> target_;
};

// True when F(Args...) can be stored and invoked the way std::thread does it: decayed copies,
// called as rvalues.
template <class F, class... Args>
concept thread_target = std::is_constructible_v<std::decay_t<F>, F> &&
                        (std::is_constructible_v<std::decay_t<Args>, Args>&&...) &&
                        std::is_invocable_v<std::decay_t<F>, std::decay_t<Args>...>;

// Grants the runtime access to Thread's protected run().
struct ThreadAccess {
  static void run(Thread& t);
};

}  // namespace triad::detail
