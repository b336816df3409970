// Pool: a pool of worker processes with multiprocessing.Pool's API — apply, map, imap,
// starmap (each with an _async form), close/join/terminate.
//
// Python: multiprocessing.Pool, multiprocessing.pool.AsyncResult / IMapIterator.
//
//   int sqr(int x) { return x * x; }
//
//   triad::process::Pool pool(4);                              // Pool(processes=4)
//   int a = pool.apply(sqr, 7);                                // 49
//   auto r = pool.apply_async(sqr, 8);                         // AsyncResult<int>
//   r.get(2s);                                                 // 64, or TimeoutError
//   std::vector<int> v = pool.map(sqr, std::vector{1, 2, 3});  // {1, 4, 9}
//   for (int y : pool.imap(sqr, std::vector{4, 5})) use(y);    // lazily, in order
//   pool.close();
//   pool.join();                                               // or just let it go out of scope
//
// Python                                         triad
// Pool(processes, initializer, initargs,        Pool(processes, initializer, maxtasksperchild,
//      maxtasksperchild, context)                    context)   (initargs: capture them)
// with Pool() as p: ...                          { Pool p; ... }  (the destructor terminates)
// p.apply(f, (1, 2))                             p.apply(f, 1, 2)
// p.apply_async(f, (1, 2))                       p.apply_async(f, 1, 2)
// p.apply_async(f, (1,), callback=cb,            p.apply_async(f, std::tuple{1}, cb, ecb)
//               error_callback=ecb)
// p.map(f, xs, chunksize)                        p.map(f, xs, chunksize)   -> std::vector<R>
// p.map_async(f, xs, chunksize, cb, ecb)         same                      -> AsyncResult<vector<R>>
// p.imap(f, xs, chunksize=1) / imap_unordered    same                      -> IMapIterator<R>
// it.next(timeout) / StopIteration               it.next(timeout) -> std::optional<R> (nullopt = end)
// p.starmap(f, [(1, 2), (3, 4)])                 p.starmap(f, std::vector{std::tuple{1, 2}, ...})
// res.get(timeout), wait, ready, successful      same (wait returns whether it is ready)
// multiprocessing.TimeoutError                   triad::TimeoutError
//
// Functions cross by identity exactly as with ProcessPoolExecutor: a function pointer or a
// captureless lambda (anything else is a compile-time error saying so); arguments and results
// go through cereal. An exception raised in a worker re-raises in the parent as the same type
// when that type is registered (ProcessPoolExecutor::register_exception<E>(); triad's and the
// std::exception family are pre-registered), otherwise as RemoteError. A result keeps how its
// task failed as data, and every get()/next() raises a new exception object made from it (so
// no exception object is shared between threads). map/imap/starmap functions must return a
// value (not void); apply/apply_async may return void.
//
// Which thread runs callbacks: callback and error_callback run in the parent on the pool's
// one result-handler thread (as in Python), in the order results arrive, before the result
// becomes ready (so get() returning implies the callback has run). Keep them short: while a
// callback runs, no other result is delivered. An exception escaping a callback is printed on
// stderr and ignored. A callback may call apply_async/map_async/close/terminate on its own
// pool; a blocking wait on one of the pool's unfinished results (get, wait, apply, map,
// imap's next, join) from a callback would deadlock and raises RuntimeError instead.
// Exception: map_async over an empty input is ready at once and runs its callback in the
// calling thread before map_async returns (Python calls no callback then).
//
// Workers: forked (start method fork only) by the result-handler thread; each has a private
// socket to the parent and runs one task at a time. maxtasksperchild: a worker that has run
// that many tasks exits and a new one takes its place (as in Python). Beyond Python:
// - A worker that dies (crash, SIGKILL, sys_exit) while running a task fails that task's
//   result with WorkerLostError (a BrokenProcessPool) naming the signal or exit code, and the
//   pool forks a replacement; the other tasks are unaffected. (Python replaces the worker too,
//   but the task's result never becomes ready, so get() without a timeout hangs.)
// - terminate() (and the destructor) fails every unfinished result with CancelledError("the
//   pool was terminated before this task finished"); Python leaves them pending forever.
// - An initializer that throws (or a worker that dies before finishing its initializer)
//   breaks the pool: every unfinished result fails with BrokenProcessPool and later
//   submissions raise it (Python forks failing workers in an endless loop).
// - map/imap take the whole input at the call (Python's task thread consumes it eagerly too);
//   chunksize 0 raises ValueError("Chunksize must be 1+, not 0") everywhere.
//
// Thread safety: every member may be called from any thread of the parent. AsyncResult is
// a shared handle (copy freely, use from any thread). One IMapIterator must be consumed by
// one thread at a time (like any C++ iterator); distinct iterators are independent.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "triad/core/error.hpp"
#include "triad/core/timeout.hpp"
#include "triad/threading/event.hpp"
#include "triad/process/context.hpp"
#include "triad/process/detail/serialize.hpp"
#include "triad/process/process_pool_executor.hpp"
#include "triad/queue/queue.hpp"

