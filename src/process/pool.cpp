// multiprocessing.Pool: the parent's result-handler thread and the worker loop.
//
// The handler thread owns the workers. Each worker has a private Unix stream socket to the
// parent; a frame is an 8-byte length and an encoded PoolTask (parent -> worker) or
// PoolResult (worker -> parent). The parent end is non-blocking and the handler multiplexes
// every socket, every worker's pidfd (sentinel) and an eventfd (new tasks, close, terminate)
// with poll(2), so it never blocks on a worker that died in the middle of a frame — even when
// other children inherited that worker's socket. A worker runs one task at a time: the task
// in flight on a worker is exactly the one lost when the worker dies.
//
// The frames a worker sends: READY (id 0, ok) once its initializer returned, INIT-FAILED
// (id 0, not ok) when it threw, then one result per task (the task's id).
#include "triad/process/pool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "triad/futures/future.hpp"
#include "triad/process/connection.hpp"
#include "triad/process/process.hpp"

namespace triad::process {

namespace {

thread_local const void* tl_handler_core = nullptr;

std::atomic<std::uint64_t> g_next_task_id{1};

std::string os_error_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

void put_u64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
std::uint64_t get_u64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

template <class T>
std::string make_frame(const T& msg) {
  std::string f(8, '\0');
  detail::encode(f, msg);
  put_u64(f.data(), f.size() - 8);
  return f;
}

// Worker side: blocking I/O on its own socket.
bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}
bool read_all(int fd, char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

std::string describe_exit(std::optional<int> code) {
  if (!code) return "an unknown status";
  if (*code < 0) {
    const char* abbrev = ::sigabbrev_np(-*code);
    return "signal " + std::to_string(-*code) + (abbrev ? std::string(" (SIG") + abbrev + ")" : "");
  }
  return "exit code " + std::to_string(*code);
}

}  // namespace

namespace detail {

bool on_pool_handler_thread(const void* core) noexcept {
  return core != nullptr && tl_handler_core == core;
}

void check_not_pool_handler(const void* core, const char* what) {
  if (on_pool_handler_thread(core))
    throw RuntimeError(std::string(what) +
                       " called from a callback of the same Pool on an unfinished result: it "
                       "would deadlock (callbacks run on the pool's result-handler thread, which "
                       "delivers the results)");
}

std::exception_ptr PoolError::make() const {
  switch (kind) {
    case Kind::worker_lost:
      return std::make_exception_ptr(WorkerLostError(message));
    case Kind::cancelled:
      return std::make_exception_ptr(CancelledError(message));
    case Kind::broken:
      return std::make_exception_ptr(BrokenProcessPool(message));
    case Kind::remote:
      break;
  }
  return pool_remote_exception(type_name, message, pid);
}

PoolError pool_error_from_current() {
  PoolError e;
  e.type_name = current_exception_type_name();
  e.pid = static_cast<int>(::getpid());
  try {
    throw;
  } catch (const std::exception& x) {
    e.message = x.what();
  } catch (...) {
  }
  return e;
}

void run_pool_callback(const std::function<void()>& call) noexcept {
  try {
    call();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "Exception in a triad::process::Pool callback (ignored): %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "Exception in a triad::process::Pool callback (ignored): unknown\n");
  }
}

}  // namespace detail

struct Pool::Core {
  enum class State { run, close, terminate };

  struct Job {
    std::uint64_t id = 0;
    std::string frame;
    detail::PoolCompletion done;
  };

  struct Worker {
    std::unique_ptr<Process> proc;
    int fd = -1;        // the parent's end (non-blocking); -1 once closed
    int child_fd = -1;  // the worker's end, open in the parent only during start()
    int sentinel = -1;  // the pidfd, owned by proc
    bool ready = false;
    bool retiring = false;  // no more tasks: its socket was closed, it exits
    int tasks = 0;
    std::optional<Job> job;  // the task in flight
    std::string in;
    std::string out;
    std::size_t out_pos = 0;
  };

  struct Done {
    detail::PoolCompletion done;
    std::string payload;
    std::optional<detail::PoolError> error;
  };

  Core(int n, std::function<void()> init, std::optional<int> maxtasks)
      : processes(n), initializer(std::move(init)), maxtasksperchild(maxtasks) {}

  const int processes;
  const std::function<void()> initializer;
  const std::optional<int> maxtasksperchild;

