// S36: the client check that every IO model's server must pass (see io_models.hpp).
// One thread drives every client with poll(), writing and reading at the same time.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "s36_io_models/io_models.hpp"

namespace io_models {

namespace {

using Clock = std::chrono::steady_clock;

// Byte `pos` of message `msg` of client `client`: a different stream per client and message,
// so bytes delivered to the wrong connection, lost, duplicated or reordered are all caught.
char expected_byte(int client, std::size_t msg, std::size_t pos) {
  std::uint32_t x = static_cast<std::uint32_t>(pos) ^ (static_cast<std::uint32_t>(client) << 24) ^
                    (static_cast<std::uint32_t>(msg) << 20);
  x *= 2654435761U;
  x ^= x >> 15;
  return static_cast<char>(x >> 8);
}

struct Client {
  int index = 0;
  int fd = -1;
  std::size_t msg = 0;    // current message
  std::size_t wrote = 0;  // of it, bytes sent
  std::size_t got = 0;    // of it, bytes echoed back and checked
  bool waiting_eof = false;  // half-closed: the server's EOF is due
  bool finished = false;
  std::uint32_t rng = 0;
  std::uint32_t next() {  // xorshift: deterministic odd chunk sizes
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
  }
};

void set_small_buffers(int fd) {
  const int size = 64 * 1024;  // (the kernel doubles it); no auto-tuning above it
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

int connect_with(int port, bool small_buffers) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (small_buffers) set_small_buffers(fd);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits until fd is readable and reads what is there; returns the bytes read, 0 on EOF,
// -1 on error or timeout.
ssize_t read_some(int fd, char* buf, std::size_t cap, Clock::time_point deadline) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms_left(deadline)) != 1) return -1;
  return ::recv(fd, buf, cap, MSG_DONTWAIT);
}

}  // namespace

int connect_local(int port) { return connect_with(port, false); }

