// wait() and as_completed(): waiting on several futures at once.
//
// Python: concurrent.futures.wait, concurrent.futures.as_completed,
//         FIRST_COMPLETED / FIRST_EXCEPTION / ALL_COMPLETED
//
//   std::vector<triad::Future<int>> fs = ...;
//   auto [done, not_done] = triad::wait(fs, 5s, triad::FIRST_COMPLETED);
//   for (const triad::Future<int>& f : triad::as_completed(fs, 10s)) use(f.result());
//
// Both accept any range of futures: a std::vector<Future<T>> (homogeneous, you get
// Future<T> back), or a std::vector<FutureBase> / initializer list of FutureBase for futures of
// mixed types (every Future<T> converts to FutureBase). Python takes a set: duplicates in the
// input are ignored (the first occurrence counts), and triad keeps input order in the results.
//
// Cancelled futures count as completed the moment cancel() succeeds (Python only counts a
// cancelled future once its executor noticed, CANCELLED_AND_NOTIFIED; triad's executors
// notice in the same step, so the difference is visible only for hand-made futures).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "triad/core/timeout.hpp"
#include "triad/futures/future.hpp"

namespace triad {

// Python: FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED.
enum class ReturnWhen : std::uint8_t { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;

// Python: DoneAndNotDoneFutures(done, not_done). Structured bindings work:
// auto [done, not_done] = wait(fs).
template <class F>
struct DoneAndNotDone {
  std::vector<F> done;
  std::vector<F> not_done;
};

namespace detail {

// Blocks until `rw` holds for states or the deadline; see wait().
void wait_states(const std::vector<FutureStateBase*>& states, Deadline deadline, ReturnWhen rw);

// Observes a set of futures and hands out their indices in completion order.
class CompletionQueue final : public FutureObserver {
 public:
  CompletionQueue(const std::vector<FutureStateBase*>& states, Deadline deadline);
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;
  ~CompletionQueue();
  // The next index to complete, nullopt once all were handed out; TimeoutError past the
  // deadline ("N (of M) futures unfinished").
  std::optional<std::size_t> next();

  void on_done(FutureStateBase& f, WaitNode& node) noexcept override;

 private:
  std::vector<FutureStateBase*> states_;
  std::unique_ptr<WaitNode[]> nodes_;
  std::vector<bool> registered_;
  std::vector<std::size_t> finished_;  // reserved up front: on_done never allocates
  std::size_t consumed_ = 0;
  Deadline deadline_;
  SpinLock lock_;
  WaitList waiter_;
};

template <class F, class Range>
void unique_futures(const Range& fs, std::vector<F>& out, std::vector<FutureStateBase*>& ptrs) {
  std::unordered_set<FutureStateBase*> seen;
  for (const auto& f : fs) {
    FutureStateBase* s = f.state_ptr();
    if (!s) throw InvalidStateError("Future has no state (default-constructed or moved-from)");
    if (!seen.insert(s).second) continue;
    out.push_back(f);
    ptrs.push_back(s);
  }
}

template <class Range>
using future_of_t = std::remove_cvref_t<std::ranges::range_value_t<Range>>;

}  // namespace detail

// Python: wait(fs, timeout=None, return_when=ALL_COMPLETED).
// Blocks until return_when holds or the timeout · yields a green thread (parking interface) ·
// thread-safe · throws InvalidStateError for an invalid handle, std::bad_alloc · on timeout it
// returns normally (not_done is then non-empty). FIRST_COMPLETED: any future done or
// cancelled; FIRST_EXCEPTION: any future finished by raising (cancellation is not an
// exception), else all; ALL_COMPLETED: all. A zero or negative timeout only sorts.
template <class Range>
  requires std::is_base_of_v<FutureBase, detail::future_of_t<Range>>
DoneAndNotDone<detail::future_of_t<Range>> wait(const Range& fs, Timeout timeout = {},
                                                ReturnWhen return_when = ALL_COMPLETED) {
  using F = detail::future_of_t<Range>;
  const Deadline deadline = Deadline::after(timeout);
  std::vector<F> unique;
  std::vector<detail::FutureStateBase*> ptrs;
  detail::unique_futures(fs, unique, ptrs);
  detail::wait_states(ptrs, deadline, return_when);
  DoneAndNotDone<F> r;
  for (auto& f : unique) (f.done() ? r.done : r.not_done).push_back(std::move(f));
  return r;
}
inline DoneAndNotDone<FutureBase> wait(std::initializer_list<FutureBase> fs, Timeout timeout = {},
                                       ReturnWhen return_when = ALL_COMPLETED) {
  return wait(std::vector<FutureBase>(fs), timeout, return_when);
}

// Python: as_completed(fs, timeout=None): the futures in the order they complete (those done
// already come first). An input range: iterate once with range-for, or call next().
// The deadline is fixed when as_completed() is called. Keep the object alive while iterating;
// destroying it stops observing the futures (they are not cancelled).
template <class F>
class AsCompleted {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = F;
    using difference_type = std::ptrdiff_t;
    using reference = const F&;

    iterator() noexcept = default;
    const F& operator*() const { return *owner_->current_; }
    const F* operator->() const { return &*owner_->current_; }
    // Blocks like next().
    iterator& operator++() {
      owner_->current_ = owner_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
      return it.at_end();
    }

   private:
    friend class AsCompleted;
    [[nodiscard]] bool at_end() const noexcept { return !owner_ || !owner_->current_; }
    explicit iterator(AsCompleted* o) noexcept : owner_(o) {}
    AsCompleted* owner_ = nullptr;
  };

  AsCompleted(std::vector<F> futures, std::vector<detail::FutureStateBase*> ptrs,
              Deadline deadline)
      : futures_(std::move(futures)),
        q_(std::make_unique<detail::CompletionQueue>(ptrs, deadline)) {}

  // Waits for the first future (see next()).
  iterator begin() {
    current_ = next();
    return iterator(this);
  }
  std::default_sentinel_t end() const noexcept { return {}; }

  // The next future to complete; nullopt when every future was returned.
  // Blocks until one completes or the deadline · yields a green thread (parking interface) ·
  // not thread-safe (one consumer) · throws TimeoutError("N (of M) futures unfinished") past
  // the deadline.
  std::optional<F> next() {
    const auto i = q_->next();
    if (!i) return std::nullopt;
    return futures_[*i];
  }

 private:
  std::vector<F> futures_;
  std::unique_ptr<detail::CompletionQueue> q_;
  std::optional<F> current_;
};

template <class Range>
  requires std::is_base_of_v<FutureBase, detail::future_of_t<Range>>
AsCompleted<detail::future_of_t<Range>> as_completed(const Range& fs, Timeout timeout = {}) {
  using F = detail::future_of_t<Range>;
  const Deadline deadline = Deadline::after(timeout);
  std::vector<F> unique;
  std::vector<detail::FutureStateBase*> ptrs;
  detail::unique_futures(fs, unique, ptrs);
  return AsCompleted<F>(std::move(unique), std::move(ptrs), deadline);
}
inline AsCompleted<FutureBase> as_completed(std::initializer_list<FutureBase> fs,
                                            Timeout timeout = {}) {
  return as_completed(std::vector<FutureBase>(fs), timeout);
}

}  // namespace triad
