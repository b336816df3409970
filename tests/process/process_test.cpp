// Process, start methods, current_process/parent_process/active_children.
// Ports the behaviour of CPython's _test_multiprocessing._TestProcess.
#include "triad/process/process.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "process/leak_check.hpp"

namespace tp = triad::process;

namespace {

// Spawned children of this test binary start here (gtest_main owns main()).
const int kBootstrapped = (tp::bootstrap(), 0);

int g_global = 1;

void set_global(int v) { g_global = v; }
void exit_with(int code) { tp::sys_exit(code); }
void throw_value_error() { throw triad::ValueError("boom in the child"); }
// Blocks until every write end of the pipe is closed (closes the child's own copy first).
void block_forever(int read_fd, int write_fd) {
  if (write_fd >= 0) ::close(write_fd);
  char c;
  while (::read(read_fd, &c, 1) != 0) {
  }
}
void write_byte(int fd, char c) { (void)!::write(fd, &c, 1); }

void spawned_exit(int code, std::string s) { tp::sys_exit(s == "héllo" ? code : 99); }

class ProcessTest : public triad::process::testing::LeakCheckedTest {};

TEST_F(ProcessTest, StartJoinExitcodeZero) {
  tp::Process p(set_global, 5);
  EXPECT_FALSE(p.is_alive());
  EXPECT_FALSE(p.pid().has_value());
  EXPECT_FALSE(p.exitcode().has_value());
  p.start();
  EXPECT_TRUE(p.pid().has_value());
  EXPECT_TRUE(p.join());
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_FALSE(p.is_alive());
  EXPECT_EQ(g_global, 1) << "memory isolation: the child's write is not visible";
}

TEST_F(ProcessTest, CapturingLambdaWithFork) {
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  std::string msg = "captured";
  tp::Process p([&] {
    (void)!::write(pipefd[1], msg.data(), msg.size());
  });
  p.start();
  ::close(pipefd[1]);
  char buf[32] = {};
  std::size_t got = 0;
  ssize_t n;
  while ((n = ::read(pipefd[0], buf + got, sizeof(buf) - got)) > 0) got += static_cast<std::size_t>(n);
  ::close(pipefd[0]);
  p.join();
  EXPECT_EQ(std::string(buf, got), "captured");
}

TEST_F(ProcessTest, SysExitCode) {
  tp::Process p(exit_with, 7);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 7);
}

