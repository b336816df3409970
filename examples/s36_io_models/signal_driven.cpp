// S36 model 7 — signal-driven IO (O_ASYNC + F_SETSIG).
//
// The seed's 信号驱动IO ("theory only"): the program asks the kernel to SEND IT A SIGNAL when a
// socket becomes readable or writable. With F_SETSIG the signal is a queued real-time signal
// whose siginfo names the fd (si_fd) and the event (si_band), so one thread can serve every
// connection: it takes the signals one at a time with sigwaitinfo() and then does the copy
// itself with recv()/send(), as the multiplexers do. No work happens in a signal handler: the
// signal stays blocked in the server thread (and goes only to it: F_SETOWN_EX with
// F_OWNER_TID) and is consumed synchronously.
//
// The costs: one system call per event (no batching), a signal is generated only when NEW
// data arrives (so each notification must be drained until EAGAIN), the real-time signal
// queue is finite (on overflow the kernel sends a plain SIGIO and the program must look at
// every fd, as handled below), and signals are process-wide machinery that libraries must not
// fight over — which is why the seed files it under theory and real servers use epoll.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <unordered_map>

#include "s36_io_models/io_models.hpp"

namespace io_models::detail {
namespace {

// SIGRTMIN + 5: no other part of triad uses real-time signals (grep SIGRTMIN src/); glibc
// keeps the two below SIGRTMIN for itself.
int io_signal() { return SIGRTMIN + 5; }

class SignalDrivenServer final : public IoModelServer {
 public:
  ~SignalDrivenServer() override { stop(); }
  [[nodiscard]] std::string_view name() const override { return "signal"; }
  [[nodiscard]] std::string_view cost() const override {
    return "one thread taking one queued real-time signal per event with sigwaitinfo() (a "
           "syscall per event, no batching); each signal must be drained until EAGAIN, and a "
           "full signal queue degrades to SIGIO and a scan of every fd";
  }

 protected:
  void server_thread_signals(sigset_t& set) const override {
    sigaddset(&set, io_signal());
    sigaddset(&set, SIGIO);  // what the kernel sends instead when the RT queue overflows
  }

  void serve() override {
    tid_ = ::gettid();
    arm(listen_fd());
    accept_all();  // clients that connected before the listening socket was armed
    sigset_t waiting;
    sigemptyset(&waiting);
    server_thread_signals(waiting);
    for (;;) {
      siginfo_t si{};
      const int sig = ::sigwaitinfo(&waiting, &si);  // blocked here, never a handler
      if (sig < 0) continue;                          // EINTR
      if (sig == io_signal() && si.si_code == SI_QUEUE) break;  // from stop(), not the kernel
      if (sig == SIGIO) {  // the queue overflowed: events were lost, so look at everything
        accept_all();
        for (auto it = conns_.begin(); it != conns_.end();) it = service(it);
        continue;
      }
      if (si.si_fd == listen_fd()) {
        accept_all();
      } else if (auto it = conns_.find(si.si_fd); it != conns_.end()) {
        service(it);  // (a stale signal for a closed fd is simply not found)
      }
    }
    for (const auto& [fd, c] : conns_) ::close(fd);
    conns_.clear();
    ::fcntl(listen_fd(), F_SETFL, ::fcntl(listen_fd(), F_GETFL) & ~(O_ASYNC | O_NONBLOCK));
  }

  void wake() override {
    // A queued signal to the server thread only, with si_code SI_QUEUE (the kernel's
    // notifications carry POLL_IN, POLL_OUT...). It is blocked there, so sigwaitinfo takes it.
    ::pthread_sigqueue(server_thread().native_handle(), io_signal(), sigval{});
  }

 private:
  // From now on the kernel queues io_signal() to this thread whenever fd has news.
  void arm(int fd) const {
    ::fcntl(fd, F_SETSIG, io_signal());
    f_owner_ex owner{F_OWNER_TID, tid_};
    ::fcntl(fd, F_SETOWN_EX, &owner);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_ASYNC | O_NONBLOCK);
  }

  void accept_all() {
    for (int fd; (fd = accept_client(/*nonblocking=*/true)) >= 0;) {
      arm(fd);
      auto [it, inserted] = conns_.emplace(fd, Conn{fd, {}, 0});
      service(it);  // data may have arrived before the socket was armed
    }
  }

  // Drains the connection until it would block (or closes it); returns the next iterator.
  std::unordered_map<int, Conn>::iterator service(std::unordered_map<int, Conn>::iterator it) {
    if (pump(it->second, Drain::all) != Want::closed) return std::next(it);
    ::close(it->first);
    return conns_.erase(it);
  }

  pid_t tid_ = 0;
  std::unordered_map<int, Conn> conns_;  // server thread only
};

}  // namespace

std::unique_ptr<IoModelServer> make_signal_driven_server() { return std::make_unique<SignalDrivenServer>(); }

}  // namespace io_models::detail
