// mmap'd green-thread stacks with guard pages, pooled per OS thread (implementation detail).
#pragma once

#include <cstddef>
#include <cstdint>

namespace triad::green::detail {

struct StackBlock {
  std::uintptr_t guard_lo = 0;  // start of the mapping (the guard page, if any)
  std::uintptr_t lo = 0;        // lowest usable address
  std::uintptr_t hi = 0;        // one past the highest usable address (initial stack pointer)
};

[[nodiscard]] std::size_t page_size() noexcept;
// Rounds a requested stack size to whole pages (>= the minimum).
[[nodiscard]] std::size_t round_stack_size(std::size_t bytes) noexcept;
// A stack with `usable` bytes (already rounded), from the calling thread's pool or a new
// mapping. Throws RuntimeError with an actionable message when the kernel refuses.
StackBlock acquire_stack(std::size_t usable);
// Returns a stack to the calling thread's pool (or unmaps it). Never throws.
void release_stack(const StackBlock& s) noexcept;
// Installs the stack-overflow reporter (SIGSEGV on an alternate stack) for the calling thread.
void ensure_overflow_handler() noexcept;

}  // namespace triad::green::detail
