// Implementation detail of triad::green: the per-greenlet record shared by greenlet.cpp (stack
// switching) and hub.cpp (parking, ready queue). Not part of the public API.
#pragma once

#include <any>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>

#include <boost/context/fiber.hpp>

#include "triad/core/parking.hpp"

namespace triad::green {
class greenlet;
class Hub;
}  // namespace triad::green

namespace triad::green::detail {

struct MainTag {
  explicit MainTag() = default;
};

// Park states of a green thread (GreenParker::word). A park is claimed exactly once: by the
// unparker (any thread), by its deadline timer, by an IO completion or by an interrupt (kill,
// Timeout, would-block-forever), all on a CAS from kParked to kClaimed.
inline constexpr std::uint32_t kRunning = 0;   // not parked
inline constexpr std::uint32_t kParked = 1;    // switched to the hub, waiting
inline constexpr std::uint32_t kClaimed = 2;   // resumption decided, queued (or about to be)
inline constexpr std::uint32_t kPending = 3;   // an unpark arrived while running (see hub.cpp)

// Why a parked green thread was resumed.
enum class Wake : std::uint8_t { none, unparked, timed_out, io, interrupted };

// The ParkingContext of one green thread (installed while it runs on a thread with a hub).
class GreenParker final : public ParkingContext {
 public:
  explicit GreenParker(greenlet* g) noexcept : owner(g) {}
  ParkResult park(WaitNode& node, Deadline deadline) override;
  void unpark(WaitNode& node) noexcept override;
  // Raises the pending interrupt (kill, Timeout, LoopExit) after park_and_resolve() resolved
  // an interrupted park as a timeout: the primitive's wait raises it (parking.hpp).
  void check_interrupt() override;

  greenlet* owner;
  Hub* hub = nullptr;                      // set when it first parks or is scheduled
  std::atomic<std::uint32_t> word{kRunning};
  Wake wake = Wake::none;
  GreenParker* next = nullptr;             // ready queue / cross-thread inbox link
  bool queued = false;                     // in the hub's ready queue (hub thread only)
  std::exception_ptr interrupt;            // pending exception to raise at the next switch point
  bool interrupt_delivered_to_park = false;  // the current interrupt already ended one park
  std::uint64_t park_seq = 0;              // which park a timer belongs to
  // The current park awaits an unpark already in flight (a re-park after `timed_out`, see
  // parking.hpp): an interrupt must not end it (it is raised at the next switch point).
  bool uninterruptible = false;
  const WaitNode* timed_out_node = nullptr;  // the node of the last park that timed out
};

struct GreenletCore {
  explicit GreenletCore(greenlet* self) noexcept : parker(self) {}

  boost::context::fiber fiber;             // the suspended context (empty while running)
  std::function<std::any(std::any)> run;
  greenlet* parent = nullptr;
  std::string name;
  std::size_t stack_size = 0;              // usable bytes (0 for main)
  bool started = false;
  bool dead = false;
  bool is_main = false;
  bool is_hub = false;
  bool owns_run = true;
  std::uintptr_t thread_key = 0;           // the owning OS thread's state (identity only)
  // Stack bounds: [stack_lo, stack_hi) usable, [guard_lo, stack_lo) guard page.
  std::uintptr_t guard_lo = 0;
  std::uintptr_t stack_lo = 0;
  std::uintptr_t stack_hi = 0;
  // Sanitizer bookkeeping.
  void* asan_fake_stack = nullptr;
  const void* asan_bottom = nullptr;
  std::size_t asan_size = 0;
  void* tsan_fiber = nullptr;
  // Called by the hub (in the hub greenlet) after this greenlet died, off its stack.
  void (*on_dead)(void*) = nullptr;
  void* on_dead_arg = nullptr;
  GreenParker parker;
};

// Per-OS-thread state (defined in greenlet.cpp). In this header only for the inline switch.
struct ThreadState {
  ThreadState();
  ~ThreadState();
  ThreadState(const ThreadState&) = delete;
  ThreadState& operator=(const ThreadState&) = delete;

  greenlet* current = nullptr;          // the running greenlet (main until the first switch)
  greenlet* switching_from = nullptr;   // set by the switcher, read by the resumed side
  std::any transfer_value;              // the value carried by a switch
  std::exception_ptr transfer_exc;      // the exception carried by a switch
  bool hub_active = false;              // a hub exists: green threads use green parking
  Hub* hub = nullptr;                   // this thread's hub, if created
  std::unique_ptr<greenlet> main;       // the thread's main greenlet
  void (*destroy_hub)(Hub*) = nullptr;  // set by the hub: destroys *hub at thread exit
};

// The calling thread's state, or nullptr before first use (initial-exec TLS: one
// %fs-relative load; triad_green is linked into the executable or a startup library).
extern constinit __attribute__((tls_model("initial-exec"))) thread_local ThreadState* t_state;

}  // namespace triad::green::detail
