// The epoll ReactorBackend.
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "backends.hpp"
#include "triad/net/errors.hpp"
#include "triad/net/reactor.hpp"

namespace triad::net::detail {
namespace {

constexpr std::size_t kMaxBatch = 256;

class EpollBackend final : public ReactorBackend {
 public:
  EpollBackend() : epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (epfd_ < 0) raise_os_error(errno);
  }
  ~EpollBackend() override { ::close(epfd_); }

  [[nodiscard]] Backend kind() const noexcept override { return Backend::epoll; }

  void set_interest(int fd, std::uint64_t token, Events events, bool edge) override {
    epoll_event ev{};
    ev.data.u64 = token;
    if (edge) {
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    } else {
      if (has(events, Events::readable)) ev.events |= EPOLLIN | EPOLLRDHUP;
      if (has(events, Events::writable)) ev.events |= EPOLLOUT;
    }
    const auto idx = static_cast<std::size_t>(fd);
    if (idx >= known_.size()) known_.resize(idx + 1 + idx / 2, 0);
    int op = known_[idx] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (::epoll_ctl(epfd_, op, fd, &ev) != 0) {
      // The kernel's view differs from ours when an fd was closed and reused behind our
      // back (close() silently drops the epoll registration), or was dup'ed.
      const int err = errno;
      if (op == EPOLL_CTL_MOD && err == ENOENT) op = EPOLL_CTL_ADD;
      else if (op == EPOLL_CTL_ADD && err == EEXIST) op = EPOLL_CTL_MOD;
      else raise_os_error(err);
      if (::epoll_ctl(epfd_, op, fd, &ev) != 0) raise_os_error(errno);
    }
    known_[idx] = 1;
  }

  void forget(int fd) noexcept override {
    const auto idx = static_cast<std::size_t>(fd);
    if (idx < known_.size() && known_[idx]) {
      ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);  // ENOENT/EBADF are fine here
      known_[idx] = 0;
    }
  }

  std::size_t wait(Clock::duration timeout, ReadyEvent* out, std::size_t max) override {
    int ms;
    if (timeout == Clock::duration::max()) {
      ms = -1;
    } else if (timeout <= Clock::duration::zero()) {
      ms = 0;
    } else {
      // Round up: never wake before the deadline (the reactor would just wait again).
      const auto us = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
      ms = us > 86'400'000 ? 86'400'000 : static_cast<int>(us);
    }
    const int cap = static_cast<int>(max < kMaxBatch ? max : kMaxBatch);
    const int n = ::epoll_wait(epfd_, evs_, cap, ms);
    if (n < 0) {
      if (errno == EINTR) return 0;
      raise_os_error(errno);
    }
    for (int i = 0; i < n; ++i) {
      const std::uint32_t e = evs_[i].events;
      Events r = Events::none;
      if (e & (EPOLLIN | EPOLLRDHUP | EPOLLPRI)) r |= Events::readable;
      if (e & EPOLLOUT) r |= Events::writable;
      if (e & (EPOLLERR | EPOLLHUP)) r |= Events::error;
      if (e & (EPOLLRDHUP | EPOLLHUP)) r |= kHangup;
      out[i] = ReadyEvent{evs_[i].data.u64, r};
    }
    return static_cast<std::size_t>(n);
  }

 private:
  int epfd_;
  std::vector<unsigned char> known_;
  epoll_event evs_[kMaxBatch];
};

}  // namespace

std::unique_ptr<ReactorBackend> make_epoll_backend() { return std::make_unique<EpollBackend>(); }

}  // namespace triad::net::detail