bool echo_once(int port, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  const int fd = connect_local(port);
  if (fd < 0) return false;
  const std::string msg = "still there?";
  bool ok = ::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(msg.size());
  std::string back;
  char buf[64];
  while (ok && back.size() < msg.size()) {
    const ssize_t n = read_some(fd, buf, sizeof buf, deadline);
    if (n <= 0) ok = false;
    else back.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return ok && back == msg;
}

ClientCheckReport run_client_check(int port, const ClientCheckOptions& opts) {
  ClientCheckReport r;
  const std::vector<std::size_t> sizes{1, 7, 1000, 65539, opts.big, 100};
  const auto deadline = Clock::now() + std::chrono::milliseconds(opts.timeout_ms);
  std::vector<Client> clients(static_cast<std::size_t>(opts.clients));
  auto fail = [&](const Client* c, const std::string& what) {
    if (r.error.empty()) {
      r.error = c == nullptr ? what
                             : "client " + std::to_string(c->index) + ", message " + std::to_string(c->msg) +
                                   " (" + std::to_string(c->msg < sizes.size() ? sizes[c->msg] : 0) + " B): " + what;
    }
  };
  // 1. Everyone connects before anyone sends: the server must hold them all at once.
  for (std::size_t i = 0; i < clients.size(); ++i) {
    Client& c = clients[i];
    c.index = static_cast<int>(i);
    c.rng = 0x9E3779B9U + static_cast<std::uint32_t>(i) * 7919U;
    c.fd = connect_with(port, true);
    if (c.fd < 0) {
      fail(&c, std::string("connect: ") + std::strerror(errno));
      c.finished = true;
      continue;
    }
    ++r.clients;
    ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
  }
  // 2. Each client sends its messages one at a time, in odd-sized chunks, reading the echo in
  //    small pieces while it writes; a message is done when all of it came back.
  std::vector<char> out;
  std::array<char, 3001> in{};
  std::vector<pollfd> fds;
  std::vector<Client*> polled;
  while (r.error.empty()) {
    fds.clear();
    polled.clear();
    for (Client& c : clients) {
      if (c.finished) continue;
      const bool more = !c.waiting_eof && c.wrote < sizes[c.msg];
      fds.push_back({c.fd, static_cast<short>(POLLIN | (more ? POLLOUT : 0)), 0});
      polled.push_back(&c);
    }
    if (fds.empty()) break;
    const int ready = ::poll(fds.data(), fds.size(), ms_left(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      fail(polled.front(), "timed out (" + std::to_string(polled.front()->got) + " bytes echoed, " +
                               std::to_string(polled.front()->wrote) + " sent)");
      break;
    }
    for (std::size_t k = 0; k < fds.size() && r.error.empty(); ++k) {
      Client& c = *polled[k];
      if ((fds[k].revents & POLLOUT) != 0 && !c.waiting_eof && c.wrote < sizes[c.msg]) {
        const std::size_t chunk = std::min<std::size_t>(1 + c.next() % 9000, sizes[c.msg] - c.wrote);
        out.resize(chunk);
        for (std::size_t j = 0; j < chunk; ++j) out[j] = expected_byte(c.index, c.msg, c.wrote + j);
        const ssize_t n = ::send(c.fd, out.data(), chunk, MSG_NOSIGNAL);
        if (n > 0) c.wrote += static_cast<std::size_t>(n);
        else if (n < 0 && errno != EAGAIN && errno != EINTR) fail(&c, std::string("send: ") + std::strerror(errno));
      }
      // Reading only once writing is stuck (or done) lets the echo pile up in the server's
      // socket buffers, so that the server, too, meets a full socket and must wait for it.
      const bool writing = (fds[k].revents & POLLOUT) != 0 && !c.waiting_eof && c.wrote < sizes[c.msg];
      if (writing || (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::recv(c.fd, in.data(), in.size(), 0);
      if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) fail(&c, std::string("recv: ") + std::strerror(errno));
        continue;
      }
      if (n == 0) {
        if (!c.waiting_eof) {
          fail(&c, "the server closed the connection early, after " + std::to_string(c.got) + " bytes");
          continue;
        }
        ++r.half_close_eof;  // the server saw our EOF, had echoed everything, and closed
        ++r.clients_ok;
        ::close(c.fd);
        c.fd = -1;
        c.finished = true;
        continue;
      }
      if (c.waiting_eof) {
        fail(&c, "bytes after the last message");
        continue;
      }
      const auto len = static_cast<std::size_t>(n);
      if (c.got + len > c.wrote) {
        fail(&c, "more bytes came back than were sent");
        continue;
      }
      for (std::size_t j = 0; j < len; ++j) {
        if (in[j] != expected_byte(c.index, c.msg, c.got + j)) {
          fail(&c, "byte " + std::to_string(c.got + j) + " came back wrong");
          break;
        }
      }
      c.got += len;
      r.bytes += len;
      if (c.got < sizes[c.msg]) continue;
      ++r.messages;  // message answered in full: on to the next one
      ++c.msg;
      c.wrote = 0;
      c.got = 0;
      if (c.msg < sizes.size()) continue;
      if (c.index % 2 == 0) {  // half-close: "I am done sending, but still listening"
        ::shutdown(c.fd, SHUT_WR);
        c.waiting_eof = true;
        --c.msg;  // (keeps sizes[c.msg] valid for the poll set)
        c.wrote = sizes[c.msg];
      } else {  // plain close
        ::close(c.fd);
        c.fd = -1;
        c.finished = true;
        ++r.plain_closes;
        ++r.clients_ok;
      }
    }
  }
  for (Client& c : clients) {
    if (c.fd >= 0) ::close(c.fd);
  }
  if (!r.error.empty()) return r;

  // 3. A client that resets its connection in the middle of a large message...
  const int rst = connect_with(port, true);
  if (rst < 0) {
    fail(nullptr, "reset client: connect failed");
    return r;
  }
  std::vector<char> big(256 * 1024, 'x');
  const ssize_t sent = ::send(rst, big.data(), big.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  char buf[512];
  const ssize_t echoed = read_some(rst, buf, sizeof buf, deadline);  // the server is mid-echo
  const linger hard{1, 0};  // close() now sends RST instead of FIN
  ::setsockopt(rst, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::close(rst);
  if (sent <= 0 || echoed <= 0) {
    fail(nullptr, "reset client: no echo before the reset");
    return r;
  }
  // ...must not take the server down: the next client is served.
  r.reset_survived = echo_once(port, ms_left(deadline));
  if (!r.reset_survived) fail(nullptr, "after a client reset its connection, the next client was not served");
  return r;
}

}  // namespace io_models
