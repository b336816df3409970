// ThreadPoolExecutor: an Executor running calls on a pool of reused worker threads.
//
// Python: concurrent.futures.ThreadPoolExecutor(max_workers=None, thread_name_prefix='',
//         initializer=None, initargs=())
//
//   {
//     triad::ThreadPoolExecutor pool(5);                       // `with ThreadPoolExecutor(5)`
//     auto f = pool.submit([](int n) { return n * n; }, 7);
//     f.add_done_callback([](const triad::Future<int>& g) { std::printf("%d\n", g.result()); });
//     for (int r : pool.map([](int n) { return n + 1; }, std::vector{1, 2, 3})) use(r);
//   }                                                          // shutdown(wait=true)
//
// Sizing. max_workers absent: min(32, cpu_count + 4) — Python 3.8+'s default, cpu_count
// being the CPUs this process may run on (sched_getaffinity). The seeds (and Python 3.5-3.7)
// quote the older default, cpu_count * 5; pass it explicitly if you want it:
// ThreadPoolExecutor(5 * cpu_count). max_workers <= 0 -> ValueError("max_workers must be
// greater than 0").
//
// Workers start lazily: submit() starts a new worker only when no worker is idle and fewer
// than max_workers exist (Python's _adjust_thread_count), and idle workers are reused, so
// running ten quick tasks one after the other uses one thread, and ten concurrent tasks on
// ThreadPoolExecutor(5) use at most five. Workers are daemon triad::Threads named
// "<prefix>_<N>" (N = 0, 1, ...; prefix defaults to "ThreadPoolExecutor-<K>", K counting
// pools created without a prefix, as Python): triad::current_thread().name() in a task gives
// e.g. "ThreadPoolExecutor-0_0", and triad::enumerate() lists them. The OS thread name (top,
// gdb) is that name cut to 15 characters.
//
// Callbacks and continuations of the futures it returns run on the worker thread that ran
// the task (or in the caller if the future is already done when they are added).
//
// Idle workers spin for `idle_spin` (default 50 µs on a multi-core machine; at most one
// worker per two CPUs spins at a time) before sleeping, so a steady stream of submits is
// picked up without a wake-up syscall; sleeping workers are woken one at a time, only when no
// worker is spinning.
//
// Shutdown, exit and fork:
// - shutdown(wait, cancel_futures): later submits throw RuntimeError("cannot schedule new
//   futures after shutdown"). Tasks already queued still run (even with wait=false), unless
//   cancel_futures=true, which cancels every queued task that has not started. wait=true
//   blocks until every worker has finished and exited. Idempotent.
// - The destructor is shutdown(wait=true): the end of Python's `with` block.
// - At normal process exit (std::exit or return from main), an atexit handler shuts every
//   live pool down with wait=true, like Python's _python_exit: queued tasks finish, then
//   the program ends. (A pool being destroyed by a static destructor is also fine.)
//   Submitting from a task during that shutdown raises
//   RuntimeError("cannot schedule new futures after interpreter shutdown").
// - fork(): in the child, every pool inherited from the parent is empty and usable: it has
//   no workers (new ones start on the next submit); the tasks queued in the parent at fork
//   time are cancelled in the child (the parent still runs them); the tasks running in the
//   parent fail in the child with BrokenThreadPool("the worker thread running this task
//   does not exist in the forked child"). Callbacks of those futures run in the child's
//   forking thread, inside fork(). As in Python 3.12+, your own futures that other threads
//   were touching at the instant of the fork may be unusable in the child.
//
// Initializer: called once in each new worker before it takes tasks (Python's initializer
// with initargs: capture them in the callable). If it throws, the exception is printed to
// stderr ("Exception in initializer:"), the pool becomes broken: every queued future
// fails with BrokenThreadPool("A thread initializer failed, the thread pool is not usable
// anymore") and so does every later submit().
//
// Thread safety: all members may be called concurrently from any thread, including from
// the pool's own tasks (but shutdown(wait=true) from a task cannot wait for its own worker:
// it waits for the others and lets its own worker finish by itself).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "triad/futures/executor.hpp"

namespace triad {

// Python's ThreadPoolExecutor keyword arguments, plus triad's tuning knobs.
struct ThreadPoolOptions {
  // Absent: default_max_workers(). <= 0: ValueError.
  std::optional<int> max_workers{};
  // Empty: "ThreadPoolExecutor-<K>".
  std::string thread_name_prefix{};
  // Called once by every new worker before it runs tasks. May be empty.
  std::function<void()> initializer{};
  // How long an idle worker spins before sleeping. Absent: 50 µs, or 0 on a single CPU.
  std::optional<std::chrono::nanoseconds> idle_spin{};
};

namespace detail {
class ThreadPool;
}

class ThreadPoolExecutor final : public Executor {
 public:
  // ThreadPoolExecutor(): Python's default size.
  ThreadPoolExecutor();
  // Python: ThreadPoolExecutor(max_workers, thread_name_prefix, initializer).
  // Throws ValueError("max_workers must be greater than 0").
  explicit ThreadPoolExecutor(std::optional<int> max_workers, std::string thread_name_prefix = {},
                              std::function<void()> initializer = {});
  explicit ThreadPoolExecutor(ThreadPoolOptions options);
  // shutdown(wait=true).
  ~ThreadPoolExecutor() override;

  // Python: shutdown(wait=True, *, cancel_futures=False).
  // Blocks if wait (until the workers exit; not a green-thread yield: it joins OS threads) ·
  // thread-safe, idempotent · throws nothing · no timeout (tasks are not interrupted, as in
  // Python).
  void shutdown(bool wait = true, bool cancel_futures = false) override;

  // The pool's size limit (Python: _max_workers).
  [[nodiscard]] int max_workers() const noexcept;
  // Workers started so far (Python: len(_threads)). Never exceeds max_workers().
  [[nodiscard]] std::size_t num_threads() const noexcept;
  // The worker name prefix in use.
  [[nodiscard]] const std::string& thread_name_prefix() const noexcept;
  // min(32, cpu_count + 4).
  [[nodiscard]] static int default_max_workers() noexcept;

 protected:
  void schedule(detail::FutureStateBase& task) override;

 private:
  std::shared_ptr<detail::ThreadPool> pool_;
};

}  // namespace triad
