// gather: run awaitables concurrently and collect their results (Python: asyncio.gather).
// Python: asyncio.gather.
//
// Python                                          triad::aio
// a, b = await asyncio.gather(f(), g())           auto [a, b] = co_await gather(f(), g());
// rs = await asyncio.gather(*coros)               std::vector<int> rs = co_await gather(std::move(tasks));
// rs = await asyncio.gather(*aws,                 auto rs = co_await gather(return_exceptions, f(), g());
//                           return_exceptions=True)    // each an Outcome<T>: value or exception
//
//   triad::aio::Task<int> square(int x) { co_await triad::aio::sleep(10ms); co_return x * x; }
//   auto [a, b] = co_await triad::aio::gather(square(2), square(3));      // 4, 9
//
// Arguments: Task<T> (scheduled at once with create_task, as Python wraps coroutines),
// TaskHandle<T> or Future<T>. gather() returns a TaskHandle of the gathering task, already
// scheduled: await it (or cancel it, or pass it on). Results keep the argument order; a void
// child gives std::monostate in the variadic form; gather over a vector of void tasks returns
// TaskHandle<void>.
//
// Semantics (Python's): if a child fails (raises or is cancelled) and return_exceptions is not
// given, the gather raises that first exception at once; the other children keep running.
// With return_exceptions every child's outcome is collected. Cancelling the gather cancels
// every child not yet done; the gather then raises CancelledError once they are all done.
// Blocks? suspends only the awaiting task · loop thread only, with a running loop
// (RuntimeError("no running event loop") otherwise) · no timeout (wrap it with wait_for).
#pragma once

#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "triad/aio/detail/multi_wait.hpp"

namespace triad::aio {

// Tag selecting Python's return_exceptions=True.
struct return_exceptions_t {
  explicit constexpr return_exceptions_t() = default;
};
inline constexpr return_exceptions_t return_exceptions{};  // NOLINT

// A child's outcome under return_exceptions: its value, or the exception it raised (a
// CancelledError if it was cancelled).
template <class T>
class Outcome {
 public:
  explicit Outcome(std::exception_ptr e) : v_(std::move(e)) {}
  template <class U>
  explicit Outcome(std::in_place_t, U&& v) : v_(std::in_place_index<0>, std::forward<U>(v)) {}
  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  [[nodiscard]] bool has_exception() const noexcept { return v_.index() == 1; }
  // The value; rethrows the exception if there is one.
  T& value() {
    if (has_exception()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(v_);
  }
  [[nodiscard]] std::exception_ptr exception() const noexcept {
    return has_exception() ? std::get<1>(v_) : nullptr;
  }

 private:
  std::variant<T, std::exception_ptr> v_;
};
template <>
class Outcome<void> {
 public:
  Outcome() = default;
  explicit Outcome(std::exception_ptr e) : e_(std::move(e)) {}
  [[nodiscard]] bool has_value() const noexcept { return !e_; }
  [[nodiscard]] bool has_exception() const noexcept { return static_cast<bool>(e_); }
  void value() const {
    if (e_) std::rethrow_exception(e_);
  }
  [[nodiscard]] std::exception_ptr exception() const noexcept { return e_; }

 private:
  std::exception_ptr e_;
};

namespace detail {

template <class T>
using gathered_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class H>
auto take_result(H& h) {
  using T = typename H::value_type;
  if constexpr (std::is_void_v<T>) {
    h.result();
    return std::monostate{};
  } else {
    return T(std::move(h.result()));
  }
}

template <class H>
auto take_outcome(H& h) {
  using T = typename H::value_type;
  FutureCore* c = h.core_ptr();
  c->exc_retrieved_ = true;
  if (c->exc_) return Outcome<T>(c->exc_);
  if constexpr (std::is_void_v<T>) {
    return Outcome<void>();
  } else {
    return Outcome<T>(std::in_place, std::move(h.result()));
  }
}

[[noreturn]] inline void rethrow_failure(FutureCore* c) {
  c->exc_retrieved_ = true;
  std::rethrow_exception(c->exc_);
}

template <class... H>
Task<std::tuple<gathered_t<typename H::value_type>...>> gather_tuple(H... hs) {
  MultiWait w({hs.core_ptr()...}, WaitMode::gather, true);
  co_await w;
  if (FutureCore* f = w.first_failure()) rethrow_failure(f);
  co_return std::tuple<gathered_t<typename H::value_type>...>(take_result(hs)...);
}

template <class... H>
Task<std::tuple<Outcome<typename H::value_type>...>> gather_outcomes(H... hs) {
  MultiWait w({hs.core_ptr()...}, WaitMode::gather_all, true);
  co_await w;
  co_return std::tuple<Outcome<typename H::value_type>...>(take_outcome(hs)...);
}

template <class H>
std::vector<FutureCore*> cores_of(const std::vector<H>& hs) {
  std::vector<FutureCore*> cores;
  cores.reserve(hs.size());
  for (const H& h : hs) cores.push_back(h.core_ptr());
  return cores;
}

template <class H>
auto gather_vector(std::vector<H> hs)
    -> Task<std::conditional_t<std::is_void_v<typename H::value_type>, void,
                               std::vector<gathered_t<typename H::value_type>>>> {
  using T = typename H::value_type;
  MultiWait w(cores_of(hs), WaitMode::gather, true);
  co_await w;
  if (FutureCore* f = w.first_failure()) rethrow_failure(f);
  if constexpr (std::is_void_v<T>) {
    co_return;
  } else {
    std::vector<T> out;
    out.reserve(hs.size());
    for (H& h : hs) out.push_back(T(std::move(h.result())));
    co_return out;
  }
}

template <class H>
Task<std::vector<Outcome<typename H::value_type>>> gather_vector_outcomes(std::vector<H> hs) {
  MultiWait w(cores_of(hs), WaitMode::gather_all, true);
  co_await w;
  std::vector<Outcome<typename H::value_type>> out;
  out.reserve(hs.size());
  for (H& h : hs) out.push_back(take_outcome(h));
  co_return out;
}

template <class A>
std::vector<handle_of_t<A>> ensure_all(std::vector<A>&& aws) {
  std::vector<handle_of_t<A>> hs;
  hs.reserve(aws.size());
  for (A& a : aws) hs.push_back(ensure_future(std::move(a)));
  return hs;
}

}  // namespace detail

// Python: asyncio.gather(*aws). See the header comment.
// (Children are scheduled in argument order: a braced list fixes the evaluation order.)
template <class... A>
  requires(sizeof...(A) > 0)
auto gather(A&&... aws) {
  std::tuple<detail::handle_of_t<A>...> hs{detail::ensure_future(std::forward<A>(aws))...};
  return create_task(std::apply([](auto&... h) { return detail::gather_tuple(h...); }, hs));
}
// Python: asyncio.gather(*aws, return_exceptions=True).
template <class... A>
auto gather(return_exceptions_t, A&&... aws) {
  std::tuple<detail::handle_of_t<A>...> hs{detail::ensure_future(std::forward<A>(aws))...};
  return create_task(std::apply([](auto&... h) { return detail::gather_outcomes(h...); }, hs));
}
// Python: asyncio.gather(*list_of_aws).
template <class A>
auto gather(std::vector<A> aws) {
  return create_task(detail::gather_vector(detail::ensure_all(std::move(aws))));
}
// Python: asyncio.gather(*list_of_aws, return_exceptions=True).
template <class A>
auto gather(return_exceptions_t, std::vector<A> aws) {
  return create_task(detail::gather_vector_outcomes(detail::ensure_all(std::move(aws))));
}

}  // namespace triad::aio
