// S36 model 5 — IO multiplexing with epoll (Linux).
//
// The set of watched fds lives in the kernel (epoll_ctl adds, changes or removes ONE fd), and
// epoll_wait() returns only the fds that are ready: a wake-up costs O(ready), not
// O(connections). This is what triad's Reactor, green threads and asyncio use on Linux (as do
// nginx, Redis, libuv, Python's selectors.DefaultSelector). The costs left: a syscall per
// interest change (here: switching a connection between "readable?" and "writable?"), and the
// copy from the kernel buffer is still the program's own recv() after each readiness event.
// Level-triggered: an fd with data left is reported again.
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <unordered_map>

#include "s36_io_models/io_models.hpp"

namespace io_models::detail {
namespace {

class EpollServer final : public IoModelServer {
 public:
  ~EpollServer() override { stop(); }
  [[nodiscard]] std::string_view name() const override { return "epoll"; }
  [[nodiscard]] std::string_view cost() const override {
    return "one thread asleep in epoll_wait(), which returns only the ready fds (O(ready)); "
           "an epoll_ctl() syscall per interest change; Linux only";
  }

 protected:
  void prepare() override {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  }
  void release() override {
    ::close(ep_);
    ep_ = -1;
  }

  void serve() override {
    ::fcntl(listen_fd(), F_SETFL, ::fcntl(listen_fd(), F_GETFL) | O_NONBLOCK);
    watch(EPOLL_CTL_ADD, wake_fd(), EPOLLIN);
    watch(EPOLL_CTL_ADD, listen_fd(), EPOLLIN);
    std::unordered_map<int, Conn> conns;
    epoll_event events[256];
    for (bool running = true; running;) {
      const int n = ::epoll_wait(ep_, events, 256, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd()) {
          running = false;
        } else if (fd == listen_fd()) {
          for (int c; (c = accept_client(/*nonblocking=*/true)) >= 0;) {
            conns.emplace(c, Conn{c, {}, 0});
            watch(EPOLL_CTL_ADD, c, EPOLLIN);
          }
        } else if (auto it = conns.find(fd); it != conns.end()) {
          Conn& c = it->second;
          const bool was_writing = c.has_output();
          const Want want = pump(c, Drain::once);
          if (want == Want::closed) {
            ::close(fd);  // also leaves the epoll set
            conns.erase(it);
          } else if ((want == Want::write) != was_writing) {  // interest changes: one syscall
            watch(EPOLL_CTL_MOD, fd, want == Want::write ? EPOLLOUT : EPOLLIN);
          }
        }
      }
    }
    for (const auto& [fd, c] : conns) ::close(fd);
    ::epoll_ctl(ep_, EPOLL_CTL_DEL, listen_fd(), nullptr);
    ::epoll_ctl(ep_, EPOLL_CTL_DEL, wake_fd(), nullptr);
    ::fcntl(listen_fd(), F_SETFL, ::fcntl(listen_fd(), F_GETFL) & ~O_NONBLOCK);
  }

 private:
  void watch(int op, int fd, std::uint32_t events) const {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    ::epoll_ctl(ep_, op, fd, &ev);
  }

  int ep_ = -1;
};

}  // namespace

std::unique_ptr<IoModelServer> make_epoll_server() { return std::make_unique<EpollServer>(); }

}  // namespace io_models::detail