TEST_F(ProcessTest, ExceptionPrintsAndExitsOne) {
  int errpipe[2];
  ASSERT_EQ(::pipe(errpipe), 0);
  tp::Process p([&] {
    ::dup2(errpipe[1], 2);
    throw_value_error();
  });
  p.start();
  ::close(errpipe[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(errpipe[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(errpipe[0]);
  p.join();
  EXPECT_EQ(p.exitcode(), 1);
  EXPECT_NE(out.find("Process " + p.name() + ":"), std::string::npos) << out;
  EXPECT_NE(out.find("Traceback (most recent call last):"), std::string::npos) << out;
  EXPECT_NE(out.find("triad::ValueError: boom in the child"), std::string::npos) << out;
}

TEST_F(ProcessTest, TerminateGivesMinusSigterm) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  tp::Process p(block_forever, fds[0], fds[1]);
  p.start();
  EXPECT_TRUE(p.is_alive());
  EXPECT_FALSE(p.join(std::chrono::milliseconds(10)));
  EXPECT_FALSE(p.exitcode().has_value());
  p.terminate();
  EXPECT_TRUE(p.join());
  EXPECT_EQ(p.exitcode(), -SIGTERM);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_F(ProcessTest, KillGivesMinusSigkill) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  tp::Process p(block_forever, fds[0], fds[1]);
  p.start();
  p.kill();
  p.join();
  EXPECT_EQ(p.exitcode(), -SIGKILL);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_F(ProcessTest, NamesCountFromOneAndDaemonInherits) {
  tp::Process a(set_global, 1), b(set_global, 2);
  const auto na = a.name(), nb = b.name();
  ASSERT_EQ(na.rfind("Process-", 0), 0u);
  EXPECT_EQ(std::stoi(nb.substr(8)), std::stoi(na.substr(8)) + 1);
  EXPECT_FALSE(a.daemon());
  tp::Process c(tp::ProcessOptions().with_name("worker").with_daemon(true), set_global, 3);
  EXPECT_EQ(c.name(), "worker");
  EXPECT_TRUE(c.daemon());
  EXPECT_EQ(tp::current_process().name(), "MainProcess");
  EXPECT_FALSE(tp::parent_process().has_value());
  EXPECT_EQ(tp::current_process().authkey().size(), 32u);
  EXPECT_EQ(a.authkey(), tp::current_process().authkey());
}

TEST_F(ProcessTest, MisuseRaises) {
  tp::Process p(set_global, 1);
  EXPECT_THROW(p.join(), triad::RuntimeError);
  EXPECT_THROW((void)p.sentinel(), triad::ValueError);
  p.start();
  EXPECT_THROW(p.start(), triad::RuntimeError);
  EXPECT_THROW(p.set_daemon(true), triad::RuntimeError);
  EXPECT_THROW(tp::current_process().join(), triad::RuntimeError);
  p.join();
  p.close();
  EXPECT_THROW((void)p.is_alive(), triad::ValueError);
  EXPECT_THROW(p.start(), triad::ValueError);
}

TEST_F(ProcessTest, CloseWhileRunningRaises) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  tp::Process p(block_forever, fds[0], fds[1]);
  p.start();
  EXPECT_THROW(p.close(), triad::ValueError);
  ::close(fds[1]);  // EOF ends the child
  p.join();
  p.close();
  ::close(fds[0]);
}

TEST_F(ProcessTest, SentinelIsReadableAfterExit) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  tp::Process p(block_forever, fds[0], fds[1]);
  p.start();
  pollfd pf{p.sentinel(), POLLIN, 0};
  EXPECT_EQ(::poll(&pf, 1, 0), 0);
  ::close(fds[1]);
  EXPECT_EQ(::poll(&pf, 1, -1), 1);
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  ::close(fds[0]);
}

TEST_F(ProcessTest, ChildSeesItselfAndItsParent) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t me = ::getpid();
  tp::Process p(tp::ProcessOptions().with_name("kid"), [&] {
    auto& cur = tp::current_process();
    auto parent = tp::parent_process();
    bool ok = cur.name() == "kid" && cur.pid() == ::getpid() && cur.is_alive() && parent &&
              parent->pid == me && parent->name == "MainProcess" && parent->is_alive();
    write_byte(fds[1], ok ? 'y' : 'n');
  });
  p.start();
  char c = 0;
  ASSERT_EQ(::read(fds[0], &c, 1), 1);
  EXPECT_EQ(c, 'y');
  p.join();
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_F(ProcessTest, ActiveChildrenListsAndReaps) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  tp::Process p(block_forever, fds[0], fds[1]);
  p.start();
  auto kids = tp::active_children();
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_EQ(kids[0], &p);
  ::close(fds[1]);
  p.join();
  EXPECT_TRUE(tp::active_children().empty());
  ::close(fds[0]);
}

TEST_F(ProcessTest, DestroyedRunningProcessIsReapedLater) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    tp::Process p(block_forever, fds[0], fds[1]);
    p.start();
  }
  EXPECT_TRUE(tp::active_children().empty()) << "its object is gone, so it is not listed";
  ::close(fds[1]);
  ::close(fds[0]);
  // The leak checker waits for every child of this process to be reaped.
}

