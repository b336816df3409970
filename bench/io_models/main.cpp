// One IO model's echo server as a standalone program, for bench/io_models/run.sh.
// Usage: bench_io_model PORT MODEL   (MODEL: blocking, nonblocking, select, poll, epoll,
// io_uring, signal). Prints "ready" once listening; serves until SIGINT/SIGTERM, then stops
// the server cleanly.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "s36_io_models/io_models.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PORT MODEL\n", argv[0]);
    return 2;
  }
  auto server = io_models::make_server(argv[2]);
  if (!server) {
    std::fprintf(stderr, "unknown model '%s'\n", argv[2]);
    return 2;
  }
  // Termination signals are taken synchronously below: block them before any thread starts.
  sigset_t quit;
  sigemptyset(&quit);
  sigaddset(&quit, SIGINT);
  sigaddset(&quit, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &quit, nullptr);
  try {
    server->start(std::atoi(argv[1]));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[2], e.what());
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  int sig = 0;
  sigwait(&quit, &sig);
  server->stop();
  return 0;
}