namespace triad::process {

// A pool worker died (signal or exit) while running the task of this result. The pool
// replaced the worker and carries on. Python: no equivalent (the result hangs); the name is
// billiard's (Celery's multiprocessing fork).
class WorkerLostError : public BrokenProcessPool {
 public:
  using BrokenProcessPool::BrokenProcessPool;
};

namespace detail {

// How a task failed, as data. The exception object is made from it by whichever thread
// raises it (make()), so an exception object is never shared between the result-handler
// thread and the threads that wait: each get() raises a fresh one.
struct PoolError {
  enum class Kind { remote, worker_lost, cancelled, broken };
  Kind kind = Kind::remote;
  std::string type_name;  // remote: the exception's type, resolved by the exception registry
  std::string message;
  int pid = 0;
  // A new exception: the registered type or RemoteError (remote), WorkerLostError,
  // CancelledError, BrokenProcessPool.
  [[nodiscard]] std::exception_ptr make() const;
};
// The exception being handled, as a PoolError (call inside a catch block).
PoolError pool_error_from_current();

// Called once on the pool's result-handler thread: with the encoded result (payload
// non-null) or how the task failed (error non-null).
using PoolCompletion = std::function<void(std::string* payload, const PoolError* error)>;

// A result: written by the result-handler thread, then `ready` is set (which publishes it).
template <class R>
struct PoolResultState {
  triad::Event ready;
  std::optional<std::conditional_t<std::is_void_v<R>, char, R>> value;
  std::optional<PoolError> error;
};

// Whether the calling thread is the result-handler thread of the pool whose core is `core`.
bool on_pool_handler_thread(const void* core) noexcept;
// Raises RuntimeError when a blocking wait would deadlock (see the header comment).
void check_not_pool_handler(const void* core, const char* what);
// Runs a user callback; an exception escaping it is printed on stderr.
void run_pool_callback(const std::function<void()>& call) noexcept;

template <class R>
struct PoolCallbackFor {
  using type = std::function<void(const R&)>;
};
template <>
struct PoolCallbackFor<void> {
  using type = std::function<void()>;
};

// A chunk of starmap: every item is a tuple-like of arguments.
template <class Fp, class R, class T>
std::string pool_invoke_starchunk(const void* fn, const std::string& data) {
  auto items = decode<std::vector<T>>(data.data(), data.size());
  auto f = reinterpret_cast<Fp>(const_cast<void*>(fn));
  std::vector<R> results;
  results.reserve(items.size());
  for (auto& x : items) results.push_back(std::apply(f, std::move(x)));
  std::string out;
  encode(out, results);
  return out;
}

template <class F, class... A>
using pool_result_t = std::remove_cvref_t<std::invoke_result_t<std::decay_t<F>&, std::decay_t<A>...>>;

// Completes a result: runs the callback (value) or error callback (a fresh exception, whose
// last reference the handler drops before the result is published), then publishes it.
template <class R, class V, class Cb, class Ecb>
void pool_finish(PoolResultState<R>& st, V* value, const PoolError* error, const Cb& cb,
                 const Ecb& ecb) {
  (void)value;
  if (error) {
    if (ecb) {
      std::exception_ptr e = error->make();
      run_pool_callback([&] { ecb(e); });
    }
    st.error = *error;
  } else if constexpr (std::is_void_v<R>) {
    if (cb) run_pool_callback([&] { cb(); });
    st.value.emplace();
  } else {
    if (cb) run_pool_callback([&] { cb(*value); });
    st.value.emplace(std::move(*value));
  }
  st.ready.set();
}

// The state of one map_async: filled chunk by chunk on the handler thread.
template <class R>
struct PoolMapState {
  std::shared_ptr<PoolResultState<std::vector<R>>> result =
      std::make_shared<PoolResultState<std::vector<R>>>();
  std::vector<R> values;
  std::size_t left = 0;
  std::size_t chunksize = 1;
  std::optional<PoolError> error;
  std::function<void(const std::vector<R>&)> callback;
  std::function<void(std::exception_ptr)> error_callback;

