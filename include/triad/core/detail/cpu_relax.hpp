// Busy-wait helpers: a pause instruction, and a backoff that yields the CPU once spinning
// stops paying (the lock holder may have been preempted on a 2-core VM).
#pragma once

#include <sched.h>

namespace triad::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Call in a spin loop with a counter starting at 0.
inline void backoff(unsigned& spins) noexcept {
  if (spins < 64) {
    ++spins;
    cpu_relax();
  } else {
    sched_yield();
  }
}

}  // namespace triad::detail
