// Manager: starting/stopping the server process, and the client side of every proxy call.
#include "triad/process/manager.hpp"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "manager_server.hpp"
#include "triad/core/detail/spinlock.hpp"
#include "triad/process/connection.hpp"

namespace triad::process {
namespace detail {
namespace {

// Idle authenticated connections of this process, per address. A forked child starts with
// none (its inherited copies are closed by the at-fork handler, never used: they share the
// parent's stream).
struct Pool {
  triad::detail::SpinLock lock;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
};

Pool& pool() {
  static Pool* p = [] {
    ::pthread_atfork(nullptr, nullptr, [] {
      Pool& child = pool();
      new (&child.lock) triad::detail::SpinLock();  // a parent thread may have held it
      for (auto& [addr, conns] : child.idle)
        for (auto& c : conns) c->close();
      child.idle.clear();
    });
    return new Pool();
  }();
  return *p;
}

std::string key_of(const ManagerRef& ref) { return ref.address + '\0' + ref.authkey; }

std::unique_ptr<Connection> take(const ManagerRef& ref) {
  Pool& p = pool();
  {
    std::lock_guard g(p.lock);
    auto it = p.idle.find(key_of(ref));
    if (it != p.idle.end() && !it->second.empty()) {
      auto c = std::move(it->second.back());
      it->second.pop_back();
      return c;
    }
  }
  auto c = std::make_unique<Connection>(manager_socket(ref.address, false), true, true);
  answer_challenge(*c, ref.authkey);
  deliver_challenge(*c, ref.authkey);
  return c;
}

void give_back(const ManagerRef& ref, std::unique_ptr<Connection> c) {
  Pool& p = pool();
  std::lock_guard g(p.lock);
  p.idle[key_of(ref)].push_back(std::move(c));
}

[[noreturn]] void rethrow_remote(const ManagerRef& ref, Reply& rep) {
  const std::string& t = rep.error_type;
  std::string& m = rep.message;
  if (t == "KeyError") throw KeyError(m);
  if (t == "IndexError") throw IndexError(m);
  if (t == "AttributeError") throw AttributeError(m);
  if (t == "ValueError") throw ValueError(m);
  if (t == "RuntimeError") throw RuntimeError(m);
  if (t == "Full") throw Full(m);
  if (t == "Empty") throw Empty(m);
  if (t == "ShutDown") throw ShutDown(m);
  if (t == "TimeoutError") throw TimeoutError(m);
  throw RemoteError(t, m, "the manager at " + ref.address);
}

}  // namespace

std::vector<std::string> manager_call(const ManagerRef& ref, Op op, std::vector<std::string> args) {
  Request req;
  req.object = ref.id;
  req.op = static_cast<std::uint16_t>(op);
  req.args = std::move(args);
  const std::string frame = encode_request(req);
  auto c = take(ref);
  std::string bytes;
  try {
    c->send_bytes(frame);
    bytes = c->recv_bytes();
  } catch (const EOFError&) {
    throw EOFError("the manager at " + ref.address +
                   " closed the connection (has the manager process exited?)");
  } catch (const OSError& e) {
    throw OSError("lost the connection to the manager at " + ref.address + ": " + e.what(), e.error_number());
  }
  Reply rep = decode_reply(bytes.data(), bytes.size());
  if (op != Op::shutdown) give_back(ref, std::move(c));
  if (rep.status != static_cast<std::uint8_t>(ReplyStatus::ok)) rethrow_remote(ref, rep);
  return std::move(rep.values);
}

void manager_forget(const std::string& address) noexcept {
  Pool& p = pool();
  std::vector<std::unique_ptr<Connection>> drop;
  {
    std::lock_guard g(p.lock);
    for (auto it = p.idle.begin(); it != p.idle.end();) {
      if (it->first.compare(0, address.size() + 1, address + '\0') == 0) {
        for (auto& c : it->second) drop.push_back(std::move(c));
        it = p.idle.erase(it);
      } else {
        ++it;
      }
    }
  }
  // closed here, outside the lock
}

}  // namespace detail

// ---- proxies ----

const detail::ManagerRef& BaseProxy::ref() const {
  if (!ref_) throw ValueError("this proxy refers to no managed object (default-constructed)");
  return *ref_;
}
const std::string& BaseProxy::address() const { return ref().address; }
std::uint32_t BaseProxy::id() const { return ref().id; }

std::vector<std::string> BaseProxy::call(detail::Op op, std::vector<std::string> args) const {
  return detail::manager_call(ref(), op, std::move(args));
}
std::string BaseProxy::call1(detail::Op op, std::vector<std::string> args) const {
  auto r = call(op, std::move(args));
  if (r.size() != 1) throw ValueError("corrupted message: the manager sent " + std::to_string(r.size()) + " values, expected 1");
  return std::move(r.front());
}
bool BaseProxy::call_bool(detail::Op op, std::vector<std::string> args) const {
  return detail::value_of<bool>(call1(op, std::move(args)));
}
std::size_t BaseProxy::call_size(detail::Op op, std::vector<std::string> args) const {
  return static_cast<std::size_t>(detail::value_of<std::uint64_t>(call1(op, std::move(args))));
}

bool LockProxy::acquire(bool blocking, Timeout timeout) const {
  return call_bool(detail::Op::lock_acquire, {detail::arg(blocking), detail::arg(detail::timeout_to_wire(timeout))});
}
void LockProxy::release() const { call(detail::Op::lock_release); }
bool LockProxy::locked() const { return call_bool(detail::Op::lock_locked); }
std::size_t SemaphoreProxy::get_value() const { return call_size(detail::Op::sem_get_value); }

void EventProxy::set() const { call(detail::Op::event_set); }
void EventProxy::clear() const { call(detail::Op::event_clear); }
bool EventProxy::is_set() const { return call_bool(detail::Op::event_is_set); }
bool EventProxy::wait(Timeout timeout) const {
  return call_bool(detail::Op::event_wait, {detail::arg(detail::timeout_to_wire(timeout))});
}

// ---- Manager ----

Manager::Manager(ManagerOptions options)
    : address_(std::move(options.address)),
      authkey_(options.authkey ? std::move(*options.authkey) : current_process().authkey()) {
  if (options.start) start();
}

Manager::~Manager() { shutdown(); }

void Manager::start() {
  if (state_ != State::initial) throw RuntimeError("Already started server");
  std::string address = address_;
  if (address.empty()) {
    const char* tmp = ::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/triad-mgr-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr)
      throw OSError("cannot create a directory for the manager's socket: " + std::string(std::strerror(errno)), errno);
    tmpdir_ = templ;
    address = tmpdir_ + "/listener";
  }
  auto [reader, writer] = Pipe(false);
  auto proc = std::make_unique<Process>(
      ProcessOptions().with_name("SyncManager-1").with_daemon(true).with_context(get_context("fork")),
      [&reader, &writer, address, key = authkey_] {
        reader.close();
        detail::run_manager_server(address, key, [&writer](const std::string& bound) { writer.send(bound); });
      });
  try {
    proc->start();
  } catch (...) {
    if (!tmpdir_.empty()) ::rmdir(tmpdir_.c_str());
    tmpdir_.clear();
    throw;
  }
  writer.close();
  std::string bound;
  try {
    bound = reader.recv<std::string>();
  } catch (const triad::Error&) {
    bound = "!the manager process ended before it listened";
  }
  if (!bound.empty() && bound.front() == '!') {
    proc->kill();
    proc->join();
    if (!tmpdir_.empty()) ::rmdir(tmpdir_.c_str());
    tmpdir_.clear();
    const std::string why = bound.substr(1);
    if (why.rfind("cannot listen", 0) == 0) throw OSError(why);
    if (why.rfind("bad manager address", 0) == 0 || why.rfind("unix socket path", 0) == 0) throw ValueError(why);
    throw RuntimeError("the manager process could not start: " + why);
  }
  address_ = bound;
  process_ = std::move(proc);
  state_ = State::started;
}

