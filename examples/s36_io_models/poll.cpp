// S36 model 4 — IO multiplexing with poll().
//
// The same idea as select(), with an array of (fd, events) instead of bitmaps: no FD_SETSIZE
// limit and only the fds in use are passed. But the whole array still crosses into the kernel
// on every call and both sides still scan all of it, so a wake-up costs O(connections) even
// when a single one is ready.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "s36_io_models/io_models.hpp"

namespace io_models::detail {
namespace {

class PollServer final : public IoModelServer {
 public:
  ~PollServer() override { stop(); }
  [[nodiscard]] std::string_view name() const override { return "poll"; }
  [[nodiscard]] std::string_view cost() const override {
    return "one thread asleep in poll(); no fd limit, but the whole pollfd array is copied to "
           "the kernel and scanned on every call (O(n) per wake-up)";
  }

 protected:
  void serve() override {
    ::fcntl(listen_fd(), F_SETFL, ::fcntl(listen_fd(), F_GETFL) | O_NONBLOCK);
    std::vector<Conn> conns;
    std::vector<pollfd> fds;  // [0] wake fd, [1] listening socket, [2 + i] conns[i]
    for (;;) {
      fds.clear();
      fds.push_back({wake_fd(), POLLIN, 0});
      fds.push_back({listen_fd(), POLLIN, 0});
      for (const Conn& c : conns) fds.push_back({c.fd, static_cast<short>(c.has_output() ? POLLOUT : POLLIN), 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[0].revents != 0) break;
      for (std::size_t i = conns.size(); i-- > 0;) {  // backwards: closing swaps in the last one
        if (fds[2 + i].revents == 0) continue;         // (POLLHUP/POLLERR: pump sees it too)
        if (pump(conns[i], Drain::once) == Want::closed) {
          ::close(conns[i].fd);
          conns[i] = std::move(conns.back());
          conns.pop_back();
        }
      }
      if (fds[1].revents != 0) {
        for (int fd; (fd = accept_client(/*nonblocking=*/true)) >= 0;) conns.push_back(Conn{fd, {}, 0});
      }
    }
    for (const Conn& c : conns) ::close(c.fd);
    ::fcntl(listen_fd(), F_SETFL, ::fcntl(listen_fd(), F_GETFL) & ~O_NONBLOCK);
  }
};

}  // namespace

std::unique_ptr<IoModelServer> make_poll_server() { return std::make_unique<PollServer>(); }

}  // namespace io_models::detail
