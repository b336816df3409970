// A fixture for every process-layer test: after the test, no child process is left (running
// or zombie), no file descriptor leaked and no /dev/shm segment leaked.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "triad/process/process.hpp"

namespace triad::process::testing {

inline std::set<std::string> list_dir(const char* path) {
  std::set<std::string> out;
  if (DIR* d = ::opendir(path)) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.insert(n);
    }
    ::closedir(d);
  }
  return out;
}

// fd number -> what it points to.
inline std::set<std::string> open_fds() {
  std::set<std::string> out;
  for (const auto& n : list_dir("/proc/self/fd")) {
    char buf[512];
    const std::string p = "/proc/self/fd/" + n;
    const ssize_t len = ::readlink(p.c_str(), buf, sizeof buf - 1);
    if (len < 0) continue;  // the directory's own fd, closed by now
    out.insert(n + " -> " + std::string(buf, static_cast<std::size_t>(len)));
  }
  return out;
}

// The pids (and states) of this process's children.
inline std::vector<std::string> my_children() {
  std::vector<std::string> out;
  const std::string me = std::to_string(::getpid());
  for (const auto& n : list_dir("/proc")) {
    if (n.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in("/proc/" + n + "/stat");
    std::string line;
    std::getline(in, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == me) out.push_back(n + " (" + state + ")");
  }
  return out;
}

class LeakCheckedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fds_ = open_fds();
    shm_ = list_dir("/dev/shm");
  }
  void TearDown() override {
    // Children may still be finishing their exit; active_children() reaps them. Give them
    // a generous time (a noisy 2-core VM), polling, never sleeping blindly.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::vector<std::string> kids;
    for (;;) {
      (void)active_children();
      kids = my_children();
      if (kids.empty() || std::chrono::steady_clock::now() > deadline) break;
      ::usleep(2000);  // ok-sleep: polling /proc for children to finish exiting
    }
    std::string k;
    for (auto& s : kids) k += s + " ";
    EXPECT_TRUE(kids.empty()) << "children left behind: " << k;
    const auto fds = open_fds();
    std::string extra;
    for (const auto& f : fds)
      if (!fds_.count(f)) extra += f + "; ";
    EXPECT_TRUE(extra.empty()) << "leaked fds: " << extra;
    std::string shm;
    // Only triad's names: /dev/shm is shared by the whole machine (Python's multiprocessing
    // and benchmarks running beside the tests create their own segments there).
    for (const auto& s : list_dir("/dev/shm"))
      if (!shm_.count(s) && s.rfind("triad", 0) == 0 && s.rfind("triad_bench", 0) != 0)
        shm += s + " ";
    EXPECT_TRUE(shm.empty()) << "leaked /dev/shm segments: " << shm;
  }

 private:
  std::set<std::string> fds_;
  std::set<std::string> shm_;
};

}  // namespace triad::process::testing
