#include "triad/process/detail/ring.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <unistd.h>

#include "triad/core/detail/cpu_relax.hpp"
#include "triad/core/detail/futex.hpp"
#include "triad/core/error.hpp"

namespace triad::process::detail {
namespace {

constexpr std::uint32_t kWhole = 1, kFirst = 2, kMiddle = 3, kLast = 4, kAbort = 5, kPad = 6;
constexpr unsigned kByteBits = 40;
constexpr std::uint64_t kByteMask = (std::uint64_t{1} << kByteBits) - 1;
constexpr std::uint64_t kCountMask = (std::uint64_t{1} << (64 - kByteBits)) - 1;
constexpr std::size_t kMaxCapacity = std::size_t{64} << 20;
constexpr auto kCheckInterval = std::chrono::milliseconds(50);

constexpr std::uint64_t pack(std::uint64_t bytes, std::uint64_t count) noexcept {
  return (count << kByteBits) | (bytes & kByteMask);
}
constexpr std::uint64_t bytes_of(std::uint64_t w) noexcept { return w & kByteMask; }
constexpr std::uint64_t count_of(std::uint64_t w) noexcept { return w >> kByteBits; }
constexpr std::size_t round8(std::size_t n) noexcept { return (n + 7) & ~std::size_t{7}; }

// Spins a little before sleeping: a cross-process futex wake costs microseconds, and the
// other side is usually about to publish (none on a single CPU, where spinning only delays it).
template <class Pred>
bool spin_for(Pred pred) noexcept {
  static const int iters = ::sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 200 : 0;
  for (int i = 0; i < iters; ++i) {
    if (pred()) return true;
    triad::detail::cpu_relax();
  }
  return false;
}

Deadline min_deadline(Deadline d, Clock::duration slice) {
  const Deadline s = Deadline::after(slice);
  if (d.is_never() || s.time_point() < d.time_point()) return s;
  return d;
}

// The producer and consumer locks are held for a memcpy: spin for them a little before
// robust_acquire sleeps on the futex (which would cost the holder a wake-up system call).
bool spin_acquire(RobustWord& w) noexcept {
  const std::uint32_t me = current_tid();
  auto attempt = [&] {
    std::uint32_t expected = 0;
    return w.word.load(std::memory_order_relaxed) == 0 &&
           w.word.compare_exchange_strong(expected, me, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  };
  return attempt() || spin_for(attempt);
}

}  // namespace

struct Ring::Header {
  // Producer side.
  alignas(64) RobustWord plock;
  std::atomic<std::uint64_t> commit{0};
  std::uint32_t open_message = 0;  // guarded by plock
  // Consumer side.
  alignas(64) RobustWord clock;
  std::atomic<std::uint64_t> consumed{0};
  std::atomic<std::uint64_t> gets_total{0};
  // Wake-ups.
  alignas(64) std::atomic<std::uint32_t> data_seq{0};
  std::atomic<std::uint32_t> consumers_waiting{0};
  alignas(64) std::atomic<std::uint32_t> space_seq{0};
  std::atomic<std::uint32_t> producers_waiting{0};
  // JoinableQueue.
  alignas(64) std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint32_t> join_seq{0};
  std::atomic<std::uint32_t> joiners{0};
};

Ring::Ring(std::size_t maxsize, std::size_t capacity) : maxsize_(maxsize) {
  if (maxsize >= (std::size_t{1} << 23))
    throw ValueError("maxsize must be below 8388608 for a process queue");
  if (capacity > kMaxCapacity) throw ValueError("buffer_size must be at most 64 MiB");
  cap_ = 4096;
  while (cap_ < capacity) cap_ <<= 1;
  max_whole_ = cap_ / 4;
  const std::size_t header = (sizeof(Header) + 63) & ~std::size_t{63};
  h_ = make_shared_object<Header>(seg_, header - sizeof(Header) + cap_);
  data_ = static_cast<char*>(seg_.data()) + header;
}

// ---------------------------------------------------------------- producer side

bool Ring::lock_producer(bool block, Deadline d) {
  for (;;) {
    if (block && spin_acquire(h_->plock)) break;
    const auto r = robust_acquire(h_->plock, block, d);
    if (r == AcquireResult::acquired) break;
    if (r == AcquireResult::timed_out) return false;
    // abandoned: the dead producer's claim was cleared; take the lock for real.
  }
  const std::uint64_t c = h_->commit.load(std::memory_order_relaxed);
  ptail_ = bytes_of(c);
  pcount_ = count_of(c);
  if (h_->open_message) write_abort();  // the previous holder died in the middle of a message
  return true;
}

void Ring::release_producer() noexcept { robust_release(h_->plock); }

bool Ring::wait_items(bool block, Deadline d) {
  auto queued = [&] { return (pcount_ - count_of(phead_)) & kCountMask; };
  for (;;) {
    if (queued() < maxsize_) return true;
    phead_ = h_->consumed.load(std::memory_order_acquire);
    if (queued() < maxsize_) return true;
    if (!block || d.expired()) return false;
    const std::uint32_t key = h_->space_seq.load(std::memory_order_seq_cst);
    h_->producers_waiting.store(1, std::memory_order_seq_cst);
    phead_ = h_->consumed.load(std::memory_order_seq_cst);
    if (queued() >= maxsize_) triad::detail::futex_wait_shared(h_->space_seq, key, d);
  }
}

bool Ring::reserve(std::size_t fs, bool block, Deadline d) {
  const std::size_t pos = static_cast<std::size_t>(ptail_) & (cap_ - 1);
  const std::size_t pad = (pos + fs > cap_) ? cap_ - pos : 0;
  const std::size_t need = pad + fs + 8;  // always keep room for an ABORT frame
  auto free_bytes = [&] {
    return cap_ - static_cast<std::size_t>((ptail_ - bytes_of(phead_)) & kByteMask);
  };
  for (;;) {
    if (free_bytes() >= need) break;
    phead_ = h_->consumed.load(std::memory_order_acquire);
    if (free_bytes() >= need) break;
    if (!block || d.expired()) return false;
    if (spin_for([&] {
          phead_ = h_->consumed.load(std::memory_order_acquire);
          return free_bytes() >= need;
        }))
      break;
    const std::uint32_t key = h_->space_seq.load(std::memory_order_seq_cst);
    h_->producers_waiting.store(1, std::memory_order_seq_cst);
    phead_ = h_->consumed.load(std::memory_order_seq_cst);
    if (free_bytes() < need) triad::detail::futex_wait_shared(h_->space_seq, key, d);
  }
  if (pad) {
    const std::uint32_t hdr[2] = {static_cast<std::uint32_t>(pad - 8), kPad};
    std::memcpy(data_ + pos, hdr, 8);
    ptail_ += pad;
  }
  return true;
}

void Ring::write_frame(std::uint32_t kind, const char* a, std::size_t an, const char* b,
                       std::size_t bn) noexcept {
  const std::size_t pos = static_cast<std::size_t>(ptail_) & (cap_ - 1);
  const std::uint32_t hdr[2] = {static_cast<std::uint32_t>(an + bn), kind};
  char* p = data_ + pos;
  std::memcpy(p, hdr, 8);
  if (an) std::memcpy(p + 8, a, an);
  if (bn) std::memcpy(p + 8 + an, b, bn);
  ptail_ += 8 + round8(an + bn);
}

// Publishing and waking. The waker's store of the commit word must be ordered before its
// load of the sleeper's flag (the sleeper stores the flag, then reloads the commit word).
// On the hot path (a whole message) that ordering comes from the producer lock's release,
// an atomic exchange between the two, which is a full barrier on x86 and keeps a release
// store before a later seq_cst load on ARMv8; elsewhere the store itself is a seq_cst
// exchange.
void Ring::commit(bool counts, bool wake_now) noexcept {
  if (counts) ++pcount_;
  if (wake_now) {
    h_->commit.exchange(pack(ptail_, pcount_), std::memory_order_seq_cst);
    wake_consumer();
  } else {
    h_->commit.store(pack(ptail_, pcount_), std::memory_order_release);
  }
}

// Only the holder of the consumer lock ever sleeps for data, so a flag is enough, and the
// first producer that sees it clears it: one wake-up system call per sleep, not per message.
void Ring::wake_consumer() noexcept {
  if (h_->consumers_waiting.load(std::memory_order_seq_cst) != 0 &&
      h_->consumers_waiting.exchange(0, std::memory_order_seq_cst) != 0) {
    h_->data_seq.fetch_add(1, std::memory_order_seq_cst);
    triad::detail::futex_wake_shared(h_->data_seq, INT_MAX);
  }
}

void Ring::wake_producer() noexcept {
  if (h_->producers_waiting.load(std::memory_order_seq_cst) != 0 &&
      h_->producers_waiting.exchange(0, std::memory_order_seq_cst) != 0) {
    h_->space_seq.fetch_add(1, std::memory_order_seq_cst);
    triad::detail::futex_wake_shared(h_->space_seq, INT_MAX);
  }
}

void Ring::write_abort() noexcept {
  write_frame(kAbort, nullptr, 0, nullptr, 0);
  commit(false, true);
  h_->open_message = 0;
}

bool Ring::put(const char* a, std::size_t an, const char* b, std::size_t bn, bool block,
               Deadline d) {
  if (bn == 0) return put(a, an, block, d);
  if (an == 0) return put(b, bn, block, d);
  const std::size_t fs = 8 + round8(an + bn);
  if (fs > max_whole_) {
    std::string joined;
    joined.reserve(an + bn);
    joined.append(a, an);
    joined.append(b, bn);
    return put(joined.data(), joined.size(), block, d);
  }
  if (!lock_producer(block, d)) return false;
  if (maxsize_ && !wait_items(block, d)) {
    release_producer();
    return false;
  }
  if (!reserve(fs, block, d)) {
    release_producer();
    return false;
  }
  write_frame(kWhole, a, an, b, bn);
  commit(true, false);
  release_producer();
  wake_consumer();
  return true;
}

bool Ring::put(const char* data, std::size_t size, bool block, Deadline d) {
  if (!lock_producer(block, d)) return false;
  if (maxsize_ && !wait_items(block, d)) {
    release_producer();
    return false;
  }
  const std::size_t fs = 8 + round8(size);
  if (fs <= max_whole_) {
    if (!reserve(fs, block, d)) {
      release_producer();
      return false;
    }
    write_frame(kWhole, data, size, nullptr, 0);
    commit(true, false);
    release_producer();
    wake_consumer();
    return true;
  }
  // A large message: chunks of at most a quarter of the ring.
  const std::size_t chunk = max_whole_ - 16;
  if (!block) {
    // Without blocking the whole message must fit now.
    phead_ = h_->consumed.load(std::memory_order_acquire);
    const std::size_t used = static_cast<std::size_t>((ptail_ - bytes_of(phead_)) & kByteMask);
    const std::size_t chunks = (size + chunk - 1) / chunk;
    if (size + chunks * 16 + max_whole_ + 8 > cap_ - used) {
      release_producer();
      return false;
    }
  }
  std::size_t off = 0;
  const std::uint64_t total = size;
  while (off < size) {
    const std::size_t take = std::min(chunk, size - off);
    const bool first = off == 0;
    const bool last = off + take == size;
    const std::size_t flen = (first ? 8 : 0) + take;
    if (!reserve(8 + round8(flen), true, d)) {
      if (!first) write_abort();
      release_producer();
      return false;
    }
    if (first) {
      write_frame(kFirst, reinterpret_cast<const char*>(&total), 8, data, take);
      h_->open_message = 1;
    } else {
      write_frame(last ? kLast : kMiddle, data + off, take, nullptr, 0);
    }
    if (last) h_->open_message = 0;
    commit(last, true);
    off += take;
  }
  release_producer();
  return true;
}

// ---------------------------------------------------------------- consumer side

bool Ring::lock_consumer(bool block, Deadline d, SleepHook hook, void* ctx) {
  for (;;) {
    if (block && spin_acquire(h_->clock)) break;
    if (block && hook) hook(ctx);
    const auto r = robust_acquire(h_->clock, block, d);
    if (r == AcquireResult::acquired) break;
    if (r == AcquireResult::timed_out) return false;
  }
  const std::uint64_t w = h_->consumed.load(std::memory_order_relaxed);
  chead_ = bytes_of(w);
  ccount_ = count_of(w);
  // The cached commit word is a lower bound of the real one, but another consumer may have
  // consumed past it since: then it is behind our head and must be refreshed.
  if (((bytes_of(ctail_) - chead_) & kByteMask) > cap_)
    ctail_ = h_->commit.load(std::memory_order_acquire);
  return true;
}

void Ring::advance(std::size_t bytes, bool counts, bool wake_now) noexcept {
  chead_ = (chead_ + bytes) & kByteMask;
  if (counts) ++ccount_;
  if (wake_now) {
    h_->consumed.exchange(pack(chead_, ccount_), std::memory_order_seq_cst);
    wake_producer();
  } else {
    h_->consumed.store(pack(chead_, ccount_), std::memory_order_release);
  }
}

void Ring::recover_dead_producer() {
  const std::uint32_t owner = robust_owner(h_->plock);
  if (owner == 0 || thread_alive(owner)) return;
  if (lock_producer(false, Deadline::after(std::chrono::nanoseconds(0)))) release_producer();
}

bool Ring::wait_data(bool block, Deadline d, bool assembling, SleepHook hook, void* ctx) {
  auto available = [&] { return ((bytes_of(ctail_) - chead_) & kByteMask) != 0; };
  for (;;) {
    if (available()) return true;
    ctail_ = h_->commit.load(std::memory_order_acquire);
    if (available()) return true;
    if (!assembling && (!block || d.expired())) return false;
    if (spin_for([&] {
          ctail_ = h_->commit.load(std::memory_order_acquire);
          return available();
        }))
      return true;
    if (hook) hook(ctx);
    const std::uint32_t key = h_->data_seq.load(std::memory_order_seq_cst);
    h_->consumers_waiting.store(1, std::memory_order_seq_cst);
    ctail_ = h_->commit.load(std::memory_order_seq_cst);
    bool woken = true;
    if (!available())
      woken = triad::detail::futex_wait_shared(
          h_->data_seq, key, assembling ? min_deadline(Deadline::never(), kCheckInterval) : d);
    if (assembling && !woken) recover_dead_producer();
  }
}

bool Ring::begin_get(View& out, bool block, Deadline d, SleepHook hook, void* ctx) {
  if (!lock_consumer(block, d, hook, ctx)) return false;
  bool assembling = false;
  std::uint64_t expected_total = 0;
  for (;;) {
    if (!wait_data(block, d, assembling, hook, ctx)) {
      robust_release(h_->clock);
      return false;
    }
    const std::size_t pos = static_cast<std::size_t>(chead_) & (cap_ - 1);
    std::uint32_t hdr[2];
    std::memcpy(hdr, data_ + pos, 8);
    const std::size_t len = hdr[0];
    const char* payload = data_ + pos + 8;
    const std::size_t fs = 8 + round8(len);
    switch (hdr[1]) {
      case kPad:
        advance(8 + len, false, true);
        break;
      case kAbort:
        advance(8, false, true);
        assembling = false;
        assembly_.clear();
        break;
      case kWhole:
        assembling = false;
        out = View{payload, len};
        pending_bytes_ = fs;
        pending_counts_ = true;
        return true;
      case kFirst:
        std::memcpy(&expected_total, payload, 8);
        assembly_.clear();
        assembly_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(expected_total, std::uint64_t{1} << 30)));
        assembly_.append(payload + 8, len - 8);
        assembling = true;
        advance(fs, false, true);
        break;
      case kMiddle:
        if (assembling) assembly_.append(payload, len);  // else: an orphan of a dead consumer
        advance(fs, false, true);
        break;
      case kLast:
        // gets_total first: join() must never see the queue empty and every got item done
        // while this one is in flight.
        if (assembling)
          h_->gets_total.store(h_->gets_total.load(std::memory_order_relaxed) + 1,
                               std::memory_order_seq_cst);
        advance(fs, true, true);
        if (assembling) {
          assembly_.append(payload, len);
          out = View{assembly_.data(), assembly_.size()};
          pending_bytes_ = 0;
          pending_counts_ = false;
          return true;
        }
        break;  // the tail of a message a dead consumer was assembling: dropped
      default:
        // Cannot happen unless the shared memory was scribbled on: skip the frame.
        advance(fs, false, true);
        break;
    }
  }
}

