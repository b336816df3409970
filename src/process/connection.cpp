#include "triad/process/connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace triad::process {
namespace {

constexpr std::size_t kBufSize = 64 * 1024;
constexpr std::uint32_t kLongHeader = 0xFFFFFFFFu;

[[noreturn]] void throw_os(const char* what, int err) {
  throw OSError(std::string(what) + ": [Errno " + std::to_string(err) + "] " + std::strerror(err), err);
}

// Sends header then payload with as few system calls as the kernel allows.
void send_two(int fd, const char* h, std::size_t hn, const char* p, std::size_t pn) {
  if (pn == 0) {  // one buffer: send() is a little cheaper than sendmsg()
    while (hn > 0) {
      const ssize_t r = ::send(fd, h, hn, MSG_NOSIGNAL);
      if (r < 0) {
        if (errno == EINTR) continue;
        throw_os("send failed", errno);
      }
      h += r;
      hn -= static_cast<std::size_t>(r);
    }
    return;
  }
  while (hn + pn > 0) {
    iovec iov[2];
    int cnt = 0;
    if (hn) iov[cnt++] = iovec{const_cast<char*>(h), hn};
    if (pn) iov[cnt++] = iovec{const_cast<char*>(p), pn};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<std::size_t>(cnt);
    const ssize_t r = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_os("send failed", errno);
    }
    auto n = static_cast<std::size_t>(r);
    const std::size_t from_h = std::min(n, hn);
    h += from_h;
    hn -= from_h;
    n -= from_h;
    p += n;
    pn -= n;
  }
}

}  // namespace

Connection::Connection(Connection&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      readable_(o.readable_),
      writable_(o.writable_),
      rbuf_(std::move(o.rbuf_)),
      rpos_(std::exchange(o.rpos_, 0)),
      rend_(std::exchange(o.rend_, 0)),
      big_(std::move(o.big_)) {}

Connection& Connection::operator=(Connection&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    readable_ = o.readable_;
    writable_ = o.writable_;
    rbuf_ = std::move(o.rbuf_);
    rpos_ = std::exchange(o.rpos_, 0);
    rend_ = std::exchange(o.rend_, 0);
    big_ = std::move(o.big_);
  }
  return *this;
}

Connection::~Connection() { close(); }

void Connection::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  rpos_ = rend_ = 0;
}

int Connection::fileno() const {
  if (fd_ < 0) throw OSError("handle is closed");
  return fd_;
}

std::string& Connection::scratch() {
  thread_local std::string buf;
  return buf;
}

void Connection::check_readable() const {
  if (fd_ < 0) throw OSError("handle is closed");
  if (!readable_) throw OSError("connection is write-only");
}

void Connection::check_writable() const {
  if (fd_ < 0) throw OSError("handle is closed");
  if (!writable_) throw OSError("connection is read-only");
}

void Connection::send_framed(std::string& buf) {
  check_writable();
  const std::size_t n = buf.size() - 4;
  if (n >= kLongHeader) {
    buf.insert(4, 8, '\0');
    const std::uint64_t n64 = n;
    std::memcpy(buf.data() + 4, &n64, 8);
    std::memcpy(buf.data(), &kLongHeader, 4);
  } else {
    const auto n32 = static_cast<std::uint32_t>(n);
    std::memcpy(buf.data(), &n32, 4);
  }
  send_two(fd_, buf.data(), buf.size(), nullptr, 0);
}

void Connection::send_bytes(std::string_view buf, std::size_t offset, std::optional<std::size_t> size) {
  check_writable();
  if (offset > buf.size()) throw ValueError("offset is larger than the buffer");
  const std::size_t n = size.value_or(buf.size() - offset);
  if (n > buf.size() - offset) throw ValueError("buffer length < offset + size");
  char header[12];
  std::size_t hn = 4;
  if (n >= kLongHeader) {
    const std::uint64_t n64 = n;
    std::memcpy(header, &kLongHeader, 4);
    std::memcpy(header + 4, &n64, 8);
    hn = 12;
  } else {
    const auto n32 = static_cast<std::uint32_t>(n);
    std::memcpy(header, &n32, 4);
  }
  send_two(fd_, header, hn, buf.data() + offset, n);
}

