// Thread: an OS thread with Python's threading.Thread contract, plus the module functions
// current_thread(), main_thread(), active_count(), enumerate(), get_ident(), get_native_id().
//
// Python: threading.Thread, threading.current_thread, threading.main_thread,
//         threading.active_count, threading.enumerate, threading.get_ident,
//         threading.get_native_id
//
//   triad::Thread t(ThreadOptions{.name = "worker"}, [](int n) { work(n); }, 42);
//   t.start();
//   t.join();                                  // or t.join(2s): returns !t.is_alive()
//   for (const triad::ThreadHandle& h : triad::enumerate()) std::puts(h.name().c_str());
//
// Two forms, as in Python:
// - callable form: Thread(fn, args...) stores decayed copies of fn and args (move-only ones
//   work) and the new thread calls std::invoke(std::move(fn), std::move(args)...). They are
//   destroyed on the new thread right after the call. The Thread object is not touched by the
//   new thread, so it may be destroyed at any time (see Lifetime). An overridden run() is NOT
//   called in this form: pass a callable or override run(), not both.
// - subclass form: derive from Thread, override `void run()`, construct with Thread() or
//   Thread(ThreadOptions). The new thread calls run() on the object, so the object must stay
//   alive until run() returns: join() it before destroying it (e.g. in your destructor), or
//   own it by std::shared_ptr (std::make_shared) — then the running thread holds a reference
//   until run() has returned, exactly like Python keeps a running Thread alive.
//
// Python keyword arguments -> ThreadOptions: Thread(ThreadOptions{.name = "w", .daemon = true},
// fn, args...), or set_name()/set_daemon() before start().
//
// Identity and handles: a Thread is non-copyable and non-movable (it has identity, and the
// subclass form runs on `this`). Everything that reports on threads — current_thread(),
// main_thread(), enumerate(), Thread::handle() — returns a ThreadHandle: a cheap, copyable,
// shared reference to the thread's state, valid for as long as you keep it (never dangling,
// even after the thread and its Thread object are gone). Keep handles in a vector where
// Python keeps Thread objects in a list: `hs.push_back(t.handle())`.
//
// Lifetime: destroying a Thread object never terminates the program.
// - not started: nothing happens.
// - callable form, started: the object is simply detached from the thread, which runs on;
//   handles still join it, and if it is non-daemon the exit logic below still joins it.
// - subclass form, started, still running: ~Thread waits until run() returns (it must: the
//   thread is executing a member function of the object). By then the derived part has
//   already been destroyed, which is a bug in the caller: join first, or use make_shared.
//
// Program exit (Python's threading._shutdown), in C++ terms:
// - At normal exit — return from main() or std::exit() on the main thread — triad, FIRST
//   (from a thread_local destructor of the main thread, which C++ runs before any atexit
//   handler and any static destructor): marks the main thread as ended (so
//   main_thread().join() returns in other threads), joins every non-daemon Thread still
//   alive (including ones they start meanwhile), and waits until every pending non-daemon
//   Timer has fired or been cancelled. Only then do atexit handlers and static destructors
//   run, so non-daemon threads may use static objects until they end.
//   (Destructors of the main thread's other thread_local objects have run already.)
// - std::exit() on another thread: that thread's thread_local destructors run, then an
//   atexit handler (registered at the first start()) joins every non-daemon Thread except
//   the main thread and the caller, and waits for non-daemon timers; then the remaining
//   atexit handlers and static destructors run. A non-daemon thread waiting for the main
//   thread would wait forever here: avoid exiting from a non-main thread.
// - Daemon threads are abandoned: not joined, they keep running during static destruction
//   until the process ends under them (keep them away from static objects), exactly as
//   their Python counterparts are frozen at shutdown.
// - After that shutdown, start() raises RuntimeError("can't create new thread at interpreter
//   shutdown") and the timer thread runs no more callbacks.
// - std::quick_exit(), _exit(), abort() and a fatal signal join nothing: every thread,
//   daemon or not, is abandoned (Python's os._exit()).
// - If main() calls pthread_exit(), the shutdown above runs at that point (in main's
//   thread_local destructors) and the process continues until its last thread ends.
//
// fork(): triad's registry has at-fork handlers. In the child only the forking thread
// remains, as main_thread() (keeping its name); every other thread's handle reports
// is_alive() == false and join() returns at once; enumerate() holds just the caller. Timers
// pending in the parent never fire in the child (their is_alive() is false); the child can
// start threads and timers right away. As in Python 3.12+, forking a threaded process is a
// hazard for your own state (locks held by vanished threads).
//
// Exceptions escaping run() or the callable are passed to the hook of
// <triad/threading/excepthook.hpp> on the dying thread (default: printed to stderr as
// "Exception in thread NAME:" followed by the type and what()). Never lost.
//
// Thread safety: all member functions of Thread and ThreadHandle may be called concurrently
// from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "triad/core/error.hpp"
#include "triad/core/timeout.hpp"
#include "triad/threading/detail/thread_state.hpp"

