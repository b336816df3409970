// Shared helpers of the fuzz targets: a socketpair whose far end already holds the fuzz input
// and is shut for writing, so every read ends (with data or EOF) and nothing can block.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace fuzz {

struct Socketpair {
  int near = -1;  // the end the code under test uses
  int far = -1;   // the fuzzer's end
  Socketpair(const std::uint8_t* data, std::size_t size) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) std::abort();
    near = sv[0];
    far = sv[1];
    int big = 1 << 20;
    ::setsockopt(far, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    ::setsockopt(near, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    ::fcntl(far, F_SETFL, O_NONBLOCK);
    while (size > 0) {  // what does not fit is dropped (inputs are small anyway)
      const ssize_t n = ::send(far, data, size, MSG_NOSIGNAL);
      if (n <= 0) break;
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    ::shutdown(far, SHUT_WR);
  }
  ~Socketpair() {
    if (near >= 0) ::close(near);
    ::close(far);
  }
};

}  // namespace fuzz
