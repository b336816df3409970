// S36 model 3 — IO multiplexing with select().
//
// The seed's IO多路复用 (the one Windows has too): one thread hands the kernel bitmaps of the
// fds it cares about (readable? writable?) and sleeps in select() until at least one is ready;
// then it does the copy itself with recv()/send(), which no longer block. The cost: the bitmaps
// are rebuilt and copied into the kernel on every call, the kernel and the program both scan
// every fd up to the highest one (O(n) per wake-up, however few are ready), and an fd number
// >= FD_SETSIZE (1024) cannot be watched at all: such a connection is refused here.
#include <fcntl.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "s36_io_models/io_models.hpp"

namespace io_models::detail {
namespace {

class SelectServer final : public IoModelServer {
 public:
  ~SelectServer() override { stop(); }
  [[nodiscard]] std::string_view name() const override { return "select"; }
  [[nodiscard]] std::string_view cost() const override {
    return "one thread asleep in select(); but every call copies fd bitmaps in and out and scans "
           "all fds up to the highest (O(n)), and fds >= FD_SETSIZE (1024) cannot be watched";
  }

 protected:
  void serve() override {
    ::fcntl(listen_fd(), F_SETFL, ::fcntl(listen_fd(), F_GETFL) | O_NONBLOCK);
    std::vector<Conn> conns;
    for (;;) {
      fd_set rd;
      fd_set wr;
      FD_ZERO(&rd);
      FD_ZERO(&wr);
      FD_SET(wake_fd(), &rd);  // stop() writes to it
      FD_SET(listen_fd(), &rd);
      int maxfd = std::max(wake_fd(), listen_fd());
      for (const Conn& c : conns) {
        FD_SET(c.fd, c.has_output() ? &wr : &rd);  // waiting to write: do not read more
        maxfd = std::max(maxfd, c.fd);
      }
      if (::select(maxfd + 1, &rd, &wr, nullptr, nullptr) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (FD_ISSET(wake_fd(), &rd)) break;
      for (std::size_t i = conns.size(); i-- > 0;) {  // backwards: closing swaps in the last one
        if (!FD_ISSET(conns[i].fd, &rd) && !FD_ISSET(conns[i].fd, &wr)) continue;
        if (pump(conns[i], Drain::once) == Want::closed) {
          ::close(conns[i].fd);
          conns[i] = std::move(conns.back());
          conns.pop_back();
        }
      }
      if (FD_ISSET(listen_fd(), &rd)) {
        for (int fd; (fd = accept_client(/*nonblocking=*/true)) >= 0;) {
          if (fd >= FD_SETSIZE) {  // FD_SET would write past the bitmap
            ::close(fd);
            continue;
          }
          conns.push_back(Conn{fd, {}, 0});
        }
      }
    }
    for (const Conn& c : conns) ::close(c.fd);
    ::fcntl(listen_fd(), F_SETFL, ::fcntl(listen_fd(), F_GETFL) & ~O_NONBLOCK);
  }
};

}  // namespace

std::unique_ptr<IoModelServer> make_select_server() { return std::make_unique<SelectServer>(); }

}  // namespace io_models::detail