namespace triad {

// Python's Thread keyword arguments.
struct ThreadOptions {
  // Empty: "Thread-N", N counting from 1 over all threads and timers created with a default
  // name (Python's counter; dummy threads take "Dummy-N" from the same counter).
  std::string name{};
  // Absent: inherited from the creating thread (Python: current_thread().daemon). The main
  // thread is non-daemon, dummy threads are daemon; inside a Timer callback the Timer's flag
  // is inherited.
  std::optional<bool> daemon{};
};

// A shared reference to a thread known to triad (started by triad, the main thread, or a
// foreign thread seen by current_thread()). Cheap to copy; compares equal iff it refers to
// the same thread. Never dangling.
class ThreadHandle {
 public:
  // Python: t.name / t.name = ...
  [[nodiscard]] std::string name() const;
  void set_name(std::string name);
  // Python: t.daemon / t.daemon = ... Throws RuntimeError("cannot set daemon status of
  // active thread") once started.
  [[nodiscard]] bool daemon() const;
  void set_daemon(bool daemonic);
  // Python: t.ident (None before start). Set once the thread has been started; equals
  // get_ident() inside the thread. May wait a few microseconds for a thread that is starting.
  [[nodiscard]] std::optional<std::uint64_t> ident() const;
  // Python: t.native_id: the kernel thread id (gettid()); None before start. May wait a few
  // microseconds for a thread that is starting.
  [[nodiscard]] std::optional<std::uint64_t> native_id() const;
  // Python: t.is_alive(): started and not yet ended. Never blocks.
  [[nodiscard]] bool is_alive() const noexcept;
  // Python: t.join(timeout). Blocks until the thread ends or the timeout passes, and returns
  // whether it has ended (Python returns None: check is_alive()). The first successful join
  // also waits for the OS thread's last microseconds (pthread_join, as std::thread::join), so
  // its stack is reused by the next thread; a thread nobody joins is released by a later
  // start() without blocking.
  // Blocks: yes. Yields a green thread: yes (via the parking interface; only the final
  // pthread_join of an already ended thread runs on the OS thread). Thread safety: any
  // number of threads may join the same thread. Throws RuntimeError("cannot join thread
  // before it is started"), RuntimeError("cannot join current thread"), RuntimeError("cannot
  // join a dummy thread"). Timeout: absent = forever; zero or negative = just check.
  bool join(Timeout timeout = {}) const;

  friend bool operator==(const ThreadHandle& a, const ThreadHandle& b) noexcept {
    return a.state_ == b.state_;
  }

  explicit ThreadHandle(std::shared_ptr<detail::ThreadState> state) noexcept
      : state_(std::move(state)) {}

