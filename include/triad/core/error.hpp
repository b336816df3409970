// triad's exception hierarchy, named after Python's.
//
// Every exception triad throws derives from triad::Error (itself a std::exception), so
// `catch (const triad::Error&)` is the C++ form of catching "anything the concurrency
// library raised". Messages follow Python's wording where Python has one, e.g.
// RuntimeError("cannot schedule new futures after shutdown").
//
// Python                                   triad
// TimeoutError                             triad::TimeoutError
// concurrent.futures.CancelledError        triad::CancelledError
// concurrent.futures.InvalidStateError     triad::InvalidStateError
// concurrent.futures.BrokenExecutor        triad::BrokenExecutor
//   thread.BrokenThreadPool                  triad::BrokenThreadPool
//   process.BrokenProcessPool                triad::BrokenProcessPool
// queue.Full / queue.Empty / queue.ShutDown triad::Full / triad::Empty / triad::ShutDown
// threading.BrokenBarrierError             triad::BrokenBarrierError (a RuntimeError, as in Python)
// RuntimeError / ValueError                triad::RuntimeError / triad::ValueError
// EOFError                                 triad::EOFError
// multiprocessing.AuthenticationError      triad::AuthenticationError
// multiprocessing.pool.RemoteTraceback     triad::RemoteError (type name, message, origin)
// (no Python equivalent)                   triad::AbandonedLockError: a lock's holder died
//
// Thread safety: exception objects are immutable after construction.
#pragma once

#include <stdexcept>
#include <utility>
#include <string>

namespace triad {

// Base of everything triad throws.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
  explicit Error(const char* what) : std::runtime_error(what) {}
};

// Misuse of an API: releasing an unheld lock, starting a thread twice, submitting to an
// executor that was shut down.
class RuntimeError : public Error {
 public:
  using Error::Error;
};

// An argument has the right type but an unacceptable value (e.g. a negative maxsize, one
// task_done() too many, releasing a BoundedSemaphore too many times).
class ValueError : public Error {
 public:
  using Error::Error;
};

// A timed wait expired (Future::result, Executor::map, as_completed, ...).
class TimeoutError : public Error {
 public:
  using Error::Error;
  TimeoutError() : Error("timed out") {}
};

// The awaited operation was cancelled.
class CancelledError : public Error {
 public:
  using Error::Error;
  CancelledError() : Error("cancelled") {}
};

// An operation is not allowed in the object's current state (e.g. setting a finished
// Future's result twice).
class InvalidStateError : public Error {
 public:
  using Error::Error;
};

// An executor can no longer run work (Python: concurrent.futures.BrokenExecutor).
class BrokenExecutor : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

// A ThreadPoolExecutor whose worker initializer threw.
class BrokenThreadPool : public BrokenExecutor {
 public:
  using BrokenExecutor::BrokenExecutor;
};

// A ProcessPoolExecutor one of whose workers died abruptly.
class BrokenProcessPool : public BrokenExecutor {
 public:
  using BrokenExecutor::BrokenExecutor;
};

// Non-blocking or timed put on a full queue.
class Full : public Error {
 public:
  using Error::Error;
  Full() : Error("queue is full") {}
};

// Non-blocking or timed get on an empty queue.
class Empty : public Error {
 public:
  using Error::Error;
  Empty() : Error("queue is empty") {}
};

// put/get on a queue after shutdown() (Python 3.13: queue.ShutDown).
class ShutDown : public Error {
 public:
  using Error::Error;
  ShutDown() : Error("queue has been shut down") {}
};

// A Barrier was aborted or reset, or a wait on it timed out.
class BrokenBarrierError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
  BrokenBarrierError() : RuntimeError("barrier is broken") {}
};

// A key or index that is not there (Python: LookupError), the base of KeyError and IndexError.
class LookupError : public Error {
 public:
  using Error::Error;
};

// A key not in a mapping (Python: KeyError); the message is the key's repr, e.g. 'name'.
class KeyError : public LookupError {
 public:
  using LookupError::LookupError;
};

// A sequence index out of range (Python: IndexError), e.g. "list index out of range".
class IndexError : public LookupError {
 public:
  using LookupError::LookupError;
};

// An attribute that is not set (Python: AttributeError).
class AttributeError : public Error {
 public:
  using Error::Error;
};

// The other end of a connection was closed.
class EOFError : public Error {
 public:
  using Error::Error;
};

// A peer failed the authkey challenge.
class AuthenticationError : public Error {
 public:
  using Error::Error;
};

// A lock's holder died while holding it. The lock is released and usable again; the data it
// guarded may be inconsistent, which is why the acquirer is told.
class AbandonedLockError : public Error {
 public:
  using Error::Error;
};

// An exception raised in another process (or rank) whose type is not registered locally.
class RemoteError : public Error {
 public:
  RemoteError(std::string type_name, std::string message, std::string origin)
      : Error(type_name + ": " + message + " (raised in " + origin + ")"),
        type_name_(std::move(type_name)),
        message_(std::move(message)),
        origin_(std::move(origin)) {}

  // The exception's type as spelled where it was raised, e.g. "std::out_of_range".
  [[nodiscard]] const std::string& type_name() const noexcept { return type_name_; }
  // Its what() text.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  // Where it was raised, e.g. "worker pid 4242".
  [[nodiscard]] const std::string& origin() const noexcept { return origin_; }

 private:
  std::string type_name_;
  std::string message_;
  std::string origin_;
};

}  // namespace triad