  void on_chunk(std::size_t i, std::string* payload, const PoolError* e) {
    --left;
    std::optional<PoolError> failed;
    if (e) failed = *e;
    if (!failed && !error) {
      try {
        auto part = decode<std::vector<R>>(payload->data(), payload->size());
        for (std::size_t k = 0; k < part.size() && i * chunksize + k < values.size(); ++k)
          values[i * chunksize + k] = std::move(part[k]);
      } catch (...) {
        failed = pool_error_from_current();
      }
    }
    if (failed && !error) error = std::move(failed);  // only the first (in arrival order)
    if (left == 0) finish();
  }
  void finish() {
    pool_finish(*result, &values, error ? &*error : nullptr, callback, error_callback);
  }
};

}  // namespace detail

class Pool;

// The result of apply_async / map_async / starmap_async (Python: AsyncResult).
// A shared handle: copies refer to the same result.
template <class R>
class AsyncResult {
 public:
  // Python: get(timeout). The value (const R&, valid while a handle lives; nothing for
  // AsyncResult<void>), or the task's exception rethrown.
  // Blocks until ready or the timeout · yields a green thread (parking interface) ·
  // thread-safe · throws TimeoutError when not ready in time, the task's exception,
  // RuntimeError when called from the pool's own callback on an unfinished result ·
  // absent timeout = forever; zero or negative = don't wait.
  decltype(auto) get(Timeout timeout = {}) const {
    if (!s_->ready.is_set()) {
      detail::check_not_pool_handler(owner_, "AsyncResult::get");
      if (!s_->ready.wait(timeout)) throw TimeoutError();
    }
    if (s_->error) std::rethrow_exception(s_->error->make());
    if constexpr (std::is_void_v<R>) {
      return;
    } else {
      return static_cast<const R&>(*s_->value);
    }
  }

  // Python: wait(timeout). Returns whether the result is ready.
  // Blocks until ready or the timeout · yields a green thread · thread-safe · throws
  // RuntimeError from the pool's own callback on an unfinished result · as get().
  bool wait(Timeout timeout = {}) const {
    if (s_->ready.is_set()) return true;
    detail::check_not_pool_handler(owner_, "AsyncResult::wait");
    return s_->ready.wait(timeout);
  }

  // Python: ready(). Never blocks.
  [[nodiscard]] bool ready() const { return s_->ready.is_set(); }

  // Python: successful() — whether the task returned without raising. Never blocks.
  // Throws ValueError("<AsyncResult> not ready") if it is not ready (Python 3.7+).
  [[nodiscard]] bool successful() const {
    if (!s_->ready.is_set()) throw ValueError("<AsyncResult> not ready");
    return !s_->error.has_value();
  }

