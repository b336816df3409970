// S36 model 2 — non-blocking IO (NIO) with busy polling.
//
// The seed's 非阻塞IO: with O_NONBLOCK, recv() never sleeps: if the kernel buffer is empty it
// fails at once with EAGAIN, and the program asks again later. One thread can then serve many
// connections by asking each in turn, over and over. Nobody ever waits, which is also the
// cost: the loop spins at 100% of a CPU even when no client sends anything, and makes a system
// call per connection per pass whether or not anything is there.
#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "s36_io_models/io_models.hpp"

namespace io_models::detail {
namespace {

class NonBlockingServer final : public IoModelServer {
 public:
  ~NonBlockingServer() override { stop(); }
  [[nodiscard]] std::string_view name() const override { return "nonblocking"; }
  [[nodiscard]] std::string_view cost() const override {
    return "one thread, but it never sleeps: a full CPU spent asking every socket again and "
           "again (a syscall each, mostly answered EAGAIN), even when all are idle";
  }

 protected:
  void serve() override {
    ::fcntl(listen_fd(), F_SETFL, ::fcntl(listen_fd(), F_GETFL) | O_NONBLOCK);
    std::vector<Conn> conns;
    while (!stopping()) {  // stop() just sets the flag: the loop looks at it every pass
      for (int fd; (fd = accept_client(/*nonblocking=*/true)) >= 0;) conns.push_back(Conn{fd, {}, 0});
      for (std::size_t i = conns.size(); i-- > 0;) {
        if (pump(conns[i], Drain::once) == Want::closed) {  // EAGAIN is just "not yet"
          ::close(conns[i].fd);
          conns[i] = std::move(conns.back());
          conns.pop_back();
        }
      }
    }
    for (const Conn& c : conns) ::close(c.fd);
    ::fcntl(listen_fd(), F_SETFL, ::fcntl(listen_fd(), F_GETFL) & ~O_NONBLOCK);
  }

  void wake() override {}  // nothing sleeps: stopping() is enough
};

}  // namespace

std::unique_ptr<IoModelServer> make_nonblocking_server() { return std::make_unique<NonBlockingServer>(); }

}  // namespace io_models::detail