void Manager::connect() {
  if (state_ != State::initial) throw RuntimeError("Already started server");
  if (address_.empty()) throw ValueError("connect() needs the manager's address (ManagerOptions::with_address)");
  detail::ManagerRef ref;
  ref.address = address_;
  ref.authkey = authkey_;
  detail::manager_call(ref, detail::Op::ping);
  state_ = State::connected;
}

void Manager::shutdown() noexcept {
  if (state_ == State::connected) {
    detail::manager_forget(address_);
    state_ = State::shutdown;
    return;
  }
  if (state_ != State::started) return;
  state_ = State::shutdown;
  detail::manager_forget(address_);
  try {
    detail::ManagerRef ref;
    ref.address = address_;
    ref.authkey = authkey_;
    detail::manager_call(ref, detail::Op::shutdown);
  } catch (const std::exception&) {
    // already dead (killed or crashed): reaped below
  }
  try {
    if (!process_->join(std::chrono::seconds(3))) {
      process_->kill();
      process_->join();
    }
    process_->close();
  } catch (const std::exception&) {
  }
  process_.reset();
  if (!address_.empty() && address_.front() == '/') ::unlink(address_.c_str());
  if (!tmpdir_.empty()) ::rmdir(tmpdir_.c_str());
  detail::manager_forget(address_);
}

std::optional<pid_t> Manager::pid() const {
  if (state_ != State::started || !process_) return std::nullopt;
  return process_->pid();
}

std::shared_ptr<const detail::ManagerRef> Manager::create(detail::ManagedKind kind, std::vector<std::string> args) const {
  if (state_ != State::started && state_ != State::connected) throw RuntimeError("manager is not started");
  auto ref = std::make_shared<detail::ManagerRef>();
  ref->address = address_;
  ref->authkey = authkey_;
  ref->id = 0;
  args.insert(args.begin(), detail::arg(static_cast<std::uint8_t>(kind)));
  ref->id = detail::value_of<std::uint32_t>(detail::manager_call(*ref, detail::Op::create, std::move(args)).at(0));
  ref->kind = kind;
  return ref;
}

}  // namespace triad::process
