// The io_uring ReactorBackend (liburing): readiness through IORING_OP_POLL_ADD.
//
// Level interest: a one-shot poll, re-armed at the next wait() after each report (poll checks
// readiness when armed, so this is level-triggered). Edge interest: a multishot poll
// (IORING_POLL_ADD_MULTI), re-armed only when the kernel ends it. Interest changes remove the
// armed poll (IORING_OP_POLL_REMOVE) and arm a new one; completions of a superseded poll
// carry an older sequence number and are dropped. All submissions of one iteration go to the
// kernel in the single io_uring_enter that also waits.
#include <liburing.h>
#include <poll.h>

#include <cerrno>
#include <vector>

#include "backends.hpp"
#include "triad/net/errors.hpp"
#include "triad/net/reactor.hpp"

namespace triad::net::detail {
namespace {

constexpr std::uint64_t kIgnore = ~std::uint64_t{0};
constexpr unsigned kEntries = 256;

class UringBackend final : public ReactorBackend {
 public:
  UringBackend() {
    io_uring_params p{};
    // Not SINGLE_ISSUER: a Reactor may be created on one thread and run on another.
    p.flags = IORING_SETUP_COOP_TASKRUN;
    int r = io_uring_queue_init_params(kEntries, &ring_, &p);
    if (r == -EINVAL) {  // kernel < 5.19: no COOP_TASKRUN
      io_uring_params q{};
      r = io_uring_queue_init_params(kEntries, &ring_, &q);
    }
    if (r < 0)
      throw OSError(-r, std::string("io_uring is not available: ") + OSError(-r).strerror() +
                            "; use Backend::epoll (or unset TRIAD_REACTOR)");
  }
  ~UringBackend() override { io_uring_queue_exit(&ring_); }

  [[nodiscard]] Backend kind() const noexcept override { return Backend::io_uring; }

  void set_interest(int fd, std::uint64_t token, Events events, bool edge) override {
    const auto idx = static_cast<std::size_t>(fd);
    if (idx >= recs_.size()) recs_.resize(idx + 1 + idx / 2);
    Rec& r = recs_[idx];
    if (r.armed && r.token == token && r.events == events && r.edge == edge) return;
    disarm(fd, r);
    r.token = token;
    r.events = events;
    r.edge = edge;
    r.known = true;
    if (events != Events::none) queue_arm(fd, r);
  }

  void forget(int fd) noexcept override {
    const auto idx = static_cast<std::size_t>(fd);
    if (idx >= recs_.size()) return;
    Rec& r = recs_[idx];
    disarm(fd, r);
    r.known = false;
    r.events = Events::none;
  }

  std::size_t wait(Clock::duration timeout, ReadyEvent* out, std::size_t max) override {
    for (std::size_t i = 0; i < to_arm_.size(); ++i) {
      const int fd = to_arm_[i];
      Rec& r = recs_[static_cast<std::size_t>(fd)];
      r.queued = false;
      if (!r.known || r.armed || r.events == Events::none) continue;
      io_uring_sqe* sqe = sqe_or_flush();
      unsigned mask = 0;
      if (r.edge) {
        mask = POLLIN | POLLOUT | POLLRDHUP;
        io_uring_prep_poll_multishot(sqe, fd, mask);
      } else {
        if (has(r.events, Events::readable)) mask |= POLLIN | POLLRDHUP;
        if (has(r.events, Events::writable)) mask |= POLLOUT;
        io_uring_prep_poll_add(sqe, fd, mask);
      }
      r.seq = (r.seq + 1) & 0x7fffffffu;
      io_uring_sqe_set_data64(sqe, user_data(fd, r.seq));
      r.armed = true;
    }
    to_arm_.clear();

    int rc;
    if (io_uring_cq_ready(&ring_) > 0 || timeout <= Clock::duration::zero()) {
      rc = io_uring_submit(&ring_);
    } else if (timeout == Clock::duration::max()) {
      rc = io_uring_submit_and_wait(&ring_, 1);
    } else {
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
      __kernel_timespec ts{};
      ts.tv_sec = ns / 1'000'000'000;
      ts.tv_nsec = ns % 1'000'000'000;
      io_uring_cqe* first = nullptr;
      rc = io_uring_submit_and_wait_timeout(&ring_, &first, 1, &ts, nullptr);
    }
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
      raise_os_error(-rc);

    std::size_t n = 0;
    unsigned seen = 0;
    unsigned head;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      if (n == max) break;
      ++seen;
      const std::uint64_t ud = cqe->user_data;
      if (ud == kIgnore) continue;
      const int fd = static_cast<int>(static_cast<std::uint32_t>(ud));
      const auto seq = static_cast<std::uint32_t>(ud >> 32);
      Rec& r = recs_[static_cast<std::size_t>(fd)];
      if (seq != r.seq || !r.armed) continue;  // superseded poll
      const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
      if (!more) {
        r.armed = false;
        if (r.known && r.events != Events::none) queue_arm(fd, r);
      }
      if (cqe->res < 0) {
        if (cqe->res == -ECANCELED) continue;
        out[n++] = ReadyEvent{r.token, Events::error | Events::readable | Events::writable};
        continue;
      }
      const auto m = static_cast<unsigned>(cqe->res);
      Events ev = Events::none;
      if (m & (POLLIN | POLLRDHUP | POLLPRI)) ev |= Events::readable;
      if (m & POLLOUT) ev |= Events::writable;
      if (m & (POLLERR | POLLHUP | POLLNVAL)) ev |= Events::error;
      if (m & (POLLRDHUP | POLLHUP)) ev |= kHangup;
      out[n++] = ReadyEvent{r.token, ev};
    }
    io_uring_cq_advance(&ring_, seen);
    return n;
  }

 private:
  struct Rec {
    std::uint64_t token = 0;
    Events events = Events::none;
    std::uint32_t seq = 0;
    bool edge = false;
    bool armed = false;
    bool known = false;
    bool queued = false;
  };

  static std::uint64_t user_data(int fd, std::uint32_t seq) noexcept {
    return (std::uint64_t{seq & 0x7fffffffu} << 32) | static_cast<std::uint32_t>(fd);
  }

  io_uring_sqe* sqe_or_flush() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (!sqe) {
      const int rc = io_uring_submit(&ring_);
      if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) raise_os_error(-rc);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  void queue_arm(int fd, Rec& r) {
    if (r.queued) return;
    r.queued = true;
    to_arm_.push_back(fd);
  }

  void disarm(int fd, Rec& r) noexcept {
    if (!r.armed) return;
    r.armed = false;
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    if (sqe) {
      io_uring_prep_poll_remove(sqe, user_data(fd, r.seq));
      io_uring_sqe_set_data64(sqe, kIgnore);
    }
    r.seq = (r.seq + 1) & 0x7fffffffu;  // whatever the old poll still reports is stale now
  }

  io_uring ring_{};
  std::vector<Rec> recs_;
  std::vector<int> to_arm_;
};

}  // namespace

std::unique_ptr<ReactorBackend> make_uring_backend() { return std::make_unique<UringBackend>(); }

bool uring_available() noexcept {
  static const bool ok = [] {
    io_uring ring{};
    if (io_uring_queue_init(4, &ring, 0) < 0) return false;
    io_uring_queue_exit(&ring);
    return true;
  }();
  return ok;
}

}  // namespace triad::net::detail