 private:
  friend class Pool;
  AsyncResult(std::shared_ptr<detail::PoolResultState<R>> s, const void* owner)
      : s_(std::move(s)), owner_(owner) {}
  // The value, moved out (for apply/map, whose AsyncResult nobody else sees).
  auto take() {
    get();
    if constexpr (!std::is_void_v<R>) return R(std::move(*s_->value));
  }
  std::shared_ptr<detail::PoolResultState<R>> s_;
  const void* owner_;
};

// The lazy result of imap / imap_unordered (Python: IMapIterator). Movable, not copyable.
//
//   auto it = pool.imap(sqr, xs);
//   while (auto y = it.next(5s)) use(*y);          // or: for (int y : pool.imap(sqr, xs))
template <class R>
class IMapIterator {
 public:
  IMapIterator(IMapIterator&&) noexcept = default;
  IMapIterator& operator=(IMapIterator&&) noexcept = default;
  IMapIterator(const IMapIterator&) = delete;
  IMapIterator& operator=(const IMapIterator&) = delete;

  // Python: next(timeout). The next result (in input order for imap, in completion order
  // for imap_unordered), or nullopt once every result was returned (Python: StopIteration).
  // A task that raised raises here, at its position; for chunksize > 1 the whole chunk
  // raises once (Python's behaviour) and the next call goes on with the next chunk.
  // Blocks until the next result is there or the timeout · yields a green thread ·
  // one consumer at a time · throws TimeoutError when nothing came in time (nothing is
  // consumed), the task's exception, RuntimeError from the pool's own callback ·
  // absent timeout = forever; zero or negative = don't wait.
  std::optional<R> next(Timeout timeout = {}) {
    while (pos_ >= cur_.size()) {
      if (chunks_left_ == 0) return std::nullopt;
      std::exception_ptr e;
      if (ordered_.empty()) {
        auto& q = *unordered_;
        std::optional<Chunk> c = q.try_get();  // zero timeout: does not wait
        if (!c) {
          detail::check_not_pool_handler(owner_, "IMapIterator::next");
          c = q.try_get(timeout);
        }
        if (!c) throw TimeoutError();
        --chunks_left_;
        cur_ = std::move(c->first);
        if (c->second) e = c->second->make();
      } else {
        auto& st = *ordered_[next_chunk_];
        if (!st.ready.is_set()) {
          detail::check_not_pool_handler(owner_, "IMapIterator::next");
          if (!st.ready.wait(timeout)) throw TimeoutError();  // the cursor stays
        }
        ++next_chunk_;
        --chunks_left_;
        if (st.error) {
          e = st.error->make();
          cur_.clear();
        } else {
          cur_ = std::move(*st.value);
        }
      }
      pos_ = 0;
      if (e) std::rethrow_exception(e);
    }
    return std::move(cur_[pos_++]);
  }

  // Range-for support: `for (R x : it)` calls next() without a timeout; exceptions propagate
  // out of the loop.
  class iterator {
   public:
    using value_type = R;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(IMapIterator* it) : it_(it) { advance(); }
    R& operator*() const { return *cur_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    friend bool operator==(const iterator& i, std::default_sentinel_t) { return !i.cur_; }

   private:
    void advance() {
      cur_.reset();
      cur_ = it_->next();
    }
    IMapIterator* it_ = nullptr;
    mutable std::optional<R> cur_;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() { return {}; }

 private:
  friend class Pool;
  IMapIterator() = default;
  using Chunk = std::pair<std::vector<R>, std::optional<detail::PoolError>>;
  const void* owner_ = nullptr;
  std::vector<std::shared_ptr<detail::PoolResultState<std::vector<R>>>> ordered_;  // imap
  std::shared_ptr<triad::Queue<Chunk>> unordered_;        // imap_unordered: finished chunks
  std::size_t next_chunk_ = 0;
  std::size_t chunks_left_ = 0;
  std::vector<R> cur_;
  std::size_t pos_ = 0;
};

class Pool {
 public:
  // Python: Pool(processes=None, initializer=None, initargs=(), maxtasksperchild=None,
  // context=None). processes: default cpu_count(). initializer runs first in every worker
  // (capture initargs in it: workers are forked). maxtasksperchild: a worker is replaced
  // after that many tasks (default: never). Returns once the workers are forked.
  // Throws ValueError("Number of processes must be at least 1"),
  // ValueError("maxtasksperchild must be a positive int or None"), ValueError for a spawn
  // context (not supported yet), OSError when the workers cannot be created.
  explicit Pool(std::optional<int> processes = std::nullopt,
                std::function<void()> initializer = {},
                std::optional<int> maxtasksperchild = std::nullopt,
                const Context* context = nullptr);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  // Python: __exit__ — terminate(): unfinished results fail with CancelledError. Must not
  // run on the pool's own result-handler thread (inside one of its callbacks): that aborts.
  ~Pool();

