// Helpers shared by the queue tests.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <thread>
#include <utility>

#include "triad/core/parking.hpp"

namespace triad::queue_test {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

// Iteration counts for stress tests: full size normally, a tenth under sanitizers.
inline constexpr std::size_t scaled(std::size_t n) {
  return kSanitized ? n / 10 : n;
}

// Upper bound for "returned promptly" checks: generous, the machine is a noisy shared VM.
inline constexpr auto kPrompt = std::chrono::seconds(10);

// An item whose copy / move operations throw while `fail_copy` / `fail_move` is set
// (Python's test_queue FailingQueue fails inside the queue's _put/_get; in C++ the element
// operations are what can fail).
struct Fragile {
  static inline std::atomic<bool> fail_copy{false};
  static inline std::atomic<bool> fail_move{false};
  int value = 0;

  explicit Fragile(int v) : value(v) {}
  Fragile(const Fragile& o) : value(o.value) { check(fail_copy); }
  Fragile(Fragile&& o) noexcept(false) : value(o.value) {
    check(fail_move);
    o.value = -1;
  }
  Fragile& operator=(const Fragile& o) {
    check(fail_copy);
    value = o.value;
    return *this;
  }
  Fragile& operator=(Fragile&& o) noexcept(false) {
    check(fail_move);
    value = o.value;
    o.value = -1;
    return *this;
  }
  ~Fragile() = default;
  friend bool operator<(const Fragile& a, const Fragile& b) { return a.value < b.value; }

 private:
  static void check(const std::atomic<bool>& flag) {
    if (flag.load(std::memory_order_relaxed)) throw std::runtime_error("Fragile: failed");
  }
};

// Nothrow-movable, but copies fail while Fragile::fail_copy is set: handed straight to a
// parked getter's slot, so a failing copy exercises the hand-off's failure path.
struct CopyFragile {
  int value = 0;
  explicit CopyFragile(int v) : value(v) {}
  CopyFragile(const CopyFragile& o) : value(o.value) {
    if (Fragile::fail_copy.load(std::memory_order_relaxed)) {
      throw std::runtime_error("CopyFragile: failed");
    }
  }
  CopyFragile(CopyFragile&& o) noexcept : value(o.value) {}
  CopyFragile& operator=(const CopyFragile&) = default;
  CopyFragile& operator=(CopyFragile&&) noexcept = default;
  ~CopyFragile() = default;
  friend bool operator<(const CopyFragile& a, const CopyFragile& b) { return a.value < b.value; }
};

// Makes Fragile's copies (and moves, if asked) fail for its lifetime.
struct FailGuard {
  explicit FailGuard(bool moves_too = true) {
    Fragile::fail_copy = true;
    Fragile::fail_move = moves_too;
  }
  FailGuard(const FailGuard&) = delete;
  FailGuard& operator=(const FailGuard&) = delete;
  ~FailGuard() {
    Fragile::fail_copy = false;
    Fragile::fail_move = false;
  }
};

// A parking context that counts parks and forwards to the OS-thread context: proves that a
// queue blocks only through the parking interface (what green threads rely on).
class CountingContext final : public ParkingContext {
 public:
  ParkResult park(WaitNode& node, Deadline deadline) override {
    parks.fetch_add(1, std::memory_order_relaxed);
    return thread_parking_context().park(node, deadline);
  }
  void unpark(WaitNode& node) noexcept override { thread_parking_context().unpark(node); }
  std::atomic<int> parks{0};
};

// Installs a context on the calling thread for its lifetime.
class ScopedContext {
 public:
  explicit ScopedContext(ParkingContext& ctx) : prev_(exchange_parking_context(&ctx)) {}
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;
  ~ScopedContext() {
    exchange_parking_context(prev_ == &thread_parking_context() ? nullptr : prev_);
  }

 private:
  ParkingContext* prev_;
};

}  // namespace triad::queue_test

namespace triad::queue_test {

// Polls cond() (yielding) until it holds or kPrompt passes; returns whether it held. For
// waiting until another thread has parked (CountingContext::parks), never for timing.
template <class Cond>
bool eventually(Cond&& cond) {
  const auto limit = std::chrono::steady_clock::now() + kPrompt;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > limit) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace triad::queue_test
