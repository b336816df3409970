// S36 (seed 004, 七、io模型): one small TCP echo server per IO model, all behind one interface.
//
// The seed's lesson: data from the network first lands in a KERNEL buffer and must then be
// copied into the program's USER buffer before the program can use it. An IO model is the
// answer to "how does the program learn that it can do that copy, and who waits meanwhile?":
//
//   model            file                who waits, and for what
//   ---------------  ------------------  ------------------------------------------------------
//   blocking (BIO)   blocking.cpp        a thread per connection sleeps inside read()/write()
//   non-blocking     nonblocking.cpp     nobody waits: one thread retries every socket (EAGAIN)
//   select           select.cpp          one thread sleeps in select() on a bitmap of fds
//   poll             poll.cpp            one thread sleeps in poll() on an array of fds
//   epoll            epoll.cpp           one thread sleeps in epoll_wait() on a kernel-held set
//   asynchronous     io_uring.cpp        nobody waits for readiness: the kernel does the copy
//                                        and reports the finished recv/send (completion)
//   signal-driven    signal_driven.cpp   the kernel queues a real-time signal per ready fd;
//                                        one thread takes them with sigwaitinfo()
//
// Every server echoes each byte it receives back on the same connection, closes a connection
// once the client has half-closed (or closed) it and every byte was echoed, survives a client
// that resets the connection, and stops cleanly. It is plain POSIX/Linux code on purpose: the
// lesson is the model, not triad (triad's own Reactor, green threads and asyncio are built on
// the epoll and io_uring models shown here).
//
//   auto server = io_models::make_server("epoll");
//   const int port = server->start();          // listening on 127.0.0.1:port, serving
//   ... clients connect to 127.0.0.1:port ...
//   server->stop();                            // unblocks, joins, closes every fd
#pragma once

#include <signal.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace io_models {

// The interface every model implements.
//
// Thread safety: start() and stop() are called from one controlling thread (not from the
// server's own threads); the counters may be read from any thread at any time.
class IoModelServer {
 public:
  IoModelServer(const IoModelServer&) = delete;
  IoModelServer& operator=(const IoModelServer&) = delete;
  // Derived destructors call stop().
  virtual ~IoModelServer();

  // "epoll", "io_uring", ...: the name make_server() takes.
  [[nodiscard]] virtual std::string_view name() const = 0;
  // One sentence: what the model costs (shown by the scenario and in docs/io_models.md).
  [[nodiscard]] virtual std::string_view cost() const = 0;

  // Listens on 127.0.0.1:port (0 = a free port chosen by the kernel) and starts serving on the
  // model's own thread(s). Returns the port. Does not block beyond creating the socket and
  // the thread. Throws std::system_error if a socket call fails, std::logic_error if the
  // server is already running.
  int start(int port = 0);

  // Makes the server thread(s) return, joins them, and closes every fd the server opened
  // (listening socket, connections still open, wake-up fds, rings). Blocks until then.
  // Idempotent; a no-op before start(). Open connections are simply closed (their clients
  // see EOF or a reset).
  void stop();

  [[nodiscard]] bool running() const { return thread_.joinable(); }

