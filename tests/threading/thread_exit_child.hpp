// Helpers for thread_test.cpp and timer_test.cpp: run this test binary again as a child
// process (posix_spawn of /proc/self/exe with a gtest filter and an environment variable) and
// collect its output, with a generous deadline instead of any sleep.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace triad::test {

struct ChildResult {
  int status = -1;  // raw waitpid status
  std::string output;
  bool timed_out = false;
};

// Runs `<this binary> --gtest_filter=<filter>` with TRIAD_THREAD_EXIT_CHILD=<mode>.
inline ChildResult run_child(const std::string& filter, const std::string& mode) {
  ChildResult r;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return r;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  std::string exe = "/proc/self/exe";
  std::string filter_arg = "--gtest_filter=" + filter;
  std::string env_arg = "TRIAD_THREAD_EXIT_CHILD=" + mode;
  std::vector<char*> argv{exe.data(), filter_arg.data(), nullptr};
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "TRIAD_THREAD_EXIT_CHILD=", 24) != 0 &&
        std::strncmp(*e, "GTEST_", 6) != 0) {
      envp.push_back(*e);
    }
  }
  envp.push_back(env_arg.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return r;
  }
  // Read until EOF; a hung child is killed after a generous deadline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      r.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int n = poll(&p, 1, static_cast<int>(left));
    if (n < 0) continue;
    if (n == 0) continue;
    const ssize_t got = read(fds[0], buf, sizeof buf);
    if (got <= 0) break;
    r.output.append(buf, static_cast<std::size_t>(got));
  }
  close(fds[0]);
  waitpid(pid, &r.status, 0);
  return r;
}

// Writes a line with one write(2): never buffered, never lost at exit.
inline void say(const char* line) {
  std::string s = std::string(line) + "\n";
  [[maybe_unused]] auto n = write(1, s.data(), s.size());
}

}  // namespace triad::test
