// The default IoWaiter (poll(2)) and the per-thread current waiter.
#include "triad/net/io_waiter.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <ctime>

#include "triad/core/detail/spinlock.hpp"

namespace triad::net {
namespace {

// OS threads blocked in PollWaiter::wait, by fd, so that notify_closing() can wake them.
struct Sleeper {
  int fd;
  std::atomic<bool> closed{false};
  Sleeper* prev = nullptr;
  Sleeper* next = nullptr;
};

class SleeperRegistry {
 public:
  void add(Sleeper& s) noexcept {
    Stripe& st = stripe(s.fd);
    st.lock.lock();
    s.next = st.head;
    if (st.head) st.head->prev = &s;
    st.head = &s;
    st.lock.unlock();
  }
  void remove(Sleeper& s) noexcept {
    Stripe& st = stripe(s.fd);
    st.lock.lock();
    if (s.prev) s.prev->next = s.next; else st.head = s.next;
    if (s.next) s.next->prev = s.prev;
    st.lock.unlock();
  }
  // Marks the sleepers on fd closed; returns whether there were any.
  bool mark_closed(int fd) noexcept {
    Stripe& st = stripe(fd);
    bool any = false;
    st.lock.lock();
    for (Sleeper* s = st.head; s; s = s->next) {
      if (s->fd == fd) {
        s->closed.store(true, std::memory_order_release);
        any = true;
      }
    }
    st.lock.unlock();
    return any;
  }

 private:
  static constexpr unsigned kStripes = 64;
  struct alignas(64) Stripe {
    triad::detail::SpinLock lock;
    Sleeper* head = nullptr;
  };
  Stripe& stripe(int fd) noexcept { return stripes_[static_cast<unsigned>(fd) % kStripes]; }
  Stripe stripes_[kStripes];
};

SleeperRegistry& sleepers() noexcept {
  static SleeperRegistry r;
  return r;
}

class PollWaiter final : public IoWaiter {
 public:
  WaitResult wait(int fd, Events events, Deadline deadline) override {
    pollfd p{};
    p.fd = fd;
    if (has(events, Events::readable)) p.events |= POLLIN;
    if (has(events, Events::writable)) p.events |= POLLOUT;
    Sleeper me{fd};
    sleepers().add(me);
    struct Unregister {
      Sleeper& s;
      ~Unregister() { sleepers().remove(s); }
    } unregister{me};
    for (;;) {
      timespec ts{};
      timespec* tsp = nullptr;
      if (!deadline.is_never()) {
        const auto left =
            std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.remaining()).count();
        ts.tv_sec = static_cast<time_t>(left / 1'000'000'000);
        ts.tv_nsec = static_cast<long>(left % 1'000'000'000);
        tsp = &ts;
      }
      const int r = ::ppoll(&p, 1, tsp, nullptr);
      if (me.closed.load(std::memory_order_acquire)) return WaitResult::closed;
      if (r > 0) return WaitResult::ready;
      if (r == 0) {
        if (deadline.expired()) return WaitResult::timed_out;
        continue;
      }
      if (errno == EINTR) continue;
      return WaitResult::ready;  // let the retried operation report the error
    }
  }

  void closing(int fd) noexcept override {
    // Wake pollers: shutdown() wakes every poll on a socket (they see POLLHUP). Only done
    // when some OS thread waits on fd, since it also ends the connection for dup'ed fds.
    if (sleepers().mark_closed(fd)) ::shutdown(fd, SHUT_RDWR);
  }
};

PollWaiter g_poll_waiter;
thread_local IoWaiter* t_current = nullptr;

}  // namespace

IoWaiter& thread_io_waiter() noexcept { return g_poll_waiter; }

IoWaiter& current_io_waiter() noexcept {
  IoWaiter* w = t_current;
  return w ? *w : g_poll_waiter;
}

IoWaiter* exchange_io_waiter(IoWaiter* w) noexcept {
  IoWaiter* prev = t_current;
  t_current = (w == &g_poll_waiter) ? nullptr : w;
  return prev ? prev : &g_poll_waiter;
}

void notify_closing(int fd) noexcept {
  g_poll_waiter.closing(fd);
  IoWaiter* w = t_current;
  if (w) w->closing(fd);
}

}  // namespace triad::net