 private:
  std::shared_ptr<detail::ThreadState> state_;
};

// Python: threading.Thread. See the header comment.
class Thread : public std::enable_shared_from_this<Thread> {
 public:
  // Subclass form (override run()); a Thread with neither callable nor override does nothing.
  Thread() : Thread(ThreadOptions{}) {}
  explicit Thread(ThreadOptions options);

  // Callable form: the thread runs std::invoke(fn, args...) on decayed copies.
  template <class F, class... Args>
  requires detail::thread_target<F, Args...>
  explicit Thread(F&& fn, Args&&... args)
      : Thread(ThreadOptions{}, std::forward<F>(fn), std::forward<Args>(args)...) {}

  template <class F, class... Args>
  requires detail::thread_target<F, Args...> Thread(ThreadOptions options, F&& fn, Args&&... args)
      : state_(std::make_shared<detail::TargetThreadState<std::decay_t<F>, std::decay_t<Args>...>>(
            std::move(options.name), options.daemon, std::forward<F>(fn),
            std::forward<Args>(args)...)) {}

  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;
  Thread(Thread&&) = delete;
  Thread& operator=(Thread&&) = delete;
  // See Lifetime in the header comment. Never throws, never terminates.
  virtual ~Thread();

  // Python: t.start(). Starts the OS thread and returns at once (Python waits until the new
  // thread runs; triad does not, but is_alive(), ident() and enumerate() already see it).
  // Blocks: no. Thread safety: any thread. Throws RuntimeError("threads can only be started
  // once"), RuntimeError("can't start new thread") if the OS refuses,
  // RuntimeError("can't create new thread at interpreter shutdown") after exit's shutdown.
  void start();

  // Python: t.join(timeout). See ThreadHandle::join.
  bool join(Timeout timeout = {}) { return handle().join(timeout); }
  [[nodiscard]] bool is_alive() const noexcept;
  [[nodiscard]] std::string name() const { return handle().name(); }
  void set_name(std::string name) { handle().set_name(std::move(name)); }
  [[nodiscard]] bool daemon() const { return handle().daemon(); }
  void set_daemon(bool daemonic) { handle().set_daemon(daemonic); }
  [[nodiscard]] std::optional<std::uint64_t> ident() const { return handle().ident(); }
  [[nodiscard]] std::optional<std::uint64_t> native_id() const { return handle().native_id(); }
  // A shared handle to this thread; outlives the Thread object.
  [[nodiscard]] ThreadHandle handle() const { return ThreadHandle(state_); }

 protected:
  // Python: Thread.run(). Override in the subclass form. Runs on the new thread.
  virtual void run() {}

 private:
  friend struct detail::ThreadAccess;
  std::shared_ptr<detail::ThreadState> state_;
};

// Python: threading.current_thread(). Works on any thread: a thread not started by triad
// gets a "dummy" entry named "Dummy-N" (daemon, cannot be joined, listed by enumerate()
// until the thread ends), like Python's _DummyThread. Inside a Timer callback this is the
// shared timer thread ("triad-timer", not listed by enumerate()). Never blocks.
[[nodiscard]] ThreadHandle current_thread();
// Python: threading.main_thread(): the thread that loaded triad (normally the one running
// main()); after fork(), the forking thread. Its name is "MainThread".
[[nodiscard]] ThreadHandle main_thread();
// Python: threading.active_count(): the number of threads enumerate() would list.
[[nodiscard]] std::size_t active_count();
// Python: threading.enumerate(): every alive thread known to triad — started Threads not yet
// ended, the main thread, and dummy threads — in no particular order. Timers and triad's own
// internal threads are not listed.
[[nodiscard]] std::vector<ThreadHandle> enumerate();
// Python: threading.get_ident(): this thread's nonzero identifier (its pthread_t). Reusable
// after the thread ends.
[[nodiscard]] std::uint64_t get_ident() noexcept;
// Python: threading.get_native_id(): this thread's kernel id (gettid()).
[[nodiscard]] std::uint64_t get_native_id() noexcept;

}  // namespace triad
