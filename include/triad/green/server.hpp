// StreamServer: a TCP (or AF_UNIX stream) server that handles each connection in its own
// green thread.
//
// Python: gevent.server.StreamServer(listener, handle, spawn=...).
//
//   using namespace triad::green;
//   StreamServer server({"127.0.0.1", 0}, [](triad::net::socket& conn, const triad::net::Address&) {
//     for (std::string data; !(data = conn.recv(1024)).empty();) conn.sendall(upper(data));
//   });
//   server.start();                           // listening; accepts in a green thread
//   auto port = server.address().port();
//   ...
//   server.stop();
//
// Each accepted connection runs handle(conn, address) in a new green thread of the server's
// hub (the OS thread that called start()); the connection is closed when handle returns or
// throws (an exception is printed, as gevent does, and does not stop the server). With a
// `pool_size`, at most that many handlers run at once: the server stops accepting while the
// pool is full (gevent's spawn=Pool(n)).
//
// Thread safety: start(), serve_forever() and stop() on the server's OS thread only.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>

#include "triad/core/timeout.hpp"
#include "triad/green/pool.hpp"
#include "triad/green/spawn.hpp"
#include "triad/net/address.hpp"
#include "triad/net/socket.hpp"

namespace triad::green {

class StreamServer {
 public:
  using Handler = std::function<void(net::socket& conn, const net::Address& address)>;

  // Python: StreamServer((host, port), handle, spawn=Pool(pool_size) or 'default').
  // Binds when started. backlog as in listen().
  StreamServer(net::Address address, Handler handle, std::optional<std::size_t> pool_size = {},
               int backlog = 128);
  // Python: StreamServer(listener_socket, handle, ...): a bound (or listening) socket.
  StreamServer(net::socket listener, Handler handle, std::optional<std::size_t> pool_size = {},
               int backlog = 128);
  StreamServer(const StreamServer&) = delete;
  StreamServer& operator=(const StreamServer&) = delete;
  // Stops the server (closing the listener and killing handlers still running).
  ~StreamServer();

  // Python: server.start(). Binds and listens (if needed) and starts accepting in a green
  // thread. Never blocks. Throws OSError (e.g. EADDRINUSE) from bind/listen.
  void start();
  // Python: server.serve_forever(). start() and wait until stop() (from another green thread
  // of the same hub). Blocks the caller (yields). Throws the caller's pending interrupt.
  void serve_forever();
  // Python: server.stop(timeout). Stops accepting (closes the listener), waits up to
  // `timeout` for running handlers, then kills those still running. Blocks? up to timeout.
  void stop(triad::Timeout timeout = triad::seconds(1));

  // Python: server.address / server.server_port — the bound address (port 0 resolved).
  [[nodiscard]] net::Address address() const;
  [[nodiscard]] bool started() const noexcept { return started_; }
  // Connections accepted so far.
  [[nodiscard]] std::size_t accepted() const noexcept { return accepted_; }

 private:
  void accept_loop();

  net::Address requested_;
  std::optional<net::socket> listener_;
  Handler handle_;
  std::unique_ptr<Group> group_;
  int backlog_;
  bool started_ = false;
  bool stopping_ = false;
  std::size_t accepted_ = 0;
  BasicGreenlet acceptor_;
};

}  // namespace triad::green