  // Python: apply(func, args). Runs fn(args...) in a worker and returns its result.
  // Blocks until it finished · yields a green thread · thread-safe · throws the task's
  // exception, ValueError("Pool not running") after close/terminate, BrokenProcessPool,
  // WorkerLostError, RuntimeError from the pool's own callback · no timeout (use
  // apply_async(...).get(timeout)).
  template <class F, class... A>
    requires std::is_invocable_v<std::decay_t<F>&, std::decay_t<A>...>
  auto apply(F&& fn, A&&... args) {
    detail::check_not_pool_handler(core_id(), "Pool::apply");
    auto r = apply_async(std::forward<F>(fn), std::forward<A>(args)...);
    return r.take();
  }

  // Python: apply_async(func, args). Schedules fn(args...); never blocks.
  // Throws ValueError("Pool not running"), BrokenProcessPool once broken.
  template <class F, class... A>
    requires std::is_invocable_v<std::decay_t<F>&, std::decay_t<A>...>
  auto apply_async(F&& fn, A&&... args) {
    using R = detail::pool_result_t<F, A...>;
    return apply_async_impl<F, R>(fn, std::tuple<std::decay_t<A>...>(std::forward<A>(args)...),
                                  {}, {});
  }

  // Python: apply_async(func, args, callback=..., error_callback=...). The arguments come as
  // a tuple here; callback(value) / error_callback(exception) run on the result-handler
  // thread (see the header comment). Never blocks. Throws like apply_async above.
  template <class F, class... A, class R = detail::pool_result_t<F, A...>>
  AsyncResult<R> apply_async(F&& fn, std::tuple<A...> args,
                             typename detail::PoolCallbackFor<R>::type callback,
                             std::function<void(std::exception_ptr)> error_callback = {}) {
    return apply_async_impl<F, R>(fn, std::move(args), std::move(callback),
                                  std::move(error_callback));
  }

  // Python: map(func, iterable, chunksize). fn over every item (any input range), in tasks
  // of chunksize items (default: len / (4 * processes), rounded up, as Python); the results
  // in input order. If tasks raise, the first exception to arrive is rethrown once all tasks
  // finished. Blocks until then · yields a green thread · thread-safe · throws as apply,
  // plus ValueError("Chunksize must be 1+, not 0") · no timeout (use map_async).
  template <class F, class Rg>
    requires std::ranges::input_range<const Rg>
  auto map(F&& fn, const Rg& xs, std::optional<std::size_t> chunksize = std::nullopt) {
    detail::check_not_pool_handler(core_id(), "Pool::map");
    auto r = map_async(std::forward<F>(fn), xs, chunksize);
    return r.take();
  }

  // Python: map_async(func, iterable, chunksize, callback, error_callback). Never blocks.
  // callback gets the whole result vector; error_callback the first exception.
  template <class F, class Rg, class X = std::ranges::range_value_t<const Rg>,
            class R = detail::pool_result_t<F, X>>
    requires std::ranges::input_range<const Rg>
  AsyncResult<std::vector<R>> map_async(
      F&& fn, const Rg& xs, std::optional<std::size_t> chunksize = std::nullopt,
      std::type_identity_t<std::function<void(const std::vector<R>&)>> callback = {},
      std::function<void(std::exception_ptr)> error_callback = {}) {
    detail::check_pool_function<F>();
    using Fp = decltype(+fn);
    static_assert(!std::is_void_v<R>, "Pool::map: the function must return a value");
    std::vector<X> items(std::ranges::begin(xs), std::ranges::end(xs));
    return map_impl<R, X>(reinterpret_cast<std::uint64_t>(&detail::pool_invoke_chunk<Fp, R, X>),
                          reinterpret_cast<std::uint64_t>(+fn), std::move(items), chunksize,
                          std::move(callback), std::move(error_callback));
  }