void Ring::end_get() noexcept {
  if (pending_bytes_) {
    h_->gets_total.store(h_->gets_total.load(std::memory_order_relaxed) + 1,
                         std::memory_order_release);
    advance(pending_bytes_, pending_counts_, false);
  }
  pending_bytes_ = 0;
  robust_release(h_->clock);
  wake_producer();
}

std::size_t Ring::qsize() const noexcept {
  const std::uint64_t c = h_->commit.load(std::memory_order_acquire);
  const std::uint64_t w = h_->consumed.load(std::memory_order_acquire);
  const std::uint64_t q = (count_of(c) - count_of(w)) & kCountMask;
  return q >= (kCountMask >> 1) ? 0 : static_cast<std::size_t>(q);
}

bool Ring::task_done() noexcept {
  std::uint64_t d = h_->done.load(std::memory_order_relaxed);
  do {
    if (d >= h_->gets_total.load(std::memory_order_acquire)) return false;
  } while (!h_->done.compare_exchange_weak(d, d + 1, std::memory_order_seq_cst));
  if (h_->joiners.load(std::memory_order_seq_cst) > 0) {
    h_->join_seq.fetch_add(1, std::memory_order_seq_cst);
    triad::detail::futex_wake_shared(h_->join_seq, INT_MAX);
  }
  return true;
}

bool Ring::join(Deadline deadline) noexcept {
  for (;;) {
    const std::uint32_t key = h_->join_seq.load(std::memory_order_seq_cst);
    h_->joiners.fetch_add(1, std::memory_order_seq_cst);
    const bool idle = qsize() == 0 && h_->done.load(std::memory_order_seq_cst) ==
                                          h_->gets_total.load(std::memory_order_seq_cst);
    bool woken = true;
    if (!idle) woken = triad::detail::futex_wait_shared(h_->join_seq, key, deadline);
    h_->joiners.fetch_sub(1, std::memory_order_relaxed);
    if (idle) return true;
    if (!woken && deadline.expired()) return false;
  }
}

}  // namespace triad::process::detail
