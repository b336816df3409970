// Timeout: a scoped time limit that raises inside the green thread that created it.
//
// Python: gevent.Timeout (used as `with gevent.Timeout(5): ...`) and gevent.with_timeout.
//
//   using namespace triad::green;
//   try {
//     Timeout t(triad::seconds(0.5));          // starts now (gevent's `with Timeout(0.5):`)
//     slow_call();                              // a switch point past 0.5 s raises
//   } catch (const TimeoutExpired& e) {         // e.what() == "0.5 seconds"
//     ...
//   }
//
// When the time is up, the hub interrupts the owning green thread (the one that constructed
// the Timeout): if it is suspended in sleep(), join(), socket IO, a patched libc call or a
// triad primitive (Lock, Event, Queue, Future...), the exception is raised there at once (the
// primitive forgets the waiter first: see hub.hpp, "Interrupts"). If it is running, or its
// wait was already being woken, the exception is raised at the next switch point — at the
// latest when the Timeout is destroyed (its destructor throws it, unless the scope is already
// unwinding an exception). The exception is TimeoutExpired (Python raises the Timeout
// object itself; C++ throws a copyable exception that names its source, see is_mine()), or
// the exception given to the constructor.
//
// Naming: this is triad::green::Timeout; the duration type of every blocking call is
// triad::Timeout (write `triad::Timeout` inside code that uses both).
//
// Thread safety: a Timeout belongs to the green thread that created it; construct and
// destroy it there. Not copyable or movable.
#pragma once

#include <exception>
#include <string>

#include "triad/core/timeout.hpp"
#include "triad/net/reactor.hpp"

namespace triad::green {

class greenlet;

// What an expired Timeout raises (Python: the gevent.Timeout instance). Not a triad::Error:
// like gevent.Timeout (a BaseException), `catch (const triad::Error&)` does not swallow it.
class TimeoutExpired : public std::exception {
 public:
  TimeoutExpired(const void* source, std::string message)
      : source_(source), message_(std::move(message)) {}
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }
  // The Timeout object that raised it (compare with Timeout::is_mine).
  [[nodiscard]] const void* source() const noexcept { return source_; }

 private:
  const void* source_;
  std::string message_;
};

class Timeout {
 public:
  // Starts a timer of `seconds` for the calling green thread (forever = never fires; zero or
  // negative = fires at the next switch point). `exception`: raise this instead of
  // TimeoutExpired. Creates the thread's hub if needed.
  explicit Timeout(triad::Timeout seconds, std::exception_ptr exception = nullptr);
  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;
  // Cancels the timer. If it fired and the exception has not been raised yet, raises it now
  // (unless an exception is already propagating). See above.
  ~Timeout() noexcept(false);

  // Python: t.cancel(). Stops the timer; a fired-but-undelivered exception is dropped.
  void cancel() noexcept;
  // Python: t.pending — the timer is running.
  [[nodiscard]] bool pending() const noexcept;
  // The timer fired.
  [[nodiscard]] bool expired() const noexcept { return fired_; }
  // True if e was raised by this Timeout (Python: `except Timeout as t: if t is not mine: raise`).
  [[nodiscard]] bool is_mine(const TimeoutExpired& e) const noexcept { return e.source() == this; }
  // "0.5 seconds" — gevent's str(Timeout).
  [[nodiscard]] std::string describe() const;

 private:
  void fire() noexcept;
  greenlet* owner_ = nullptr;
  triad::Timeout seconds_;
  std::exception_ptr exception_;
  std::exception_ptr raised_;  // what fire() injected
  net::TimerHandle timer_;
  bool fired_ = false;
};

}  // namespace triad::green