  // Python: starmap(func, iterable, chunksize). Like map, but every item is a tuple-like
  // (std::tuple, std::pair, std::array) unpacked into fn's arguments.
  template <class F, class Rg>
    requires std::ranges::input_range<const Rg>
  auto starmap(F&& fn, const Rg& xs, std::optional<std::size_t> chunksize = std::nullopt) {
    detail::check_not_pool_handler(core_id(), "Pool::starmap");
    auto r = starmap_async(std::forward<F>(fn), xs, chunksize);
    return r.take();
  }

  // Python: starmap_async(func, iterable, chunksize, callback, error_callback).
  template <class F, class Rg, class X = std::ranges::range_value_t<const Rg>,
            class R = std::remove_cvref_t<decltype(std::apply(std::declval<std::decay_t<F>&>(),
                                                              std::declval<X>()))>>
    requires std::ranges::input_range<const Rg>
  AsyncResult<std::vector<R>> starmap_async(
      F&& fn, const Rg& xs, std::optional<std::size_t> chunksize = std::nullopt,
      std::type_identity_t<std::function<void(const std::vector<R>&)>> callback = {},
      std::function<void(std::exception_ptr)> error_callback = {}) {
    detail::check_pool_function<F>();
    using Fp = decltype(+fn);
    static_assert(!std::is_void_v<R>, "Pool::starmap: the function must return a value");
    std::vector<X> items(std::ranges::begin(xs), std::ranges::end(xs));
    return map_impl<R, X>(
        reinterpret_cast<std::uint64_t>(&detail::pool_invoke_starchunk<Fp, R, X>),
        reinterpret_cast<std::uint64_t>(+fn), std::move(items), chunksize, std::move(callback),
        std::move(error_callback));
  }

  // Python: imap(func, iterable, chunksize=1). Never blocks; results come from the
  // iterator's next() in input order. Throws ValueError("Pool not running"),
  // ValueError("Chunksize must be 1+, not 0"), BrokenProcessPool.
  template <class F, class Rg, class X = std::ranges::range_value_t<const Rg>,
            class R = detail::pool_result_t<F, X>>
    requires std::ranges::input_range<const Rg>
  IMapIterator<R> imap(F&& fn, const Rg& xs, std::size_t chunksize = 1) {
    return imap_impl<F, X, R>(fn, xs, chunksize, true);
  }

  // Python: imap_unordered(func, iterable, chunksize=1): as imap, results in completion order.
  template <class F, class Rg, class X = std::ranges::range_value_t<const Rg>,
            class R = detail::pool_result_t<F, X>>
    requires std::ranges::input_range<const Rg>
  IMapIterator<R> imap_unordered(F&& fn, const Rg& xs, std::size_t chunksize = 1) {
    return imap_impl<F, X, R>(fn, xs, chunksize, false);
  }

  // Python: close(). No new tasks are accepted; the workers exit once every queued task is
  // done. Never blocks. Idempotent.
  void close();

  // Python: terminate(). Stops the workers at once (SIGTERM; SIGKILL after 5 s) without
  // finishing queued or running tasks; their results fail with CancelledError.
  // Blocks until the workers are reaped (returns at once when called from the pool's own
  // callback: the result-handler thread finishes the job after the callback) · does not
  // yield a green thread · thread-safe · never throws. Idempotent.
  void terminate() noexcept;

