// S17 (seed 001, 守护线程): a daemon thread does not keep the process alive.
//
// Python (seed 001):
//   def task(): time.sleep(5); print("子线程...")
//   t = Thread(target=task); t.daemon = True; t.start(); print("over")
//   # prints only "over": the process ends when its last non-daemon thread (main) ends
//
// Proving that a line is never printed needs the process to end, so the port runs each
// program in a forked child whose standard output is a pipe: when the pipe reaches EOF the
// child is gone and nothing more can appear. The contrast case, a non-daemon thread, shows
// that normal exit waits for it (its late line does appear, after "over").
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>

#include "tour/scenario.hpp"
#include "triad/threading/thread.hpp"

namespace {

using namespace std::chrono_literals;

#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kThreadSanitizer = true;
#else
constexpr bool kThreadSanitizer = false;
#endif
#else
constexpr bool kThreadSanitizer = false;
#endif

// A line to the pipe (the child's stdout); write(2) only: no locks shared with the parent.
void emit(int fd, std::string_view line) {
  std::string text(line);
  text += '\n';
  std::string_view rest = text;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

struct ChildRun {
  std::string output;
  bool exited = false;  // exited on its own (not killed by the parent's time limit)
  int status = -1;
  std::chrono::duration<double> elapsed{};
};

// The seed's program, in a forked child: a thread (daemon or not) that sleeps, then prints;
// main prints "over" and ends with a normal exit (what returning from main() does).
ChildRun run_program(bool daemon, std::chrono::nanoseconds thread_sleep,
                     std::chrono::nanoseconds time_limit) {
  ChildRun run;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return run;
  std::cout.flush();
  std::fflush(nullptr);  // nothing buffered may be written twice (by parent and child)
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return run;
  }
  if (pid == 0) {
    ::close(fds[0]);
    const int out = fds[1];
    triad::Thread t([out, thread_sleep] {
      std::this_thread::sleep_for(thread_sleep);  // ok-sleep: the seed's time.sleep(5)
      emit(out, "子线程...");
    });
    t.set_daemon(daemon);
    t.start();
    emit(out, "over");
    std::exit(0);  // normal exit: joins non-daemon threads, abandons daemon ones
  }
  ::close(fds[1]);
  const auto deadline = start + time_limit;
  char buf[256];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fds[0], POLLIN, 0};
    const int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;  // time limit: the child hangs
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child (and every thread in it) is gone
    run.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  // Reap it; kill it if it outlived the limit, so nothing is left behind.
  while (true) {
    const pid_t r = ::waitpid(pid, &run.status, WNOHANG);
    if (r == pid) {
      run.exited = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &run.status, 0);
      break;
    }
    std::this_thread::sleep_for(1ms);  // ok-sleep: polling waitpid until the time limit
  }
  run.elapsed = std::chrono::steady_clock::now() - start;
  return run;
}

// The child's output on one line: "over | 子线程...".
std::string quoted(std::string output) {
  if (!output.empty() && output.back() == '\n') output.pop_back();
  std::string s;
  for (const char c : output) s += c == '\n' ? std::string(" | ") : std::string(1, c);
  return "\"" + s + "\"";
}

}  // namespace

TOUR_SCENARIO(S17, "001", "守护线程", "A daemon thread does not keep the process alive",
              "In a child process, main prints \"over\" and exits while a daemon thread sleeps: "
              "the daemon's late line never appears; a non-daemon thread's does.") {
  const auto sleep = ctx.scaled(5s);
  // ThreadSanitizer sleeps 1 s inside exit() (its atexit_sleep_ms), which would let a short
  // daemon sleep end and print before the process is gone: under TSan the daemon sleeps 3 s.
  const auto daemon_sleep = kThreadSanitizer ? std::max<std::chrono::nanoseconds>(sleep, 3s) : sleep;
  const auto limit = std::chrono::duration_cast<std::chrono::nanoseconds>(daemon_sleep * 4 + 20s);

  const ChildRun d = run_program(/*daemon=*/true, daemon_sleep, limit);
  ctx.say("daemon thread:     child printed " + quoted(d.output) + ", exited after " +
          tour::format_seconds(d.elapsed));
  ctx.check(d.exited && WIFEXITED(d.status) && WEXITSTATUS(d.status) == 0,
            "the child exits normally without waiting for its daemon thread");
  ctx.check(d.output == "over\n", "only \"over\" appears: the daemon thread's late line never does");

  const ChildRun n = run_program(/*daemon=*/false, sleep, limit);
  ctx.say("non-daemon thread: child printed " + quoted(n.output) + ", exited after " +
          tour::format_seconds(n.elapsed));
  ctx.check(n.exited && WIFEXITED(n.status) && WEXITSTATUS(n.status) == 0,
            "the child with a non-daemon thread exits normally");
  ctx.check(n.output == "over\n子线程...\n",
            "normal exit waits for a non-daemon thread: its line appears after \"over\"");
}
