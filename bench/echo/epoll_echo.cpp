// The baseline: a hand-written single-threaded epoll echo server (level-triggered, one read and
// one write per readiness event, the usual way such servers are written).
// Usage: bench_echo_epoll PORT
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(lfd, 1024) != 0) {
    std::perror("bind/listen");
    return 1;
  }
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  std::vector<std::string> pending;  // unsent bytes per fd (rare with small messages)
  char buf[65536];
  epoll_event evs[256];
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) {
    const int n = ::epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = evs[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          const int c = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          if (static_cast<std::size_t>(c) >= pending.size()) pending.resize(static_cast<std::size_t>(c) + 1);
          epoll_event ce{};
          ce.events = EPOLLIN;
          ce.data.fd = c;
          ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        }
        continue;
      }
      std::string& out = pending[static_cast<std::size_t>(fd)];
      if ((evs[i].events & EPOLLOUT) && !out.empty()) {
        const ssize_t w = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
        if (w > 0) out.erase(0, static_cast<std::size_t>(w));
        if (out.empty()) {
          epoll_event ce{};
          ce.events = EPOLLIN;
          ce.data.fd = fd;
          ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ce);
        }
        continue;
      }
      const ssize_t r = ::read(fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        ::close(fd);
        out.clear();
        continue;
      }
      const ssize_t w = ::send(fd, buf, static_cast<std::size_t>(r), MSG_NOSIGNAL);
      if (w < r) {
        out.append(buf + (w > 0 ? w : 0), static_cast<std::size_t>(r - (w > 0 ? w : 0)));
        epoll_event ce{};
        ce.events = EPOLLIN | EPOLLOUT;
        ce.data.fd = fd;
        ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ce);
      }
    }
  }
}