  // Python: join(). Waits for the workers to exit after close() or terminate().
  // Blocks until then or the timeout · yields a green thread (parking interface) ·
  // thread-safe · throws ValueError("Pool is still running") before close/terminate,
  // RuntimeError from the pool's own callback · returns whether the pool finished (Python
  // returns None and has no timeout).
  bool join(Timeout timeout = {});

  // The pool size (Python: _processes).
  [[nodiscard]] int processes() const noexcept { return processes_; }
  // The pids of the live workers, in no particular order (Python: [p.pid for p in _pool]).
  [[nodiscard]] std::vector<pid_t> worker_pids() const;
  // Python: repr(pool), e.g. "<triad::process::Pool state=RUN pool_size=4>".
  [[nodiscard]] std::string repr() const;

 private:
  struct Core;
  const void* core_id() const noexcept { return core_.get(); }

  template <class F, class R, class Tuple>
  AsyncResult<R> apply_async_impl(F& fn, Tuple args, typename detail::PoolCallbackFor<R>::type cb,
                                  std::function<void(std::exception_ptr)> ecb);
  template <class R, class X>
  AsyncResult<std::vector<R>> map_impl(std::uint64_t invoker, std::uint64_t fn,
                                       std::vector<X> items, std::optional<std::size_t> chunksize,
                                       std::function<void(const std::vector<R>&)> cb,
                                       std::function<void(std::exception_ptr)> ecb);
  template <class F, class X, class R, class Rg>
  IMapIterator<R> imap_impl(F& fn, const Rg& xs, std::size_t chunksize, bool ordered);

  template <class X>
  static std::vector<detail::PoolTask> make_chunks(std::uint64_t invoker, std::uint64_t fn,
                                                   const std::vector<X>& items,
                                                   std::size_t chunksize) {
    std::vector<detail::PoolTask> tasks;
    for (std::size_t i = 0; i < items.size(); i += chunksize) {
      detail::PoolTask t;
      t.invoker = invoker;
      t.fn = fn;
      const auto b = items.begin() + static_cast<std::ptrdiff_t>(i);
      const auto e = items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), i + chunksize));
      detail::encode(t.args, std::vector<X>(b, e));
      tasks.push_back(std::move(t));
    }
    return tasks;
  }

  // Python's default chunksize, or the given one (ValueError for 0).
  std::size_t chunksize_for(std::size_t n, std::optional<std::size_t> chunksize) const;
  // Queues the tasks (all or none). Throws ValueError("Pool not running"), BrokenProcessPool.
  void submit(std::vector<detail::PoolTask> tasks, std::vector<detail::PoolCompletion> dones);

  int processes_;
  std::unique_ptr<Core> core_;
};

// ---- implementation of the templates ----

template <class F, class R, class Tuple>
AsyncResult<R> Pool::apply_async_impl(F& fn, Tuple args,
                                      typename detail::PoolCallbackFor<R>::type cb,
                                      std::function<void(std::exception_ptr)> ecb) {
  detail::check_pool_function<F>();
  using Fp = decltype(+fn);
  static_assert(std::is_void_v<R> || detail::is_sendable_v<R>,
                "Pool: the result type must be serializable with cereal");
  detail::PoolTask t;
  t.invoker = [&]<class... A>(std::tuple<A...>*) {
    return reinterpret_cast<std::uint64_t>(&detail::pool_invoke<Fp, R, A...>);
  }(static_cast<Tuple*>(nullptr));
  t.fn = reinterpret_cast<std::uint64_t>(+fn);
  detail::encode(t.args, args);
  auto st = std::make_shared<detail::PoolResultState<R>>();
  AsyncResult<R> result(st, core_id());
  std::vector<detail::PoolTask> tasks;
  tasks.push_back(std::move(t));
  std::vector<detail::PoolCompletion> dones;
  dones.push_back([st, cb = std::move(cb), ecb = std::move(ecb)](
                      std::string* payload, const detail::PoolError* e) {
    std::optional<detail::PoolError> failed;
    if (e) failed = *e;
    if constexpr (std::is_void_v<R>) {
      detail::pool_finish(*st, static_cast<char*>(nullptr), failed ? &*failed : nullptr, cb, ecb);
    } else {
      std::optional<R> value;
      if (!failed) {
        try {
          value.emplace(detail::decode<R>(payload->data(), payload->size()));
        } catch (...) {
          failed = detail::pool_error_from_current();
        }
      }
      detail::pool_finish(*st, value ? &*value : nullptr, failed ? &*failed : nullptr, cb, ecb);
    }
  });
  submit(std::move(tasks), std::move(dones));
  return result;
}

