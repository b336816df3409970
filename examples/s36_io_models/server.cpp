// S36: what every IO model shares: the listening socket, the server thread, stop(), and the
// non-blocking echo step pump(). See io_models.hpp.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <system_error>

#include "s36_io_models/io_models.hpp"

namespace io_models {

namespace {

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

IoModelServer::~IoModelServer() {
  // The derived destructor has already called stop(); this only guards against a derived
  // class that forgot (the thread would call a pure virtual otherwise).
  if (thread_.joinable()) std::terminate();
}

int IoModelServer::start(int port) {
  if (thread_.joinable()) throw std::logic_error(std::string(name()) + " server is already running");
  stopping_.store(false, std::memory_order_release);
  accepted_.store(0, std::memory_order_relaxed);
  partial_writes_.store(0, std::memory_order_relaxed);
  try {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw_errno("socket");
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) throw_errno("bind");
    if (::listen(listen_fd_, 1024) != 0) throw_errno("listen");
    socklen_t len = sizeof a;
    if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) throw_errno("getsockname");
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) throw_errno("eventfd");
    prepare();
    // The new thread inherits the creating thread's signal mask: block the model's signals
    // here for the instant of creation, so they are blocked in the server thread from its
    // first instruction and in no other thread.
    sigset_t block;
    sigset_t old;
    sigemptyset(&block);
    server_thread_signals(block);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    try {
      thread_ = std::thread([this] { serve(); });
    } catch (...) {
      pthread_sigmask(SIG_SETMASK, &old, nullptr);
      release();
      throw;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return ntohs(a.sin_port);
  } catch (...) {
    close_fd(wake_fd_);
    close_fd(listen_fd_);
    throw;
  }
}

void IoModelServer::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  wake();
  thread_.join();
  release();
  close_fd(wake_fd_);
  close_fd(listen_fd_);
}

void IoModelServer::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

int IoModelServer::accept_client(bool nonblocking) {
  const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  count_accept();
  return fd;
}

IoModelServer::Want IoModelServer::pump(Conn& c, Drain drain) {
  char* const buf = scratch_.data();
  for (;;) {
    // 1. What the socket could not take last time goes first (echo order is byte order).
    while (c.has_output()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.off, c.out.size() - c.off, MSG_NOSIGNAL);
      if (n > 0) {
        c.off += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        count_partial_write();
        return Want::write;  // backpressure: read nothing more until this is out
      } else {
        return Want::closed;
      }
    }
    c.out.clear();
    c.off = 0;
    // 2. Copy from the kernel's buffer into ours (the seed's "copy to the user buffer").
    const ssize_t r = ::recv(c.fd, buf, scratch_.size(), 0);
    if (r == 0) return Want::closed;  // EOF: everything the client sent has been echoed
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Want::read;
      return Want::closed;  // ECONNRESET and friends
    }
    // 3. Echo it straight back; keep what does not fit.
    ssize_t w = ::send(c.fd, buf, static_cast<std::size_t>(r), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return Want::closed;
      w = 0;
    }
    if (w < r) {
      c.out.assign(buf + w, static_cast<std::size_t>(r - w));
      continue;  // retry the send once; it reports Want::write if the socket is still full
    }
    if (drain == Drain::once) return Want::read;
  }
}

const std::vector<std::string_view>& model_names() {
  static const std::vector<std::string_view> names{"blocking", "nonblocking", "select", "poll",
                                                   "epoll",    "io_uring",    "signal"};
  return names;
}

std::unique_ptr<IoModelServer> make_server(std::string_view model) {
  if (model == "blocking") return detail::make_blocking_server();
  if (model == "nonblocking") return detail::make_nonblocking_server();
  if (model == "select") return detail::make_select_server();
  if (model == "poll") return detail::make_poll_server();
  if (model == "epoll") return detail::make_epoll_server();
  if (model == "io_uring") return detail::make_io_uring_server();
  if (model == "signal") return detail::make_signal_driven_server();
  return nullptr;
}

int count_open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n - 1;  // the directory stream's own fd
}

}  // namespace io_models
