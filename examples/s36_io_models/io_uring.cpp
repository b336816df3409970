// S36 model 6 — asynchronous IO with io_uring (liburing).
//
// The seed's 异步IO: the program does not ask "is it ready?" at all. It hands the kernel the
// whole operation ("receive into THIS buffer", "send THESE bytes", "accept") through a
// submission ring shared with the kernel, and later reaps a completion ("done: 517 bytes")
// from a completion ring: both stages of the seed's picture, waiting for the data AND copying
// it into the user buffer, happen in the kernel. Many operations go in and come out per
// system call (io_uring_submit_and_wait), which is where its speed comes from. The cost is in
// the program's structure: a buffer belongs to the kernel until its operation completes, so
// every connection is a small state machine (recv -> send -> recv ...), and stopping means
// cancelling what is in flight and waiting for the kernel to hand every buffer back.
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "s36_io_models/io_models.hpp"

namespace io_models::detail {
namespace {

class IoUringServer final : public IoModelServer {
 public:
  ~IoUringServer() override { stop(); }
  [[nodiscard]] std::string_view name() const override { return "io_uring"; }
  [[nodiscard]] std::string_view cost() const override {
    return "one thread, no readiness step: the kernel receives into the program's buffer and "
           "reports completions, many per syscall; buffers are lent to the kernel until their "
           "operation completes, so stopping must cancel and wait";
  }

 protected:
  void prepare() override {
    in_flight_ = 0;
    const int rc = io_uring_queue_init(256, &ring_, 0);
    if (rc < 0) throw std::system_error(-rc, std::generic_category(), "io_uring_queue_init");
  }
  void release() override { io_uring_queue_exit(&ring_); }

  void serve() override {
    std::unordered_map<Conn*, std::unique_ptr<Conn>> conns;
    submit_accept();
    submit_wake_read();
    for (bool running = true; running;) {
      io_uring_submit_and_wait(&ring_, 1);  // hand over new requests, sleep until one completes
      io_uring_cqe* cqe = nullptr;
      unsigned seen = 0;
      unsigned head = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        --in_flight_;
        const int res = cqe->res;
        const std::uint64_t tag = cqe->user_data;
        if (tag == kWake) {
          running = false;
        } else if (tag == kAccept) {
          if (res >= 0) {
            const int one = 1;
            ::setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            count_accept();
            auto c = std::make_unique<Conn>();
            c->fd = res;
            submit_recv(*c);
            conns.emplace(c.get(), std::move(c));
          }
          submit_accept();  // one accept request at a time, re-armed after each completion
        } else {
          Conn& c = *reinterpret_cast<Conn*>(tag);
          if (!on_completion(c, res)) {  // EOF or error: no request of c is in flight now
            ::close(c.fd);
            conns.erase(&c);
          }
        }
      }
      io_uring_cq_advance(&ring_, seen);
    }
    // Stopping: every connection has exactly one request in flight, and the accept is pending.
    // Shut the sockets down (completes their requests), cancel anything left, and reap until
    // the kernel has handed back every buffer; only then may they be freed.
    for (const auto& [c, owner] : conns) ::shutdown(c->fd, SHUT_RDWR);
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, kCancel);
    while (in_flight_ > 0) {
      io_uring_cqe* cqe = nullptr;
      if (io_uring_submit_and_wait(&ring_, 1) < 0 || io_uring_peek_cqe(&ring_, &cqe) != 0) continue;
      if (cqe->user_data == kAccept && cqe->res >= 0) ::close(cqe->res);  // raced the cancel
      io_uring_cqe_seen(&ring_, cqe);
      --in_flight_;
    }
    for (const auto& [c, owner] : conns) ::close(c->fd);
  }

 private:
  // One connection: its buffer is lent to the kernel by every recv/send request.
  struct Conn {
    int fd = -1;
    bool sending = false;     // the request in flight: recv (false) or send (true)
    std::size_t len = 0;      // bytes received and being echoed
    std::size_t sent = 0;     // of which already sent
    std::vector<char> buf = std::vector<char>(16384);
  };
  static constexpr std::uint64_t kAccept = 1;  // tags; a Conn* is never 1, 2 or 3
  static constexpr std::uint64_t kWake = 2;
  static constexpr std::uint64_t kCancel = 3;

  // A completed request of c: returns false when c is finished.
  bool on_completion(Conn& c, int res) {
    if (res <= 0) return false;  // recv: EOF (0) or error; send: error (ECONNRESET, EPIPE...)
    if (!c.sending) {            // recv done: the kernel already copied the data into c.buf
      c.len = static_cast<std::size_t>(res);
      c.sent = 0;
      submit_send(c);
      return true;
    }
    c.sent += static_cast<std::size_t>(res);
    if (c.sent < c.len) {  // a short send: the rest goes in another request
      count_partial_write();
      submit_send(c);
    } else {
      submit_recv(c);
    }
    return true;
  }

  io_uring_sqe* next_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (sqe == nullptr) {  // submission ring full: hand it over and retry
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    ++in_flight_;  // every request, the cancel included, ends in exactly one completion
    return sqe;
  }
  void submit_accept() {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_accept(sqe, listen_fd(), nullptr, nullptr, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, kAccept);
  }
  void submit_wake_read() {  // completes when stop() writes the eventfd
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_read(sqe, wake_fd(), &wake_value_, sizeof wake_value_, 0);
    io_uring_sqe_set_data64(sqe, kWake);
  }
  void submit_recv(Conn& c) {
    c.sending = false;
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_recv(sqe, c.fd, c.buf.data(), c.buf.size(), 0);
    io_uring_sqe_set_data(sqe, &c);
  }
  void submit_send(Conn& c) {
    c.sending = true;
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_send(sqe, c.fd, c.buf.data() + c.sent, c.len - c.sent, MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, &c);
  }

  io_uring ring_{};
  std::uint64_t wake_value_ = 0;
  long in_flight_ = 0;  // requests submitted and not yet completed (server thread only)
};

}  // namespace

std::unique_ptr<IoModelServer> make_io_uring_server() { return std::make_unique<IoUringServer>(); }

}  // namespace io_models::detail
