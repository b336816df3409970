// The shared-memory message ring under Queue, SimpleQueue and JoinableQueue.
//
// Layout: a header (producer line, consumer line, wait words) and `capacity` bytes of
// frames. A frame is an 8-byte header {u32 length, u32 kind} and the payload padded to 8.
// Producers serialise on a robust producer lock, consumers on a robust consumer lock.
//
// Commit: a producer writes the whole frame, then publishes it with ONE 64-bit store of the
// commit word (bytes written mod 2^40 | messages committed mod 2^24 << 40). A producer killed
// before that store exposes nothing; the next producer (who finds the lock abandoned)
// simply overwrites the bytes. Messages larger than a quarter of the ring travel as FIRST,
// MIDDLE..., LAST chunks, each committed in turn; the message counts only at LAST. A producer
// that dies or times out in the middle leaves `open_message` set (or writes ABORT itself):
// whoever takes the producer lock next (or a consumer that sees the producer is dead) writes
// an ABORT frame, and the consumer discards the partial message. A frame is consumed with
// one store of the consumer word after it was copied or decoded, so a consumer killed
// mid-get loses nothing (except a multi-chunk message it was assembling).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "triad/core/timeout.hpp"
#include "triad/process/detail/shm.hpp"

namespace triad::process::detail {

class Ring {
 public:
  // maxsize: items (0 = no item limit). capacity: bytes of frames (rounded up).
  Ring(std::size_t maxsize, std::size_t capacity);
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Appends one message. Returns false when it could not within the deadline (full by
  // items or bytes), or at once with block=false.
  bool put(const char* data, std::size_t size, bool block, Deadline deadline);
  // The same with the message given in two pieces (a header and a payload), gathered into
  // one frame without an intermediate copy when it fits in one frame.
  bool put(const char* a, std::size_t an, const char* b, std::size_t bn, bool block,
           Deadline deadline);

  // Takes the consumer lock and exposes the next message in `out` (valid until end_get).
  // Returns false (lock not held) if none arrived in time.
  struct View {
    const char* data = nullptr;
    std::size_t size = 0;
  };
  bool begin_get(View& out, bool block, Deadline deadline) {
    return begin_get(out, block, deadline, nullptr, nullptr);
  }
  // The same, calling before_sleep(ctx) each time it is about to sleep (for the consumer
  // lock or for data), e.g. to flush what the caller buffered before it blocks.
  using SleepHook = void (*)(void*);
  bool begin_get(View& out, bool block, Deadline deadline, SleepHook before_sleep, void* ctx);
  // Consumes the message exposed by begin_get and releases the consumer lock.
  void end_get() noexcept;

  [[nodiscard]] std::size_t qsize() const noexcept;
  [[nodiscard]] std::size_t maxsize() const noexcept { return maxsize_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }

  // JoinableQueue: one task done; false if more task_done() than got items.
  bool task_done() noexcept;
  // Waits until every message put was got and task_done; false on timeout.
  bool join(Deadline deadline) noexcept;

  struct Header;

 private:
  bool lock_producer(bool block, Deadline d);
  bool lock_consumer(bool block, Deadline d, SleepHook hook = nullptr, void* ctx = nullptr);
  bool reserve(std::size_t bytes, bool block, Deadline d);
  bool wait_items(bool block, Deadline d);
  void write_frame(std::uint32_t kind, const char* a, std::size_t an, const char* b,
                   std::size_t bn) noexcept;
  void commit(bool counts, bool wake_now) noexcept;
  void write_abort() noexcept;
  void wake_consumer() noexcept;
  void wake_producer() noexcept;
  void release_producer() noexcept;
  void advance(std::size_t bytes, bool counts, bool wake_now) noexcept;
  bool wait_data(bool block, Deadline d, bool assembling, SleepHook hook, void* ctx);
  void recover_dead_producer();

  SharedSegment seg_;
  Header* h_ = nullptr;
  char* data_ = nullptr;
  std::size_t cap_ = 0;
  std::size_t maxsize_ = 0;
  std::size_t max_whole_ = 0;  // largest frame written in one piece

  // Process-local, touched only by the holder of the matching lock.
  std::uint64_t ptail_ = 0;   // producer: bytes written (mod 2^40) incl. uncommitted frames
  std::uint64_t pcount_ = 0;  // producer: messages committed
  std::uint64_t phead_ = 0;   // producer: cached consumer word
  std::uint64_t chead_ = 0;   // consumer: bytes consumed
  std::uint64_t ccount_ = 0;  // consumer: messages consumed
  std::uint64_t ctail_ = 0;   // consumer: cached commit word
  std::size_t pending_bytes_ = 0;
  bool pending_counts_ = false;
  std::string assembly_;
};

}  // namespace triad::process::detail
