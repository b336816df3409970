// Internal: triad's process-wide threading runtime — the registry behind enumerate(), the
// main-thread record, the exit logic and the fork handlers. Shared by thread.cpp, timer.cpp
// and thread_excepthook.cpp. Never destroyed (leaked on purpose), so daemon threads and the
// timer thread can use it during static destruction.
//
// Locks, in the order the fork "prepare" handler takes them:
//   hook_lock (the excepthook)  ->  TimerService::lock (timer.cpp)  ->  meta
// No code path holds one of them while taking an earlier one. Each is held for a few dozen
// instructions; wakes of CompletionFlags happen under meta / the timer lock (only when there
// are waiters) so that a fork never sees a half-finished completion.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "triad/core/detail/spinlock.hpp"
#include "triad/threading/detail/thread_state.hpp"
#include "triad/threading/excepthook.hpp"

namespace triad::detail {

struct ThreadRuntime {
  // Guards the registry, every ThreadState's/TimerState's name and daemon flag, `main`,
  // `finalizing` and the non-daemon timer count's increments.
  SpinLock meta;
  ThreadState* head = nullptr;
  std::size_t count = 0;
  std::shared_ptr<ThreadState> main;
  ThreadState* reap_head = nullptr;                // ended threads nobody has pthread_join'ed yet
  std::atomic<bool> finalizing{false};             // exit's shutdown finished: no new threads
  std::atomic<std::uint32_t> nondaemon_timers{0};  // started, not yet fired or cancelled
  std::atomic<std::uint64_t> name_counter{0};
  std::atomic<bool> atexit_registered{false};

  SpinLock hook_lock;
  std::shared_ptr<const ExceptHook> hook;  // null = default_excepthook
};

// The runtime; created on first use, which also makes the calling thread the main thread.
ThreadRuntime& runtime() noexcept;

// The calling thread's state, or nullptr if triad does not know it yet (no dummy created).
ThreadState* current_state() noexcept;

// Makes s the calling thread's current_thread() without registering it (the timer thread).
void set_current_state(ThreadState* s) noexcept;

// "Thread-N" / "Dummy-N" from Python's shared counter.
std::string next_default_name(const char* prefix);
// The daemon flag a new Thread/Timer inherits from the calling thread.
bool inherited_daemon();
// Timer callbacks: what inherited_daemon() returns on the timer thread meanwhile (-1: none).
void set_inherited_daemon_override(int value) noexcept;

// Registers the exit handler (idempotent, cheap after the first call).
void ensure_exit_hooks();

// The exit logic (Python's threading._shutdown). See thread.hpp.
void shutdown_threads();

// Publishes ident/native id of the calling thread into s and wakes readers.
void publish_ids(ThreadState& s) noexcept;

// Reports an exception through the excepthook (never throws).
void report_exception(std::exception_ptr e, std::string thread_name,
                      std::optional<std::uint64_t> ident,
                      std::optional<ThreadHandle> thread) noexcept;

// Decrements the non-daemon timer count (waking the exit logic at zero).
void release_nondaemon_timer() noexcept;

// Timer service fork hooks (timer.cpp), called inside the runtime's at-fork handlers.
void timer_atfork_prepare() noexcept;
void timer_atfork_parent() noexcept;
void timer_atfork_child() noexcept;
// True on the shared timer thread.
bool on_timer_thread() noexcept;

}  // namespace triad::detail
