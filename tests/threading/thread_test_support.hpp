// Helpers shared by the Thread and Timer tests.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "triad/core/error.hpp"
#include "triad/threading/thread.hpp"

namespace triad {
namespace {

// Timers that a test cancels are daemon, so that a failed assertion before the cancel cannot
// keep the test binary alive at exit for an hour (non-daemon timers hold exit, as in Python).
const ThreadOptions kLongDaemon{.daemon = true};

// A one-shot gate for tests (std::latch lives as long as the test; threads only wait on it).
struct Gate {
  std::atomic<bool> open{false};
  void release() {
    open.store(true);
    open.notify_all();
  }
  void wait() const { open.wait(false); }
};

template <class Fn>
std::string expect_runtime_error(Fn&& fn) {
  try {
    fn();
  } catch (const RuntimeError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no RuntimeError";
  return {};
}

}  // namespace
}  // namespace triad
