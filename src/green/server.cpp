#include "triad/green/server.hpp"

#include <sys/socket.h>

#include <cstdio>

#include "hub_internal.hpp"
#include "triad/net/errors.hpp"

namespace triad::green {

StreamServer::StreamServer(net::Address address, Handler handle,
                           std::optional<std::size_t> pool_size, int backlog)
    : requested_(std::move(address)), handle_(std::move(handle)), backlog_(backlog) {
  if (pool_size) {
    group_ = std::make_unique<Pool>(*pool_size);
  } else {
    group_ = std::make_unique<Group>();
  }
}

StreamServer::StreamServer(net::socket listener, Handler handle,
                           std::optional<std::size_t> pool_size, int backlog)
    : StreamServer(net::Address(), std::move(handle), pool_size, backlog) {
  listener_.emplace(std::move(listener));
}

StreamServer::~StreamServer() {
  try {
    if (started_ && !stopping_) stop(triad::seconds(0));
  } catch (...) {
  }
}

void StreamServer::start() {
  if (started_) return;
  if (!listener_) {
    net::socket s(requested_.is_unix() ? AF_UNIX : AF_INET, SOCK_STREAM);
    if (requested_.is_inet()) s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    s.bind(requested_);
    listener_.emplace(std::move(s));
  }
  listener_->listen(backlog_);
  started_ = true;
  acceptor_ = green::spawn([this] { accept_loop(); });
}

void StreamServer::accept_loop() {
  while (!stopping_) {
    if (auto* pool = dynamic_cast<Pool*>(group_.get())) pool->wait_available();
    std::pair<net::socket, net::Address> conn;
    try {
      conn = listener_->accept();
    } catch (const net::OSError& e) {
      if (stopping_) return;  // the listener was closed by stop()
      std::fprintf(stderr, "triad::green::StreamServer: accept failed: %s\n", e.what());
      continue;  // e.g. EMFILE: gevent logs and keeps serving
    }
    ++accepted_;
    auto shared = std::make_shared<std::pair<net::socket, net::Address>>(std::move(conn));
    group_->spawn([this, shared] {
      struct Closer {
        net::socket& s;
        ~Closer() { s.close(); }
      } closer{shared->first};
      handle_(shared->first, shared->second);
    });
  }
}

void StreamServer::serve_forever() {
  start();
  acceptor_.join();
}

void StreamServer::stop(triad::Timeout timeout) {
  if (!started_ || stopping_) return;
  stopping_ = true;
  if (listener_) listener_->close();  // wakes the acceptor (accept raises EBADF)
  if (acceptor_.valid()) acceptor_.join(triad::seconds(5));
  if (!group_->join(timeout)) group_->kill();
}

net::Address StreamServer::address() const {
  if (listener_ && listener_->fileno() >= 0) return listener_->getsockname();
  return requested_;
}

}  // namespace triad::green
