// S36 model 1 — blocking IO (BIO), a thread per connection.
//
// The seed's 阻塞IO: recv() puts the calling thread to sleep until data has arrived AND been
// copied into the user buffer; send() sleeps until the kernel took every byte. The code is the
// simplest of all (a plain loop per connection), but a thread can wait for only one thing, so
// every connection needs its own thread, and the acceptor sleeps in accept().
//
// Stopping: a thread asleep in accept()/recv() is woken by shutdown() of its socket (accept
// fails with EINVAL, recv returns 0); each connection thread closes its own socket.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <list>
#include <mutex>
#include <set>

#include "s36_io_models/io_models.hpp"

namespace io_models::detail {
namespace {

class BlockingServer final : public IoModelServer {
 public:
  ~BlockingServer() override { stop(); }
  [[nodiscard]] std::string_view name() const override { return "blocking"; }
  [[nodiscard]] std::string_view cost() const override {
    return "one OS thread (stack, kernel task, scheduler work) per connection, and a context "
           "switch every time a connection's data arrives; simple code";
  }

 protected:
  void prepare() override {
    const std::lock_guard lock(mu_);
    closing_ = false;
  }

  void serve() override {
    for (;;) {
      const int fd = accept_client(/*nonblocking=*/false);  // sleeps until a client connects
      if (fd < 0) {
        if (stopping()) break;  // stop() shut the listening socket down
        continue;               // EINTR, ECONNABORTED, EMFILE...
      }
      {
        const std::lock_guard lock(mu_);
        if (closing_) {  // stop() ran between accept() and here
          ::close(fd);
          break;
        }
        live_.insert(fd);
      }
      reap_finished();
      Worker& w = workers_.emplace_back();
      w.thread = std::thread([this, fd, &w] {
        talk(fd);
        {
          const std::lock_guard lock(mu_);  // so that stop() never shuts down a reused fd number
          live_.erase(fd);
          ::close(fd);
        }
        w.done.store(true, std::memory_order_release);
      });
    }
    for (Worker& w : workers_) w.thread.join();
    workers_.clear();
  }

  void wake() override {
    const std::lock_guard lock(mu_);
    closing_ = true;
    ::shutdown(listen_fd(), SHUT_RDWR);             // accept() returns EINVAL
    for (const int fd : live_) ::shutdown(fd, SHUT_RDWR);  // recv() returns 0, send() EPIPE
  }

 private:
  // The whole model: read, then write it back, each call sleeping as long as it must.
  static void talk(int fd) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // EOF (the client is done) or an error such as ECONNRESET
      for (ssize_t off = 0; off < n;) {
        const ssize_t w = ::send(fd, buf + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return;
        off += w;
      }
    }
  }

  struct Worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };

  // Joins the threads of connections that have ended (runs on the acceptor thread).
  void reap_finished() {
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (it->done.load(std::memory_order_acquire)) {
        it->thread.join();
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
  }

  std::mutex mu_;
  bool closing_ = false;  // guarded by mu_
  std::set<int> live_;    // open connection sockets; guarded by mu_
  std::list<Worker> workers_;  // acceptor thread only
};

}  // namespace

std::unique_ptr<IoModelServer> make_blocking_server() { return std::make_unique<BlockingServer>(); }

}  // namespace io_models::detail