template <class R, class X>
AsyncResult<std::vector<R>> Pool::map_impl(std::uint64_t invoker, std::uint64_t fn,
                                           std::vector<X> items,
                                           std::optional<std::size_t> chunksize,
                                           std::function<void(const std::vector<R>&)> cb,
                                           std::function<void(std::exception_ptr)> ecb) {
  const std::size_t cs = chunksize_for(items.size(), chunksize);
  auto st = std::make_shared<detail::PoolMapState<R>>();
  st->values.resize(items.size());
  st->chunksize = cs;
  st->callback = std::move(cb);
  st->error_callback = std::move(ecb);
  AsyncResult<std::vector<R>> result(st->result, core_id());
  auto tasks = make_chunks(invoker, fn, items, cs);
  st->left = tasks.size();
  if (tasks.empty()) {
    submit({}, {});  // raises if the pool is not running
    st->finish();
    return result;
  }
  std::vector<detail::PoolCompletion> dones;
  for (std::size_t i = 0; i < tasks.size(); ++i)
    dones.push_back([st, i](std::string* payload, const detail::PoolError* e) { st->on_chunk(i, payload, e); });
  submit(std::move(tasks), std::move(dones));
  return result;
}

template <class F, class X, class R, class Rg>
IMapIterator<R> Pool::imap_impl(F& fn, const Rg& xs, std::size_t chunksize, bool ordered) {
  detail::check_pool_function<F>();
  using Fp = decltype(+fn);
  static_assert(!std::is_void_v<R>, "Pool::imap: the function must return a value");
  if (chunksize < 1) throw ValueError("Chunksize must be 1+, not 0");
  std::vector<X> items(std::ranges::begin(xs), std::ranges::end(xs));
  auto tasks = make_chunks(reinterpret_cast<std::uint64_t>(&detail::pool_invoke_chunk<Fp, R, X>),
                           reinterpret_cast<std::uint64_t>(+fn), items, chunksize);
  IMapIterator<R> it;
  it.owner_ = core_id();
  it.chunks_left_ = tasks.size();
  std::vector<detail::PoolCompletion> dones;
  if (ordered) {
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      auto st = std::make_shared<detail::PoolResultState<std::vector<R>>>();
      it.ordered_.push_back(st);
      dones.push_back([st](std::string* payload, const detail::PoolError* e) {
        std::optional<detail::PoolError> failed;
        if (e) failed = *e;
        std::vector<R> values;
        if (!failed) {
          try {
            values = detail::decode<std::vector<R>>(payload->data(), payload->size());
          } catch (...) {
            failed = detail::pool_error_from_current();
          }
        }
        const std::function<void(const std::vector<R>&)> none;
        const std::function<void(std::exception_ptr)> no_error;
        detail::pool_finish(*st, &values, failed ? &*failed : nullptr, none, no_error);
      });
    }
  } else {
    it.unordered_ = std::make_shared<triad::Queue<typename IMapIterator<R>::Chunk>>();
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      dones.push_back([q = it.unordered_](std::string* payload, const detail::PoolError* e) {
        std::optional<detail::PoolError> failed;
        if (e) failed = *e;
        std::vector<R> values;
        if (!failed) {
          try {
            values = detail::decode<std::vector<R>>(payload->data(), payload->size());
          } catch (...) {
            failed = detail::pool_error_from_current();
          }
        }
        q->put(typename IMapIterator<R>::Chunk(std::move(values), std::move(failed)));
      });
    }
  }
  submit(std::move(tasks), std::move(dones));
  return it;
}

}  // namespace triad::process