TEST_F(ProcessTest, GrandchildNamesAndDaemonCannotHaveChildren) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  tp::Process p(tp::ProcessOptions().with_daemon(true), [&] {
    char c = 'y';
    try {
      tp::Process q(set_global, 1);
      q.start();
      c = 'n';
    } catch (const triad::RuntimeError& e) {
      if (std::string(e.what()) != "daemonic processes are not allowed to have children") c = 'm';
    }
    write_byte(fds[1], c);
  });
  p.start();
  char c = 0;
  ASSERT_EQ(::read(fds[0], &c, 1), 1);
  EXPECT_EQ(c, 'y');
  p.join();
  EXPECT_EQ(p.exitcode(), 0);

  tp::Process outer([&] {
    tp::Process inner(set_global, 1);
    const std::string expect = tp::current_process().name() + ":1";
    write_byte(fds[1], inner.name() == expect ? 'y' : 'n');
  });
  outer.start();
  ASSERT_EQ(::read(fds[0], &c, 1), 1);
  EXPECT_EQ(c, 'y');
  outer.join();
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_F(ProcessTest, ExitJoinsChildrenOfTheChild) {
  // A child that starts a non-daemon grandchild and returns: the child's exit joins it, so
  // the grandchild's write happens before the child is reaped.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  tp::Process p([&] {
    tp::Process g(write_byte, fds[1], 'g');
    g.start();
  });
  p.start();
  p.join();
  char c = 0;
  pollfd pf{fds[0], POLLIN, 0};
  ASSERT_EQ(::poll(&pf, 1, 0), 1);
  ASSERT_EQ(::read(fds[0], &c, 1), 1);
  EXPECT_EQ(c, 'g');
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_F(ProcessTest, DaemonChildDiesWhenItsParentIsKilled) {
  // The parent (a child of the test) starts a daemon grandchild, reports its pid, then is
  // SIGKILLed: PR_SET_PDEATHSIG ends the grandchild.
  int fds[2], hold[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::pipe(hold), 0);
  tp::Process parent([&] {
    tp::Process d(tp::ProcessOptions().with_daemon(true), block_forever, hold[0], -1);
    d.start();
    const pid_t gpid = *d.pid();
    (void)!::write(fds[1], &gpid, sizeof gpid);
    block_forever(hold[0], -1);
  });
  parent.start();
  pid_t gpid = 0;
  ASSERT_EQ(::read(fds[0], &gpid, sizeof gpid), static_cast<ssize_t>(sizeof gpid));
  const int gfd = static_cast<int>(::syscall(SYS_pidfd_open, gpid, 0));
  ASSERT_GE(gfd, 0);
  parent.kill();
  parent.join();
  pollfd pf{gfd, POLLIN, 0};
  EXPECT_EQ(::poll(&pf, 1, 1000), 1) << "the daemon grandchild is gone within 1 s";
  ::close(gfd);
  for (int fd : {fds[0], fds[1], hold[0], hold[1]}) ::close(fd);
}

TEST_F(ProcessTest, SpawnRunsAFunctionPointerWithArguments) {
  tp::Process p(tp::ProcessOptions().with_context(tp::get_context("spawn")), spawned_exit, 42, std::string("héllo"));
  p.start();
  EXPECT_TRUE(p.join(std::chrono::seconds(60)));
  EXPECT_EQ(p.exitcode(), 42);
}

TEST_F(ProcessTest, SpawnRunsACaptureLessLambda) {
  tp::Process p(tp::ProcessOptions().with_context(tp::get_context("spawn")), [](int x) { tp::sys_exit(x + 1); }, 4);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 5);
}

TEST_F(ProcessTest, SpawnRejectsCapturingLambda) {
  int x = 3;
  tp::Process p(tp::ProcessOptions().with_context(tp::get_context("spawn")), [x] { tp::sys_exit(x); });
  EXPECT_THROW(p.start(), triad::ValueError);
}

TEST_F(ProcessTest, ContextsAndStartMethods) {
  EXPECT_EQ(tp::get_start_method(), "fork");
  EXPECT_EQ(tp::get_context("spawn").get_start_method(), "spawn");
  EXPECT_THROW((void)tp::get_context("forkserverx"), triad::ValueError);
  EXPECT_EQ(tp::get_all_start_methods().size(), 2u);
  EXPECT_GE(tp::cpu_count(), 1);
}

}  // namespace
