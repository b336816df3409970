// OS errors of triad::net, named after Python's OSError subclasses.
//
// Python                         triad::net
// OSError                        OSError            what(): "[Errno 111] Connection refused"
//   BlockingIOError              BlockingIOError    EAGAIN/EWOULDBLOCK/EINPROGRESS/EALREADY
//   ConnectionError              ConnectionError
//     BrokenPipeError            BrokenPipeError    EPIPE, ESHUTDOWN
//     ConnectionAbortedError     ConnectionAbortedError  ECONNABORTED
//     ConnectionRefusedError     ConnectionRefusedError  ECONNREFUSED
//     ConnectionResetError       ConnectionResetError    ECONNRESET
//   FileNotFoundError            FileNotFoundError  ENOENT (e.g. an AF_UNIX path)
//   PermissionError              PermissionError    EACCES, EPERM
//   socket.gaierror              gaierror           "[Errno -2] Name or service not known"
// socket.timeout / TimeoutError  triad::TimeoutError("timed out")  (not an OSError in triad)
//
//   try { sock.connect({"127.0.0.1", port}); }
//   catch (const triad::net::ConnectionRefusedError& e) { e.errnum(); /* ECONNREFUSED */ }
//
// Thread safety: exception objects are immutable after construction.
#pragma once

#include <string>

#include "triad/core/error.hpp"

namespace triad::net {

// An error reported by the operating system (Python: OSError). errnum() is Python's
// `e.errno` (errno is a macro in C++), strerror() is `e.strerror`.
class OSError : public triad::Error {
 public:
  // what() = "[Errno <errnum>] <strerror(errnum)>".
  explicit OSError(int errnum);
  // what() = "[Errno <errnum>] <message>".
  OSError(int errnum, const std::string& message);
  [[nodiscard]] int errnum() const noexcept { return errnum_; }
  [[nodiscard]] const std::string& strerror() const noexcept { return strerror_; }

 private:
  int errnum_;
  std::string strerror_;
};

class BlockingIOError : public OSError {
 public:
  using OSError::OSError;
};
class ConnectionError : public OSError {
 public:
  using OSError::OSError;
};
class BrokenPipeError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
class ConnectionAbortedError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
class ConnectionRefusedError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
class ConnectionResetError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
class FileNotFoundError : public OSError {
 public:
  using OSError::OSError;
};
class PermissionError : public OSError {
 public:
  using OSError::OSError;
};
// Name resolution failed (Python: socket.gaierror). errnum() is the EAI_* code (negative on
// glibc), the message is gai_strerror's.
class gaierror : public OSError {  // NOLINT(readability-identifier-naming): Python's name
 public:
  explicit gaierror(int eai_code);
};

// Throws the OSError subclass Python would raise for errnum (ECONNRESET ->
// ConnectionResetError, ...), with strerror's message or `message` if given.
[[noreturn]] void raise_os_error(int errnum);
[[noreturn]] void raise_os_error(int errnum, const std::string& message);

}  // namespace triad::net
