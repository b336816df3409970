#include "stack_pool.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "thread_state.hpp"
#include "triad/core/error.hpp"
#include "triad/green/greenlet.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define TRIAD_GREEN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRIAD_GREEN_ASAN 1
#endif
#endif

namespace triad::green {
namespace {

constexpr std::size_t kMinStack = 16 * 1024;
constexpr std::size_t kMaxStack = std::size_t{1} << 30;
std::atomic<std::size_t> g_default_stack{64 * 1024};
std::atomic<bool> g_guard{true};

}  // namespace

std::size_t default_stack_size() noexcept { return g_default_stack.load(std::memory_order_relaxed); }

void set_default_stack_size(std::size_t bytes) {
  if (bytes < kMinStack || bytes > kMaxStack) {
    throw ValueError("stack size must be between 16 KiB and 1 GiB, got " + std::to_string(bytes) +
                     " bytes");
  }
  g_default_stack.store(detail::round_stack_size(bytes), std::memory_order_relaxed);
}

void set_stack_guard(bool enabled) noexcept { g_guard.store(enabled, std::memory_order_relaxed); }
bool stack_guard() noexcept { return g_guard.load(std::memory_order_relaxed); }

namespace detail {
namespace {

// Free stacks of one size, guarded or not.
struct FreeList {
  std::size_t usable = 0;
  bool guarded = false;
  std::vector<StackBlock> blocks;
};

constexpr std::size_t kCachePerSize = 1024;

thread_local bool t_pool_gone = false;  // the pool's thread_local was destroyed (thread exit)

struct Pool {
  std::vector<FreeList> lists;
  ~Pool() {
    t_pool_gone = true;
    for (FreeList& l : lists) {
      for (const StackBlock& b : l.blocks) {
        ::munmap(reinterpret_cast<void*>(b.guard_lo), b.hi - b.guard_lo);
      }
    }
  }
  FreeList& list(std::size_t usable, bool guarded) {
    for (FreeList& l : lists) {
      if (l.usable == usable && l.guarded == guarded) return l;
    }
    lists.push_back(FreeList{usable, guarded, {}});
    return lists.back();
  }
};

thread_local Pool t_pool;

}  // namespace

std::size_t page_size() noexcept {
  static const std::size_t p = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return p;
}

std::size_t round_stack_size(std::size_t bytes) noexcept {
  if (bytes < kMinStack) bytes = kMinStack;
  const std::size_t p = page_size();
  return (bytes + p - 1) / p * p;
}

StackBlock acquire_stack(std::size_t usable) {
  const bool guarded = stack_guard();
  FreeList* lp = t_pool_gone ? nullptr : &t_pool.list(usable, guarded);
  if (lp != nullptr && !lp->blocks.empty()) {
    FreeList& l = *lp;
    StackBlock b = l.blocks.back();
    l.blocks.pop_back();
    return b;
  }
  const std::size_t p = page_size();
  // The guard page is always part of the mapping (so a block knows its layout); without
  // guards it stays read-write and adjacent mappings can merge into one kernel mapping.
  const std::size_t total = usable + p;
  void* m = ::mmap(nullptr, total, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (m == MAP_FAILED) {
    const int e = errno;
    throw RuntimeError(std::string("cannot allocate a green thread stack of ") +
                       std::to_string(usable) + " bytes: " + std::strerror(e) +
                       " (too many live green threads? each guarded stack costs two memory "
                       "mappings of vm.max_map_count; raise it, lower the stack size, or call "
                       "triad::green::set_stack_guard(false))");
  }
  StackBlock b;
  b.guard_lo = reinterpret_cast<std::uintptr_t>(m);
  b.lo = b.guard_lo + p;
  b.hi = b.guard_lo + total;
  if (guarded && ::mprotect(m, p, PROT_NONE) != 0) {
    const int e = errno;
    ::munmap(m, total);
    throw RuntimeError(std::string("cannot protect a green thread stack's guard page: ") +
                       std::strerror(e) +
                       " (too many memory mappings: raise vm.max_map_count or call "
                       "triad::green::set_stack_guard(false))");
  }
  if (!guarded) b.guard_lo = b.lo;  // no guard: report no guard range
  if (guarded) ensure_overflow_handler();
  return b;
}

void release_stack(const StackBlock& s) noexcept {
  const bool guarded = s.guard_lo != s.lo;
  const std::size_t p = page_size();
  const std::uintptr_t map_lo = s.lo - p;
  FreeList* l = nullptr;
  if (!t_pool_gone) {
    for (FreeList& f : t_pool.lists) {
      if (f.usable == s.hi - s.lo && f.guarded == guarded) l = &f;
    }
  }
  if (l != nullptr && l->blocks.size() < kCachePerSize) {
    try {
      l->blocks.push_back(s);
      return;
    } catch (...) {
    }
  }
  ::munmap(reinterpret_cast<void*>(map_lo), s.hi - map_lo);
}

// --- stack overflow reports -------------------------------------------------------------

namespace {

struct sigaction g_prev_segv;
std::atomic<bool> g_handler_installed{false};

void write_str(const char* s) noexcept {
  std::size_t n = std::strlen(s);
  while (n > 0) {
    const ssize_t w = ::write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

void write_num(std::size_t v) noexcept {
  char buf[32];
  int i = 31;
  buf[i] = '\0';
  do {
    buf[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && i > 0);
  write_str(buf + i);
}

[[maybe_unused]] void on_segv(int sig, siginfo_t* info, void* uctx) {
  const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  ThreadState* ts = tstate_if_exists();
  greenlet* g = ts != nullptr ? ts->current : nullptr;
  if (g != nullptr && !g->is_main()) {
    const GreenletCore& c = g->core();
    // A fault in the guard page, or just below it (a large frame jumping over it).
    if (c.guard_lo != c.stack_lo && addr < c.stack_lo && addr + 64 * 1024 >= c.guard_lo) {
      write_str("triad::green: stack overflow in green thread '");
      write_str(c.name.c_str());
      write_str("' (stack size ");
      write_num(c.stack_size);
      write_str(" bytes). Give it a larger stack: GreenletOptions{.stack_size = ...} "
                "(spawn_with / greenlet constructor), or raise the default with "
                "triad::green::set_default_stack_size(bytes).\n");
      ::signal(SIGSEGV, SIG_DFL);
      return;  // the faulting instruction runs again and dies with the default action
    }
  }
  // Not ours: chain to the previous handler.
  if ((g_prev_segv.sa_flags & SA_SIGINFO) != 0 && g_prev_segv.sa_sigaction != nullptr) {
    g_prev_segv.sa_sigaction(sig, info, uctx);
    return;
  }
  if (g_prev_segv.sa_handler == SIG_IGN || g_prev_segv.sa_handler == SIG_DFL) {
    ::signal(SIGSEGV, SIG_DFL);
    return;
  }
  g_prev_segv.sa_handler(sig);
}

struct AltStack {
  bool checked = false;
  void* mem = nullptr;
  std::size_t size = 0;
  ~AltStack() {
    if (mem == nullptr) return;
    stack_t ss{};
    ss.ss_flags = SS_DISABLE;
    ::sigaltstack(&ss, nullptr);
    ::munmap(mem, size);
  }
};
thread_local AltStack t_altstack;

}  // namespace

void ensure_overflow_handler() noexcept {
#if defined(TRIAD_GREEN_ASAN)
  return;  // ASan reports stack overflows itself (and owns SIGSEGV and the alternate stack)
#else
  if (!t_altstack.checked) {
    t_altstack.checked = true;
    stack_t old{};
    if (::sigaltstack(nullptr, &old) == 0 && (old.ss_flags & SS_DISABLE) == 0 && old.ss_sp != nullptr) {
      t_altstack.size = 0;  // someone else's alternate stack is in place: keep it
      t_altstack.mem = nullptr;
    } else {
      const std::size_t size = 64 * 1024;
      void* m = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m != MAP_FAILED) {
        stack_t ss{};
        ss.ss_sp = m;
        ss.ss_size = size;
        if (::sigaltstack(&ss, nullptr) == 0) {
          t_altstack.mem = m;
          t_altstack.size = size;
        } else {
          ::munmap(m, size);
        }
      }
    }
  }
  bool expected = false;
  if (!g_handler_installed.compare_exchange_strong(expected, true)) return;
  struct sigaction sa{};
  sa.sa_sigaction = &on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGSEGV, &sa, &g_prev_segv);
#endif
}

}  // namespace detail
}  // namespace triad::green