  // Shared with the API threads, under mu.
  mutable std::mutex mu;
  State state = State::run;
  std::deque<Job> queued;
  std::optional<std::string> broken;  // why the pool broke (BrokenProcessPool's message)
  std::vector<pid_t> pids;

  int wake_fd = -1;
  std::thread handler;
  Promise<void> started;
  Promise<void> finished;
  Future<void> finished_future = finished.get_future();
  std::once_flag joined;

  // The handler thread's own.
  std::vector<std::unique_ptr<Worker>> workers;
  int worker_counter = 0;
  std::vector<Done> completed;

  void wake() const noexcept {
    const std::uint64_t one = 1;
    ssize_t r;
    do {
      r = ::write(wake_fd, &one, sizeof one);
    } while (r < 0 && errno == EINTR);
  }

  void run();
  void spawn_worker();
  void worker_main(Worker* self);
  void publish_pids();
  bool read_from(Worker& w);
  void handle_frame(Worker& w, const std::string& payload);
  void flush(Worker& w);
  void dispatch();
  void retire(Worker& w);
  void reap(std::size_t index);
  void fail_everything(const detail::PoolError& why, bool kill_workers);
  void deliver();
};

void Pool::Core::publish_pids() {
  std::vector<pid_t> p;
  for (auto& w : workers)
    if (!w->retiring)
      if (auto pid = w->proc->pid()) p.push_back(*pid);
  std::lock_guard<std::mutex> g(mu);
  pids.swap(p);
}

void Pool::Core::spawn_worker() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw OSError(os_error_text("Pool: socketpair"), errno);
  auto w = std::make_unique<Worker>();
  w->fd = sv[0];
  w->child_fd = sv[1];
  Worker* self = w.get();
  w->proc = std::make_unique<Process>(
      ProcessOptions()
          .with_name("ForkPoolWorker-" + std::to_string(++worker_counter))
          .with_daemon(true)
          .with_context(get_context("fork")),
      [this, self] { worker_main(self); });
  workers.push_back(std::move(w));
  try {
    self->proc->start();
  } catch (...) {
    ::close(self->fd);
    ::close(self->child_fd);
    workers.pop_back();
    throw;
  }
  ::close(self->child_fd);
  self->child_fd = -1;
  ::fcntl(self->fd, F_SETFL, ::fcntl(self->fd, F_GETFL) | O_NONBLOCK);
  self->sentinel = self->proc->sentinel();
}

// In the forked worker: only this thread exists, and the handler's data is a consistent
// copy (the handler thread forked it).
void Pool::Core::worker_main(Worker* self) {
  for (auto& w : workers) {
    if (w->fd >= 0) ::close(w->fd);
    if (w.get() != self && w->child_fd >= 0) ::close(w->child_fd);
  }
  ::close(wake_fd);
  const int fd = self->child_fd;
  detail::PoolResult hello;
  hello.id = 0;
  hello.pid = static_cast<int>(::getpid());
  hello.ok = true;
  if (initializer) {
    try {
      initializer();
    } catch (const SystemExit&) {
      throw;
    } catch (const std::exception& e) {
      hello.ok = false;
      hello.type_name = detail::current_exception_type_name();
      hello.message = e.what();
    } catch (...) {
      hello.ok = false;
      hello.type_name = detail::current_exception_type_name();
    }
  }
  {
    const std::string f = make_frame(hello);
    if (!write_all(fd, f.data(), f.size()) || !hello.ok) sys_exit(hello.ok ? 0 : 1);
  }
  std::string buf;
  for (;;) {
    char head[8];
    if (!read_all(fd, head, sizeof head)) return;  // the parent closed our socket: done
    buf.resize(get_u64(head));
    if (!read_all(fd, buf.data(), buf.size())) return;
    detail::PoolResult r;
    r.pid = static_cast<int>(::getpid());
    try {
      auto t = detail::decode<detail::PoolTask>(buf.data(), buf.size());
      r.id = t.id;
      auto inv = reinterpret_cast<detail::PoolInvoker>(t.invoker);
      r.payload = inv(reinterpret_cast<const void*>(t.fn), t.args);
      r.ok = true;
    } catch (const SystemExit&) {
      throw;  // sys_exit() in a task ends the worker, as SystemExit does in Python
    } catch (const std::exception& e) {
      r.type_name = detail::current_exception_type_name();
      r.message = e.what();
    } catch (...) {
      r.type_name = detail::current_exception_type_name();
    }
    const std::string f = make_frame(r);
    if (!write_all(fd, f.data(), f.size())) return;
  }
}