  // How often a non-blocking send() could not take every byte (EAGAIN) and the server had to
  // wait for the socket to become writable (a partial write). Informational.
  [[nodiscard]] std::uint64_t partial_writes() const { return partial_writes_.load(std::memory_order_relaxed); }
  // Connections accepted since start().
  [[nodiscard]] std::uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }

 protected:
  IoModelServer() = default;

  // The model: runs on the server thread until asked to stop (stopping() or the wake fd),
  // and returns only after closing every connection it accepted. Must not close
  // listen_fd() or wake_fd(): the base class owns them.
  virtual void serve() = 0;
  // Called by stop() from the controlling thread, after stopping() became true: makes serve()
  // return soon. The default writes 1 to wake_fd() (an eventfd the multiplexers wait on).
  virtual void wake();
  // Signals to block in the server thread from its first instruction (the signal-driven
  // model waits for its signal with sigwaitinfo, so it must never be delivered as a handler).
  virtual void server_thread_signals(sigset_t& /*set*/) const {}

  // Optional per-model setup and teardown that may fail, run on the controlling thread:
  // prepare() before the server thread starts (throw std::system_error to make start() fail),
  // release() after it was joined (close the model's own fds: epoll instance, ring).
  virtual void prepare() {}
  virtual void release() {}

  // --- helpers for the models --------------------------------------------------------------
  // One client connection of a non-blocking server: bytes received but not yet echoed
  // (`out` from `off`) wait there until the socket is writable again.
  struct Conn {
    int fd = -1;
    std::string out;
    std::size_t off = 0;
    [[nodiscard]] bool has_output() const { return off < out.size(); }
  };
  // What a connection waits for after pump().
  enum class Want { read, write, closed };
  // How much pump() reads: `once` = at most one recv() (enough for level-triggered models,
  // which are told again while data remains); `all` = until EAGAIN (edge-like models such as
  // signal-driven IO are told only when NEW data arrives).
  enum class Drain { once, all };
  // Echoes on a non-blocking connection until it would block: first sends the pending output,
  // then recv()s and send()s straight back; what send() cannot take is kept in c.out and
  // pump() returns Want::write (the server must wait for writability and stop reading: that is
  // the backpressure). Returns Want::closed on EOF (the client half-closed or closed, and
  // everything it sent was echoed) or on an error such as ECONNRESET; the caller closes c.fd.
  Want pump(Conn& c, Drain drain);
  // accept4() with SOCK_CLOEXEC (and SOCK_NONBLOCK if asked), TCP_NODELAY on the new
  // socket; counts it. -1 with errno as accept4 left it (EAGAIN: nobody is waiting).
  int accept_client(bool nonblocking);

  [[nodiscard]] int listen_fd() const { return listen_fd_; }
  [[nodiscard]] int wake_fd() const { return wake_fd_; }
  [[nodiscard]] bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  [[nodiscard]] std::thread& server_thread() { return thread_; }
  void count_partial_write() { partial_writes_.fetch_add(1, std::memory_order_relaxed); }
  void count_accept() { accepted_.fetch_add(1, std::memory_order_relaxed); }

 private:
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> partial_writes_{0};
  std::atomic<std::uint64_t> accepted_{0};
  std::vector<char> scratch_ = std::vector<char>(std::size_t{1} << 16);  // pump()'s recv buffer
  std::thread thread_;
};

// The seven models, in the seed's order: "blocking", "nonblocking", "select", "poll",
// "epoll", "io_uring", "signal".
[[nodiscard]] const std::vector<std::string_view>& model_names();
// A new, not yet started server for the model, or nullptr for an unknown name.
[[nodiscard]] std::unique_ptr<IoModelServer> make_server(std::string_view model);

// ---------------------------------------------------------------------------------------------
// The one client check every model must pass (the scenario and the tests run it).
struct ClientCheckOptions {
  int clients = 8;                         // connected at the same time
  std::size_t big = std::size_t{1} << 20;  // the large message (bytes); far above the client's
                                           // 64 KiB socket buffers
  int timeout_ms = 30000;                  // for the whole check
};

struct ClientCheckReport {
  int clients = 0;          // connections opened (all before the first byte is sent)
  int clients_ok = 0;       // clients that got exactly their bytes back, message by message
  int half_close_eof = 0;   // clients that half-closed and then saw the server's EOF
  int plain_closes = 0;     // clients that just closed after their last answer
  int messages = 0;         // messages answered in full
  std::uint64_t bytes = 0;  // bytes echoed back intact
  bool reset_survived = false;  // after a client reset its connection mid-message, a new
                                // client was still served
  std::string error;            // the first thing that went wrong ("" if nothing)
  [[nodiscard]] bool passed() const { return error.empty() && clients_ok == clients && reset_survived; }
};

// Connects opts.clients clients to 127.0.0.1:port, all at once, and drives them from one
// thread with poll(): each sends the same list of messages (1 B, 7 B, 1000 B, 65539 B,
// opts.big, 100 B; its own pseudo-random bytes) in odd-sized chunks, one message at a time,
// reading the echo in small pieces WHILE writing (a message larger than the socket buffers
// would otherwise deadlock), and compares every byte. Even clients then half-close
// (shutdown(SHUT_WR)) and expect the server's EOF; odd clients just close. Finally a client
// sends part of a large message and resets the connection (SO_LINGER 0), and one more client
// must still get its echo. Never throws; failures are described in the report.
ClientCheckReport run_client_check(int port, const ClientCheckOptions& opts = {});

// Round trip of one short message on a new connection (true if it came back intact within
// timeout_ms). Used to make sure a server is serving.
bool echo_once(int port, int timeout_ms = 10000);

// Connects to 127.0.0.1:port (blocking), or returns -1.
int connect_local(int port);

// Open file descriptors of this process (entries of /proc/self/fd), for leak checks.
[[nodiscard]] int count_open_fds();

namespace detail {
// One factory per model file.
std::unique_ptr<IoModelServer> make_blocking_server();
std::unique_ptr<IoModelServer> make_nonblocking_server();
std::unique_ptr<IoModelServer> make_select_server();
std::unique_ptr<IoModelServer> make_poll_server();
std::unique_ptr<IoModelServer> make_epoll_server();
std::unique_ptr<IoModelServer> make_io_uring_server();
std::unique_ptr<IoModelServer> make_signal_driven_server();
}  // namespace detail

}  // namespace io_models