bool Connection::fill(std::size_t want) {
  if (rbuf_.size() < kBufSize) rbuf_.resize(kBufSize);
  while (rend_ - rpos_ < want) {
    if (rpos_ + want > rbuf_.size()) {  // compact
      std::memmove(rbuf_.data(), rbuf_.data() + rpos_, rend_ - rpos_);
      rend_ -= rpos_;
      rpos_ = 0;
    }
    const ssize_t r = ::read(fd_, rbuf_.data() + rend_, rbuf_.size() - rend_);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_os("recv failed", errno);
    }
    if (r == 0) {
      if (rend_ == rpos_) return false;
      throw OSError("got end of file during message");
    }
    rend_ += static_cast<std::size_t>(r);
  }
  return true;
}

std::string_view Connection::recv_view(std::optional<std::size_t> maxlength) {
  check_readable();
  if (!fill(4)) throw EOFError("the other end of the connection was closed");
  std::uint32_t n32;
  std::memcpy(&n32, rbuf_.data() + rpos_, 4);
  std::size_t h = 4;
  std::uint64_t n = n32;
  if (n32 == kLongHeader) {
    fill(12);
    std::memcpy(&n, rbuf_.data() + rpos_ + 4, 8);
    h = 12;
  }
  if (maxlength && n > *maxlength) {
    close();
    throw OSError("bad message length");
  }
  if (n <= kBufSize - h) {  // not h + n: a corrupted 64-bit length must not wrap around
    fill(h + static_cast<std::size_t>(n));
    std::string_view v(rbuf_.data() + rpos_ + h, static_cast<std::size_t>(n));
    rpos_ += h + static_cast<std::size_t>(n);
    return v;
  }
  // A large message: take what is buffered, then read the rest straight into big_, growing
  // it only as bytes arrive (a corrupted length cannot make us allocate what never comes).
  rpos_ += h;
  const std::size_t have = std::min<std::size_t>(rend_ - rpos_, static_cast<std::size_t>(n));
  big_.assign(rbuf_.data() + rpos_, have);
  rpos_ += have;
  std::size_t got = have;
  while (got < n) {
    const std::size_t left = static_cast<std::size_t>(n) - got;
    const std::size_t step = std::min(left, std::max<std::size_t>(got, std::size_t{1} << 20));
    if (big_.size() < got + step) big_.resize(got + step);
    const ssize_t r = ::read(fd_, big_.data() + got, step);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_os("recv failed", errno);
    }
    if (r == 0) throw OSError("got end of file during message");
    got += static_cast<std::size_t>(r);
  }
  big_.resize(got);
  return big_;
}

std::string Connection::recv_bytes(std::optional<std::size_t> maxlength) {
  return std::string(recv_view(maxlength));
}

bool Connection::poll(Timeout timeout) {
  check_readable();
  if (rend_ > rpos_) return true;
  const Deadline deadline = Deadline::after(timeout);
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    timespec ts{};
    const timespec* tsp = nullptr;
    if (!deadline.is_never()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.remaining()).count();
      ts.tv_sec = static_cast<time_t>(left / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(left % 1'000'000'000);
      tsp = &ts;
    }
    const int r = ::ppoll(&p, 1, tsp, nullptr);
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) throw_os("poll failed", errno);
  }
}

std::pair<Connection, Connection> Pipe(bool duplex) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw_os("socketpair failed", errno);
  if (duplex) return {Connection(sv[0], true, true), Connection(sv[1], true, true)};
  ::shutdown(sv[0], SHUT_WR);
  ::shutdown(sv[1], SHUT_RD);
  return {Connection(sv[0], true, false), Connection(sv[1], false, true)};
}

}  // namespace triad::process