// Reads what arrived; handles every complete frame. Returns false at EOF or on an error
// (the socket is closed then; the sentinel tells when the worker has ended).
bool Pool::Core::read_from(Worker& w) {
  char chunk[65536];
  bool open = true;
  for (;;) {
    const ssize_t r = ::recv(w.fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (r > 0) {
      w.in.append(chunk, static_cast<std::size_t>(r));
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    open = false;  // EOF or a reset
    break;
  }
  std::size_t pos = 0;
  while (w.in.size() - pos >= 8) {
    const std::uint64_t len = get_u64(w.in.data() + pos);
    if (w.in.size() - pos - 8 < len) break;
    handle_frame(w, w.in.substr(pos + 8, static_cast<std::size_t>(len)));
    pos += 8 + static_cast<std::size_t>(len);
  }
  w.in.erase(0, pos);
  if (!open) {
    ::close(w.fd);
    w.fd = -1;
  }
  return open;
}

void Pool::Core::handle_frame(Worker& w, const std::string& payload) {
  detail::PoolResult r;
  try {
    r = detail::decode<detail::PoolResult>(payload.data(), payload.size());
  } catch (...) {
    if (w.job) {
      completed.push_back({std::move(w.job->done), {}, detail::pool_error_from_current()});
      w.job.reset();
    }
    return;
  }
  if (r.id == 0) {
    if (r.ok) {
      w.ready = true;
      return;
    }
    std::lock_guard<std::mutex> g(mu);
    if (!broken)
      broken = "A process in the pool failed in its initializer (" + r.type_name +
               (r.message.empty() ? "" : ": " + r.message) + "); the pool is not usable anymore";
    return;
  }
  if (!w.job || w.job->id != r.id) return;  // cannot happen with our own workers
  Done d;
  d.done = std::move(w.job->done);
  w.job.reset();
  ++w.tasks;
  if (r.ok)
    d.payload = std::move(r.payload);
  else
    d.error = detail::PoolError{detail::PoolError::Kind::remote, std::move(r.type_name),
                                std::move(r.message), r.pid};
  completed.push_back(std::move(d));
  if (maxtasksperchild && w.tasks >= *maxtasksperchild) retire(w);
}

void Pool::Core::retire(Worker& w) {
  if (w.retiring) return;
  w.retiring = true;
  if (w.fd >= 0) {
    ::close(w.fd);  // the worker reads EOF and exits
    w.fd = -1;
  }
}

void Pool::Core::flush(Worker& w) {
  while (w.fd >= 0 && w.out_pos < w.out.size()) {
    const ssize_t n = ::send(w.fd, w.out.data() + w.out_pos, w.out.size() - w.out_pos,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      w.out_pos += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;  // EAGAIN: poll for POLLOUT; an error: the sentinel will tell
    }
  }
  if (w.out_pos >= w.out.size()) {
    w.out.clear();
    w.out_pos = 0;
  }
}

void Pool::Core::dispatch() {
  for (auto& wp : workers) {
    Worker& w = *wp;
    if (!w.ready || w.retiring || w.job || w.fd < 0) continue;
    Job j;
    {
      std::lock_guard<std::mutex> g(mu);
      if (queued.empty() || state == State::terminate || broken) return;
      j = std::move(queued.front());
      queued.pop_front();
    }
    w.out = std::move(j.frame);
    w.out_pos = 0;
    j.frame.clear();
    w.job = std::move(j);
    flush(w);
  }
}

void Pool::Core::reap(std::size_t index) {
  Worker& w = *workers[index];
  if (w.fd >= 0) read_from(w);  // a result it sent before it ended
  if (w.fd >= 0) {
    ::close(w.fd);
    w.fd = -1;
  }
  (void)w.proc->join();  // immediate: the sentinel is readable
  const auto code = w.proc->exitcode();
  if (w.job) {
    const pid_t pid = w.proc->pid().value_or(0);
    completed.push_back(
        {std::move(w.job->done),
         {},
         detail::PoolError{detail::PoolError::Kind::worker_lost, {},
                           "Worker exited prematurely: " + describe_exit(code) + " (" +
                               w.proc->name() + ", pid " + std::to_string(pid) +
                               ") while running this task; the pool replaced the worker",
                           pid}});
    w.job.reset();
  } else if (!w.ready && !w.retiring) {
    std::lock_guard<std::mutex> g(mu);
    if (!broken && state != State::terminate)
      broken = "A process in the pool died before finishing its initialization (" +
               describe_exit(code) + "); the pool is not usable anymore";
  }
  workers.erase(workers.begin() + static_cast<std::ptrdiff_t>(index));
}

// Fails every queued and running task with `why`; stops the workers.
void Pool::Core::fail_everything(const detail::PoolError& why, bool kill_workers) {
  std::deque<Job> q;
  {
    std::lock_guard<std::mutex> g(mu);
    q.swap(queued);
  }
  for (auto& w : workers) {
    if (w->job) {
      completed.push_back({std::move(w->job->done), {}, why});
      w->job.reset();
    }
    if (kill_workers) w->proc->terminate();
    retire(*w);
  }
  for (auto& j : q) completed.push_back({std::move(j.done), {}, why});
  if (kill_workers) {
    for (auto& w : workers) {
      if (!w->proc->join(std::chrono::seconds(5))) {
        w->proc->kill();
        (void)w->proc->join();
      }
    }
    workers.clear();
  }
}

void Pool::Core::deliver() {
  std::vector<Done> batch;
  batch.swap(completed);
  for (auto& d : batch) {
    try {
      d.done(d.error ? nullptr : &d.payload, d.error ? &*d.error : nullptr);
    } catch (...) {
      // Completions never throw (they catch); be safe for the handler thread.
    }
  }
}

void Pool::Core::run() {
  tl_handler_core = this;
  try {
    for (int i = 0; i < processes; ++i) spawn_worker();
    publish_pids();
    started.set_result();
  } catch (...) {
    const auto e = std::current_exception();
    fail_everything(detail::pool_error_from_current(), true);
    deliver();
    started.set_exception(e);
    tl_handler_core = nullptr;
    finished.set_result();
    return;
  }
  std::vector<pollfd> fds;
  for (;;) {
    State st;
    std::optional<std::string> brk;
    bool work_left;
    {
      std::lock_guard<std::mutex> g(mu);
      st = state;
      brk = broken;
      work_left = !queued.empty();
    }
    for (auto& w : workers) work_left = work_left || w->job.has_value();
    if (st == State::terminate) {
      fail_everything({detail::PoolError::Kind::cancelled, {},
                       "the pool was terminated before this task finished", 0},
                      true);
      deliver();
      break;
    }
    if (brk) {
      fail_everything({detail::PoolError::Kind::broken, {}, *brk, 0}, true);
      deliver();
      if (st != State::run) break;
      // A broken, still running pool stays until close()/terminate(): wait for the state
      // change, then leave.
      pollfd p{wake_fd, POLLIN, 0};
      (void)::poll(&p, 1, -1);
      std::uint64_t v;
      (void)!::read(wake_fd, &v, sizeof v);
      continue;
    }
    if (st == State::close && !work_left)
      for (auto& w : workers) retire(*w);
    // Keep the pool at its size while it runs, or while closed work remains.
    if (st == State::run || work_left) {
      int active = 0;
      for (auto& w : workers) active += w->retiring ? 0 : 1;
      bool changed = false;
      try {
        for (; active < processes; ++active, changed = true) spawn_worker();
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> g(mu);
        if (!broken) broken = std::string("A worker process could not be started (") + e.what() + ")";
        continue;
      }
      if (changed) publish_pids();
    }
    if (workers.empty() && st == State::close && !work_left) break;

    fds.clear();
    fds.push_back({wake_fd, POLLIN, 0});
    for (auto& w : workers) {
      fds.push_back({w->sentinel, POLLIN, 0});
      short ev = 0;
      if (w->fd >= 0) ev = static_cast<short>(POLLIN | (w->out_pos < w->out.size() ? POLLOUT : 0));
      fds.push_back({ev ? w->fd : -1, ev, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
      std::lock_guard<std::mutex> g(mu);
      if (!broken) broken = os_error_text("Pool: poll failed");
      continue;
    }
    if (fds[0].revents) {
      std::uint64_t v;
      (void)!::read(wake_fd, &v, sizeof v);
    }
    bool died = false;
    for (std::size_t i = 0; i < workers.size(); ++i) {
      Worker& w = *workers[i];
      const pollfd& s = fds[1 + 2 * i];
      const pollfd& c = fds[2 + 2 * i];
      if (c.fd >= 0 && (c.revents & (POLLIN | POLLHUP | POLLERR))) read_from(w);
      if (w.fd >= 0 && (c.revents & POLLOUT)) flush(w);
      if (s.revents) died = true;
    }
    if (died) {
      for (std::size_t i = workers.size(); i-- > 0;) {
        pollfd p{workers[i]->sentinel, POLLIN, 0};
        if (::poll(&p, 1, 0) > 0) reap(i);
      }
      publish_pids();
    }
    dispatch();  // keep the workers busy before running callbacks
    deliver();
  }
  publish_pids();
  tl_handler_core = nullptr;
  finished.set_result();
}

// ---- Pool ----

Pool::Pool(std::optional<int> processes, std::function<void()> initializer,
           std::optional<int> maxtasksperchild, const Context* context)
    : processes_(processes.value_or(cpu_count())) {
  if (processes_ < 1) throw ValueError("Number of processes must be at least 1");
  if (maxtasksperchild && *maxtasksperchild <= 0)
    throw ValueError("maxtasksperchild must be a positive int or None");
  if (context && context->start_method() != StartMethod::fork)
    throw ValueError("Pool supports only the 'fork' context yet");
  core_ = std::make_unique<Core>(processes_, std::move(initializer), maxtasksperchild);
  core_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (core_->wake_fd < 0) throw OSError(os_error_text("Pool: eventfd"), errno);
  Future<void> started = core_->started.get_future();
  core_->handler = std::thread([c = core_.get()] { c->run(); });
  try {
    started.result();
  } catch (...) {
    core_->handler.join();
    ::close(core_->wake_fd);
    throw;
  }
}

Pool::~Pool() {
  if (detail::on_pool_handler_thread(core_.get())) {
    std::fprintf(stderr, "triad::process::Pool destroyed inside one of its own callbacks\n");
    std::abort();
  }
  terminate();
  ::close(core_->wake_fd);
}

std::size_t Pool::chunksize_for(std::size_t n, std::optional<std::size_t> chunksize) const {
  if (chunksize) {
    if (*chunksize < 1) throw ValueError("Chunksize must be 1+, not 0");
    return *chunksize;
  }
  const std::size_t d = static_cast<std::size_t>(processes_) * 4;
  return std::max<std::size_t>(1, n / d + (n % d ? 1 : 0));
}

void Pool::submit(std::vector<detail::PoolTask> tasks, std::vector<detail::PoolCompletion> dones) {
  std::vector<Core::Job> jobs;
  jobs.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    tasks[i].id = g_next_task_id.fetch_add(1, std::memory_order_relaxed);
    Core::Job j;
    j.id = tasks[i].id;
    j.frame = make_frame(tasks[i]);
    j.done = std::move(dones[i]);
    jobs.push_back(std::move(j));
  }
  {
    std::lock_guard<std::mutex> g(core_->mu);
    if (core_->state != Core::State::run) throw ValueError("Pool not running");
    if (core_->broken) throw BrokenProcessPool(*core_->broken);
    for (auto& j : jobs) core_->queued.push_back(std::move(j));
  }
  if (!jobs.empty()) core_->wake();
}

void Pool::close() {
  {
    std::lock_guard<std::mutex> g(core_->mu);
    if (core_->state == Core::State::run) core_->state = Core::State::close;
  }
  core_->wake();
}

void Pool::terminate() noexcept {
  {
    std::lock_guard<std::mutex> g(core_->mu);
    core_->state = Core::State::terminate;
  }
  core_->wake();
  if (detail::on_pool_handler_thread(core_.get())) return;
  std::call_once(core_->joined, [this] { core_->handler.join(); });
}

bool Pool::join(Timeout timeout) {
  {
    std::lock_guard<std::mutex> g(core_->mu);
    if (core_->state == Core::State::run) throw ValueError("Pool is still running");
  }
  if (detail::on_pool_handler_thread(core_.get()))
    throw RuntimeError("Pool::join called from one of the pool's own callbacks: it would deadlock");
  try {
    (void)core_->finished_future.exception(timeout);
  } catch (const TimeoutError&) {
    return false;
  }
  std::call_once(core_->joined, [this] { core_->handler.join(); });
  return true;
}

std::vector<pid_t> Pool::worker_pids() const {
  std::lock_guard<std::mutex> g(core_->mu);
  return core_->pids;
}

std::string Pool::repr() const {
  const char* s = "RUN";
  {
    std::lock_guard<std::mutex> g(core_->mu);
    if (core_->state == Core::State::close) s = "CLOSE";
    if (core_->state == Core::State::terminate) s = "TERMINATE";
  }
  return std::string("<triad::process::Pool state=") + s + " pool_size=" +
         std::to_string(processes_) + ">";
}

}  // namespace triad::process
