// Executor: the abstract interface of everything that runs callables asynchronously.
//
// Python: concurrent.futures.Executor (submit, map, shutdown, the `with` block)
//
//   void run(triad::Executor& ex) {
//     triad::Future<int> f = ex.submit([](int a, int b) { return a + b; }, 1, 2);
//     for (int sq : ex.map([](int x) { return x * x; }, std::vector{1, 2, 3})) use(sq);
//     ex.shutdown();                     // or let the concrete executor's destructor do it
//   }
//
// Implementations (ThreadPoolExecutor) override schedule() and shutdown(); submit() and map()
// are written once here on top of them, as in Python.
//
// Thread safety: submit(), map() and shutdown() may be called concurrently from any thread.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <iterator>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "triad/core/error.hpp"
#include "triad/core/timeout.hpp"
#include "triad/futures/future.hpp"

namespace triad {

// Python's keyword arguments of Executor.map(fn, *iterables, timeout=None, chunksize=1).
struct MapOptions {
  // Measured from the map() call (as Python); each result waits at most until then.
  Timeout timeout{};
  // Items per task (>= 1, else ValueError). Python's ThreadPoolExecutor ignores chunksize;
  // triad honours it: a task runs `chunksize` consecutive calls (fewer tasks, same results).
  std::size_t chunksize = 1;
};

template <class V>
class MapResults;

namespace detail {

// What one map task returns: the values of its calls, then the exception that stopped it.
template <class V>
struct MapChunk {
  std::vector<V> values;
  std::exception_ptr error;
};

template <class X>
inline constexpr bool is_map_options_v =
    std::is_same_v<std::remove_cvref_t<X>, MapOptions> ||
    (std::is_convertible_v<X, Timeout> && !std::ranges::range<std::remove_cvref_t<X>>);

template <class... Ts>
struct LastIsOptions : std::false_type {};
template <class T>
struct LastIsOptions<T> : std::bool_constant<is_map_options_v<T>> {};
template <class T, class U, class... Ts>
struct LastIsOptions<T, U, Ts...> : LastIsOptions<U, Ts...> {};

inline MapOptions to_map_options(const MapOptions& o) { return o; }
inline MapOptions to_map_options(Timeout t) { return MapOptions{t, 1}; }

}  // namespace detail

class Executor {
 public:
  Executor() = default;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  virtual ~Executor() = default;

  // Python: submit(fn, *args, **kwargs) -> Future. Schedules std::invoke(fn, args...) with
  // decayed copies of fn and args (move-only ones work; they are invoked as rvalues and
  // destroyed right after the call). Returns a Future of the (decayed) result type.
  // Never blocks (a thread pool may start a worker thread) · thread-safe · throws
  // RuntimeError("cannot schedule new futures after shutdown"), BrokenExecutor subclasses
  // (e.g. BrokenThreadPool), std::bad_alloc.
  template <class F, class... Args>
  auto submit(F&& fn, Args&&... args) {
    using R = std::remove_cvref_t<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>>;
    auto body = [f = std::decay_t<F>(std::forward<F>(fn)),
                 ... a = std::decay_t<Args>(std::forward<Args>(args))]() mutable -> R {
      return std::invoke(std::move(f), std::move(a)...);
    };
    auto* task = new detail::TaskState<R, decltype(body)>(std::move(body));
    Future<R> fut = Future<R>::adopt(task);  // the task's second reference is the queue's
    try {
      schedule(*task);
    } catch (...) {
      task->release();
      throw;
    }
    return fut;
  }

  // Python: map(fn, *iterables, timeout=None, chunksize=1).
  //   ex.map(fn, xs)                        ex.map(fn, xs, ys)       (zip: stops at the shortest)
  //   ex.map(fn, xs, 2s)                    ex.map(fn, xs, MapOptions{.timeout = 2s, .chunksize = 8})
  // Submits every call at once (copies of the elements; fn is copied per task) and returns
  // a MapResults: the results lazily, in input order. Each step blocks until that result is
  // ready; TimeoutError once the deadline (from this call) has passed; a call that raised
  // re-raises at its position. After an exception the remaining calls are cancelled and the
  // iteration ends; destroying the MapResults early cancels the calls not yet started.
  // A function returning void yields std::monostate values.
  // Throws like submit(); ValueError("chunksize must be >= 1.").
  template <class F, class... Rest>
  auto map(F&& fn, Rest&&... rest) {
    auto all = std::forward_as_tuple(std::forward<Rest>(rest)...);
    if constexpr (detail::LastIsOptions<Rest...>::value) {
      constexpr std::size_t n = sizeof...(Rest) - 1;
      return map_ranges(fn, detail::to_map_options(std::get<n>(all)), all,
                        std::make_index_sequence<n>{});
    } else {
      return map_ranges(fn, MapOptions{}, all, std::make_index_sequence<sizeof...(Rest)>{});
    }
  }

  // Python: shutdown(wait=True, *, cancel_futures=False). See the implementation's docs.
  virtual void shutdown(bool wait = true, bool cancel_futures = false) = 0;

 protected:
  // Queues `task` (whose execute() runs it). On success the executor owns one reference (it
  // calls execute(), then publish_from_running() unless skipped, then release()). On an
  // exception nothing was taken.
  virtual void schedule(detail::FutureStateBase& task) = 0;

