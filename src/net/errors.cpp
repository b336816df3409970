#include "triad/net/errors.hpp"

#include <netdb.h>

#include <cerrno>
#include <cstring>

namespace triad::net {
namespace {

std::string describe(int errnum) {
  char buf[256];
  // GNU strerror_r returns the message (possibly not in buf).
  const char* s = ::strerror_r(errnum, buf, sizeof buf);
  return s;
}

}  // namespace

OSError::OSError(int errnum) : OSError(errnum, describe(errnum)) {}

OSError::OSError(int errnum, const std::string& message)
    : triad::Error("[Errno " + std::to_string(errnum) + "] " + message),
      errnum_(errnum),
      strerror_(message) {}

gaierror::gaierror(int eai_code) : OSError(eai_code, ::gai_strerror(eai_code)) {}

void raise_os_error(int errnum) { raise_os_error(errnum, describe(errnum)); }

void raise_os_error(int errnum, const std::string& message) {
  switch (errnum) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINPROGRESS:
    case EALREADY:
      throw BlockingIOError(errnum, message);
    case EPIPE:
    case ESHUTDOWN:
      throw BrokenPipeError(errnum, message);
    case ECONNABORTED:
      throw ConnectionAbortedError(errnum, message);
    case ECONNREFUSED:
      throw ConnectionRefusedError(errnum, message);
    case ECONNRESET:
      throw ConnectionResetError(errnum, message);
    case ENOENT:
      throw FileNotFoundError(errnum, message);
    case EACCES:
    case EPERM:
      throw PermissionError(errnum, message);
    default:
      throw OSError(errnum, message);
  }
}

}  // namespace triad::net
