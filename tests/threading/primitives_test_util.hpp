// Helpers for the synchronisation-primitive tests (lock, rlock, condition, semaphore, event,
// barrier, stress): a bunch of std::threads started together, a polling wait on a condition
// with a generous deadline (synchronisation, not a sleep), and sanitizer-aware scaling.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <latch>
#include <thread>
#include <vector>

#include "triad/core/timeout.hpp"

namespace triad::test {

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

// Iteration counts: full in plain builds, a tenth under sanitizers.
constexpr std::size_t scaled(std::size_t n) {
  return kSanitized ? (n / 10 > 0 ? n / 10 : 1) : n;
}

// Waits (yielding) until pred() holds; fails the test after `limit`. For states that another
// thread reaches through the code under test (e.g. "3 threads are waiting at the barrier").
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto deadline = Clock::now() + limit;
  while (!pred()) {
    if (Clock::now() > deadline) {
      ADD_FAILURE() << "condition not reached within " << limit.count() << " ms";
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

// n threads running f(i) (Python's lock_tests.Bunch). All are started before the
// constructor returns (each has entered f, or is about to); join() waits for them all.
class Bunch {
 public:
  Bunch(std::size_t n, std::function<void(std::size_t)> f)
      : started_(static_cast<std::ptrdiff_t>(n)) {
    threads_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      threads_.emplace_back([this, f, i] {
        started_.count_down();
        f(i);
        finished_.fetch_add(1);
      });
    }
    started_.wait();
  }
  Bunch(const Bunch&) = delete;
  Bunch& operator=(const Bunch&) = delete;
  ~Bunch() { join(); }

  [[nodiscard]] std::size_t finished() const { return finished_.load(); }
  void join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::latch started_;
  std::atomic<std::size_t> finished_{0};
  std::vector<std::thread> threads_;
};

// Elapsed-time bounds for a timed wait of `asked`: never early, and not absurdly late on a
// noisy 2-core VM (the upper bound only catches "waited forever").
inline void expect_waited(Clock::duration elapsed, Clock::duration asked) {
  EXPECT_GE(elapsed, asked - std::chrono::milliseconds(1));
  EXPECT_LT(elapsed, asked + std::chrono::seconds(10));
}

}  // namespace triad::test