 private:
  template <class F, class Tuple, std::size_t... I>
  auto map_ranges(F& fn, MapOptions opts, Tuple& all, std::index_sequence<I...>);
};

// The lazy results of Executor::map: an input range (iterate once) with next().
template <class V>
class MapResults {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = V;
    using difference_type = std::ptrdiff_t;
    using reference = V&;
    iterator() noexcept = default;
    V& operator*() const { return *owner_->current_; }
    V* operator->() const { return &*owner_->current_; }
    iterator& operator++() {
      owner_->current_ = owner_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
      return it.at_end();
    }

   private:
    friend class MapResults;
    [[nodiscard]] bool at_end() const noexcept { return !owner_ || !owner_->current_; }
    explicit iterator(MapResults* o) noexcept : owner_(o) {}
    MapResults* owner_ = nullptr;
  };

  MapResults(std::vector<Future<detail::MapChunk<V>>> chunks, Deadline deadline) noexcept
      : chunks_(std::move(chunks)), deadline_(deadline) {}
  MapResults(MapResults&&) noexcept = default;
  MapResults& operator=(MapResults&&) = delete;
  MapResults(const MapResults&) = delete;
  MapResults& operator=(const MapResults&) = delete;
  // Cancels the calls that have not started (Python closes the generator the same way).
  ~MapResults() { cancel_from(chunk_); }

  // Blocks for the first result (see next()).
  iterator begin() {
    current_ = next();
    return iterator(this);
  }
  std::default_sentinel_t end() const noexcept { return {}; }

  // Python: next(results). The next result in input order, nullopt at the end.
  // Blocks until it is ready or the deadline · yields a green thread (parking interface) ·
  // not thread-safe (one consumer) · throws TimeoutError past the deadline, the call's own
  // exception, CancelledError if it was cancelled (e.g. by shutdown(cancel_futures=true)).
  std::optional<V> next() {
    while (chunk_ < chunks_.size()) {
      if (!cur_) {
        try {
          Timeout left = deadline_.is_never() ? Timeout() : Timeout(deadline_.remaining());
          cur_ = chunks_[chunk_].take(left);
        } catch (...) {
          cancel_from(chunk_);
          chunk_ = chunks_.size();
          throw;
        }
        item_ = 0;
      }
      if (item_ < cur_->values.size()) return std::move(cur_->values[item_++]);
      if (cur_->error) {
        std::exception_ptr e = cur_->error;
        cancel_from(chunk_ + 1);
        chunk_ = chunks_.size();
        cur_.reset();
        std::rethrow_exception(e);
      }
      cur_.reset();
      ++chunk_;
    }
    return std::nullopt;
  }

 private:
  void cancel_from(std::size_t i) noexcept {
    for (; i < chunks_.size(); ++i) {
      if (chunks_[i].valid()) chunks_[i].cancel();
    }
  }

  std::vector<Future<detail::MapChunk<V>>> chunks_;
  Deadline deadline_;
  std::size_t chunk_ = 0;
  std::size_t item_ = 0;
  std::optional<detail::MapChunk<V>> cur_;
  std::optional<V> current_;
};

template <class F, class Tuple, std::size_t... I>
auto Executor::map_ranges(F& fn, MapOptions opts, Tuple& all, std::index_sequence<I...>) {
  static_assert(sizeof...(I) >= 1, "map() needs at least one iterable");
  using Fn = std::decay_t<F>;
  using ArgTuple = std::tuple<std::ranges::range_value_t<std::remove_cvref_t<
      std::tuple_element_t<I, std::remove_reference_t<Tuple>>>>...>;
  using R = std::invoke_result_t<Fn&, std::tuple_element_t<I, ArgTuple>&&...>;
  using V = std::conditional_t<std::is_void_v<R>, std::monostate, std::remove_cvref_t<R>>;
  if (opts.chunksize < 1) throw ValueError("chunksize must be >= 1.");
  const Deadline deadline = Deadline::after(opts.timeout);

  auto run_chunk = [](Fn&& f, std::vector<ArgTuple>&& items) {
    detail::MapChunk<V> out;
    out.values.reserve(items.size());
    for (auto& args : items) {
      try {
        if constexpr (std::is_void_v<R>) {
          std::apply([&](auto&... a) { std::invoke(f, std::move(a)...); }, args);
          out.values.emplace_back();
        } else {
          out.values.push_back(
              std::apply([&](auto&... a) -> R { return std::invoke(f, std::move(a)...); }, args));
        }
      } catch (...) {
        out.error = std::current_exception();
        break;
      }
    }
    return out;
  };

  std::vector<Future<detail::MapChunk<V>>> chunks;
  auto its = std::make_tuple(std::ranges::begin(std::get<I>(all))...);
  auto ends = std::make_tuple(std::ranges::end(std::get<I>(all))...);
  auto at_end = [&] { return ((std::get<I>(its) == std::get<I>(ends)) || ...); };
  std::vector<ArgTuple> batch;
  try {
    while (!at_end()) {
      batch.emplace_back(*std::get<I>(its)...);
      (++std::get<I>(its), ...);
      if (batch.size() == opts.chunksize || at_end()) {
        chunks.push_back(submit(run_chunk, Fn(fn), std::move(batch)));
        batch = {};
      }
    }
  } catch (...) {
    for (auto& c : chunks) c.cancel();
    throw;
  }
  return MapResults<V>(std::move(chunks), deadline);
}

}  // namespace triad
