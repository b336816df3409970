// Coroutine frame allocation for triad::aio (implementation detail).
//
// Every Task<T> frame is allocated here: a per-OS-thread cache of freed frames in 64-byte
// size classes, so creating and finishing a coroutine costs no malloc in steady state (this is
// what makes `co_await` of a coroutine that completes at once cost a few nanoseconds). A frame
// freed on another thread goes to that thread's cache. Each class keeps at most kMaxCached
// frames; the rest go back to operator delete. Under AddressSanitizer the cache is bypassed so
// that use-after-free and leaks of frames are still detected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define TRIAD_AIO_FRAME_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRIAD_AIO_FRAME_POOL 0
#endif
#endif
#ifndef TRIAD_AIO_FRAME_POOL
#define TRIAD_AIO_FRAME_POOL 1
#endif

namespace triad::aio::detail {

inline constexpr std::size_t kFrameGranule = 64;
inline constexpr std::size_t kFrameClasses = 32;  // frames up to 2 KiB are cached
inline constexpr std::uint32_t kMaxCached = 4096;

struct FreeFrame {
  FreeFrame* next;
};

// Trivially destructible so that access needs no TLS guard; the first cached frame registers
// a thread-exit cleaner (register_frame_cache_cleanup) that returns the cache to the heap.
struct FrameCache {
  FreeFrame* heads[kFrameClasses];
  std::uint32_t counts[kFrameClasses];
  std::uint32_t cap;  // 0 until the thread-exit cleaner is registered, then kMaxCached
};
inline thread_local FrameCache tl_frame_cache{};

void register_frame_cache_cleanup() noexcept;

inline void* frame_alloc(std::size_t n) {
#if TRIAD_AIO_FRAME_POOL
  const std::size_t c = (n + kFrameGranule - 1) / kFrameGranule;
  if (c < kFrameClasses) {
    FrameCache& fc = tl_frame_cache;
    if (FreeFrame* f = fc.heads[c]) {
      fc.heads[c] = f->next;
      --fc.counts[c];
      return f;
    }
    return ::operator new(c * kFrameGranule);
  }
#endif
  return ::operator new(n);
}

inline void frame_free(void* p, std::size_t n) noexcept {
#if TRIAD_AIO_FRAME_POOL
  const std::size_t c = (n + kFrameGranule - 1) / kFrameGranule;
  if (c < kFrameClasses) {
    FrameCache& fc = tl_frame_cache;
    if (fc.counts[c] < fc.cap || (fc.cap == 0 && (register_frame_cache_cleanup(), true))) {
      auto* f = static_cast<FreeFrame*>(p);
      f->next = fc.heads[c];
      fc.heads[c] = f;
      ++fc.counts[c];
      return;
    }
    ::operator delete(p);
    return;
  }
#endif
  (void)n;
  ::operator delete(p);
}

}  // namespace triad::aio::detail
