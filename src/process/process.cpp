#include "triad/process/process.hpp"

#include <cxxabi.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "state.hpp"
#include "triad/core/error.hpp"

#ifndef P_PIDFD
#define P_PIDFD 3  // linux/wait.h clashes with sys/wait.h
#endif

namespace triad::process {
namespace detail {

ChildRecord::~ChildRecord() {
  if (pidfd >= 0) ::close(pidfd);
}

std::optional<int> ChildRecord::try_reap() {
  std::lock_guard<std::mutex> g(mutex);
  if (exitcode || pidfd < 0) return exitcode;
  siginfo_t si{};
  const int r = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &si,
                         WEXITED | WNOHANG);
  if (r == 0) {
    if (si.si_pid == 0) return std::nullopt;  // still running
    exitcode = (si.si_code == CLD_EXITED) ? si.si_status : -si.si_status;
  } else if (errno == ECHILD) {
    exitcode = 255;  // someone else (waitpid(-1)) reaped it: the status is lost
  }
  return exitcode;
}

namespace {

void at_fork_prepare() { state().registry_mutex.lock(); }
void at_fork_parent() { state().registry_mutex.unlock(); }
void at_fork_child() {
  State& st = state();
  st.registry_mutex.unlock();
  // The parent's children are not ours: drop their pidfds without touching their processes.
  for (auto& rec : st.children) {
    if (rec->pidfd >= 0) ::close(rec->pidfd);
    rec->pidfd = -1;
  }
  st.children.clear();
}

State* make_state() {
  auto* st = new State;  // never destroyed: used by the at-exit handler and forked children
  ::pthread_atfork(at_fork_prepare, at_fork_parent, at_fork_child);
  return st;
}

std::string random_key() {
  std::string key(32, '\0');
  std::size_t got = 0;
  while (got < key.size()) {
    const ssize_t n = ::getrandom(key.data() + got, key.size() - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
    else if (errno != EINTR) throw RuntimeError(std::string("getrandom failed: ") + std::strerror(errno));
  }
  return key;
}

std::string identity_name(const std::vector<int>& id) {
  std::string s = "Process-";
  for (std::size_t i = 0; i < id.size(); ++i) {
    if (i) s += ':';
    s += std::to_string(id[i]);
  }
  return s;
}

void flush_stdio() {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
}

// Waits until fd is readable or the deadline passes; returns whether it is readable.
bool wait_readable(int fd, Deadline deadline) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    timespec ts{};
    const timespec* tsp = nullptr;
    if (!deadline.is_never()) {
      const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.remaining()).count();
      ts.tv_sec = static_cast<time_t>(left / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(left % 1'000'000'000);
      tsp = &ts;
    }
    const int r = ::ppoll(&p, 1, tsp, nullptr);
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

void wait_and_reap(ChildRecord& rec) {
  while (!rec.try_reap()) wait_readable(rec.pidfd, Deadline::never());
}

// Python's util._exit_function for the children: terminate the daemons, join everybody.
void end_children() {
  State& st = state();
  std::vector<std::shared_ptr<ChildRecord>> kids;
  {
    std::lock_guard<std::mutex> g(st.registry_mutex);
    kids = st.children;
  }
  for (auto& rec : kids)
    if (rec->daemon && !rec->try_reap() && rec->pidfd >= 0)
      detail::pidfd_send_signal(rec->pidfd, SIGTERM);
  for (auto& rec : kids)
    if (rec->pidfd >= 0) wait_and_reap(*rec);
  reap_finished();
}

void exit_handler() { end_children(); }

std::string demangle(const char* name) {
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string s = (status == 0 && d) ? d : name;
  std::free(d);
  return s;
}

std::string current_exception_type() {
  const std::type_info* t = abi::__cxa_current_exception_type();
  return t ? demangle(t->name()) : "unknown exception";
}

}  // namespace

State& state() {
  static State* st = make_state();
  return *st;
}

void register_child(const std::shared_ptr<ChildRecord>& rec) {
  State& st = state();
  std::lock_guard<std::mutex> g(st.registry_mutex);
  st.children.push_back(rec);
  if (!st.atexit_registered) {
    st.atexit_registered = true;
    std::atexit(exit_handler);
  }
}

void reap_finished() {
  State& st = state();
  std::lock_guard<std::mutex> g(st.registry_mutex);
  std::erase_if(st.children, [](const std::shared_ptr<ChildRecord>& r) {
    return r->try_reap().has_value();
  });
}

void run_child(Process& self, const std::function<void()>& body) {
  int code = 0;
  try {
    body();
  } catch (const SystemExit& e) {
    code = e.code;
  } catch (const std::exception& e) {
    const std::string type = current_exception_type();
    std::fprintf(stderr, "Process %s:\nTraceback (most recent call last):\n  <the target of %s (pid %d)>\n%s: %s\n",
                 self.name().c_str(), self.name().c_str(), static_cast<int>(::getpid()),
                 type.c_str(), e.what());
    code = 1;
  } catch (...) {
    const std::string type = current_exception_type();
    std::fprintf(stderr, "Process %s:\nTraceback (most recent call last):\n  <the target of %s (pid %d)>\n%s\n",
                 self.name().c_str(), self.name().c_str(), static_cast<int>(::getpid()),
                 type.c_str());
    code = 1;
  }
  try {
    end_children();
  } catch (...) {
  }
  flush_stdio();
  ::_exit(code);
}

void check_not_bootstrapping() {
  if (std::getenv(kSpawnEnv) == nullptr) return;
  std::fprintf(stderr,
               "RuntimeError: An attempt has been made to start a new process before the current "
               "process has finished its bootstrapping phase.\n"
               "This probably means that you are using the 'spawn' start method and main() does "
               "not call triad::process::bootstrap() first:\n"
               "    int main(int argc, char** argv) {\n"
               "        triad::process::bootstrap();   // like `if __name__ == '__main__':`\n"
               "        ...\n");
  flush_stdio();
  ::_exit(1);
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw RuntimeError(std::string("cannot send to the child: ") + std::strerror(errno));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace detail

using detail::state;

void sys_exit(int code) {
  if (state().parent) throw SystemExit{code};
  std::exit(code);
}

Process::Process(ProcessOptions options)
    : name_(std::move(options.name)),
      context_(options.context ? options.context : &get_context()) {
  auto& st = state();
  if (st.making_main) return;
  Process& cur = current_process();
  identity_ = st.identity;
  identity_.push_back(++st.counter);
  if (name_.empty()) name_ = detail::identity_name(identity_);
  daemon_ = options.daemon.value_or(cur.daemon());
  authkey_ = cur.authkey();
}

Process::~Process() {
  if (child_) {
    std::lock_guard<std::mutex> g(state().registry_mutex);
    child_->owner = nullptr;
  }
}

void Process::run() {
  if (target_) target_->call();
}

void Process::check_closed() const {
  if (closed_) throw ValueError("process object is closed");
}

void Process::set_daemon(bool daemonic) {
  if (child_) throw RuntimeError("process has already started");
  daemon_ = daemonic;
}

void Process::start() {
  check_closed();
  if (child_) throw RuntimeError("cannot start a process twice");
  if (this == &current_process()) throw RuntimeError("cannot start a process twice");
  if (state().parent && current_process().daemon())
    throw RuntimeError("daemonic processes are not allowed to have children");
  detail::check_not_bootstrapping();
  detail::reap_finished();
  if (context_->start_method() == StartMethod::spawn) start_spawn();
  else start_fork();
}

void Process::start_fork() {
  detail::flush_stdio();
  auto rec = std::make_shared<detail::ChildRecord>();
  rec->daemon = daemon_;
  rec->owner = this;
  const pid_t parent_pid = ::getpid();
  const std::string parent_name = current_process().name();
  const pid_t pid = ::fork();
  if (pid < 0) throw RuntimeError(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    if (daemon_) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent_pid) ::_exit(1);  // the parent died before prctl
    }
    auto& st = state();
    st.parent = ParentProcess{parent_name, parent_pid};
    st.current = this;
    st.identity = identity_;
    st.counter = 0;
    detail::run_child(*this, [this] { run(); });
  }
  rec->pid = pid;
  rec->pidfd = detail::pidfd_open(pid);
  if (rec->pidfd < 0) {
    const int err = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw RuntimeError(std::string("pidfd_open failed: ") + std::strerror(err));
  }
  child_ = rec;
  detail::register_child(rec);
}

bool Process::join(Timeout timeout) {
  check_closed();
  if (this == &current_process()) throw RuntimeError("can only join a child process");
  if (!child_) throw RuntimeError("can only join a started process");
  const Deadline deadline = Deadline::after(timeout);
  for (;;) {
    if (child_->try_reap()) break;
    if (!detail::wait_readable(child_->pidfd, deadline)) {
      if (child_->try_reap()) break;
      return false;
    }
  }
  detail::reap_finished();
  return true;
}

bool Process::is_alive() {
  check_closed();
  if (this == &current_process()) return true;
  if (!child_) return false;
  return !child_->try_reap().has_value();
}

std::optional<int> Process::exitcode() {
  check_closed();
  if (!child_) return std::nullopt;
  return child_->try_reap();
}

std::optional<pid_t> Process::pid() const {
  check_closed();
  if (this == state().current) return ::getpid();
  if (!child_) return std::nullopt;
  return child_->pid;
}

namespace {
void send_signal(detail::ChildRecord& rec, int sig) {
  std::lock_guard<std::mutex> g(rec.mutex);
  if (rec.exitcode || rec.pidfd < 0) return;
  detail::pidfd_send_signal(rec.pidfd, sig);  // ESRCH: it has just ended; fine
}
}  // namespace

void Process::terminate() {
  check_closed();
  if (child_) send_signal(*child_, SIGTERM);
}

void Process::kill() {
  check_closed();
  if (child_) send_signal(*child_, SIGKILL);
}

int Process::sentinel() const {
  check_closed();
  if (!child_) throw ValueError("process not started");
  return child_->pidfd;
}

void Process::close() {
  if (closed_) return;
  if (child_) {
    if (!child_->try_reap())
      throw ValueError(
          "Cannot close a process while it is still running. You should first call join() or "
          "terminate().");
    detail::reap_finished();
    std::lock_guard<std::mutex> g(child_->mutex);
    if (child_->pidfd >= 0) ::close(child_->pidfd);
    child_->pidfd = -1;
  }
  closed_ = true;
}

struct ProcessAccess {
  static Process* make_main() {
    auto& st = state();
    st.making_main = true;
    auto* p = new Process(ProcessOptions{"MainProcess", false, nullptr});
    st.making_main = false;
    p->authkey_ = detail::random_key();
    return p;
  }
};

Process& current_process() {
  auto& st = state();
  if (!st.current) {
    static Process* main_process = ProcessAccess::make_main();
    st.current = main_process;
  }
  return *st.current;
}

bool ParentProcess::is_alive() const { return ::getppid() == pid; }

std::optional<ParentProcess> parent_process() { return state().parent; }

std::vector<Process*> active_children() {
  detail::reap_finished();
  auto& st = state();
  std::vector<Process*> out;
  std::lock_guard<std::mutex> g(st.registry_mutex);
  for (auto& rec : st.children)
    if (rec->owner) out.push_back(rec->owner);
  return out;
}

int cpu_count() noexcept {
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

}  // namespace triad::process
