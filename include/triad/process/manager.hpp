// Manager: a server process that owns shared objects; other processes use them through
// proxies over a socket.
//
// Python: multiprocessing.Manager() / managers.SyncManager / BaseManager.connect, and the
// proxies DictProxy, ListProxy, Namespace, Value, Queue, Lock, Event, Semaphore.
//
//   triad::process::Manager m;                        // starts the server process now
//   auto d = m.dict<std::string, std::string>();      // a DictProxy
//   triad::process::Process p([d] { d["name"] = "xx"; });
//   p.start();
//   p.join();
//   std::string name = d["name"];                     // "xx": the child's change
//
// The server is a child process (forked, daemon) listening on a unix socket in a fresh
// private directory (the default) or on a TCP port ("127.0.0.1:0" picks a free one). Every
// connection first passes multiprocessing's HMAC-SHA256 challenge on the authkey in both
// directions; a peer with the wrong key gets AuthenticationError and the server runs nothing
// for it. The server keeps values as their cereal encoding and never decodes them: it runs no
// user code, and the same object must always be used with the same C++ types (keys compare
// by their encoded bytes).
//
// Proxies are small copyable handles (a shared address + object id). Each call is one
// request/reply on a pooled connection of the calling process: proxies are thread-safe, and
// a forked child may use the proxies it inherited (it opens its own connections). Every
// proxy call blocks for one round trip (a green thread does not yield unless the green
// layer's monkey patching makes socket IO cooperative); the blocking calls (Queue::get,
// Lock::acquire, Event::wait, ...) wait in the server and take a Timeout like their local
// counterparts.
//
// Python                                  triad
// Manager() / with Manager() as m:        Manager m;  (RAII: the destructor shuts it down)
// SyncManager(address, authkey).start()   Manager m(ManagerOptions().with_address(a).with_authkey(k));
// BaseManager(address, authkey).connect() Manager m(ManagerOptions()...with_start(false)); m.connect();
// m.dict({...}) / m.list([...])           m.dict<K, V>({...}) / m.list<T>({...})
// m.Namespace(); ns.x = 1; ns.x           auto ns = m.Namespace(); ns.set("x", 1); ns.get<int>("x")
// m.Value('i', 0); v.value                m.Value<int>(0); v.value() / v.set_value(1)
// m.Queue(maxsize) / m.JoinableQueue()    m.Queue<T>(maxsize) / m.JoinableQueue<T>()
// m.Lock() / m.Event() / m.Semaphore(n)   same, returning LockProxy / EventProxy / SemaphoreProxy
// d[k], d[k] = v, del d[k], k in d        d[k] (read or assign), d.del(k), d.contains(k)
// KeyError / IndexError / AttributeError  triad::KeyError / IndexError / AttributeError (core)
//
// Lifetime: objects live until the manager shuts down (Python frees an object when its last
// proxy goes; triad does not count proxies across processes). After shutdown, or when the
// server process died, a proxy call raises OSError("cannot connect to the manager at ...")
// or EOFError("the manager at ... closed the connection ...") at once; nothing hangs.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "triad/core/error.hpp"
#include "triad/core/timeout.hpp"
#include "triad/process/detail/manager_client.hpp"
#include "triad/process/process.hpp"

namespace triad::process {

// Errors of the proxies, raised in the manager and re-raised in the caller: a key not in a
// managed dict (KeyError, message the key's repr: 'name'), a list index out of range
// (IndexError), a Namespace attribute that is not set (AttributeError, "'Namespace' object has
// no attribute 'x'"). They are triad's core types (triad/core/error.hpp).
using triad::AttributeError;
using triad::IndexError;
using triad::KeyError;

// Options of a Manager (Python's keyword arguments), chained like ProcessOptions.
struct ManagerOptions {
  // "" (default): a unix socket in a fresh private directory under $TMPDIR (or /tmp);
  // "/some/path": that unix socket; "host:port": TCP on an IPv4 address (port 0 = any free).
  std::string address;
  // Default: current_process().authkey() (32 random bytes, inherited by children).
  std::optional<std::string> authkey;
  // Whether the constructor starts the server (false: call start() or connect()).
  bool start = true;

  ManagerOptions with_address(std::string a) const {
    ManagerOptions o = *this;
    o.address = std::move(a);
    return o;
  }
  ManagerOptions with_authkey(std::string k) const {
    ManagerOptions o = *this;
    o.authkey = std::move(k);
    return o;
  }
  ManagerOptions with_start(bool s) const {
    ManagerOptions o = *this;
    o.start = s;
    return o;
  }
};

// The common part of every proxy: a copyable handle to one object of one manager.
// Proxies can also be sent to another process (Connection::send, Queue::put): the receiver
// uses its own current_process().authkey(), as Python's unpickled proxies do.
class BaseProxy {
 public:
  BaseProxy() = default;  // a proxy of nothing: every call raises ValueError
  // The manager's address and this object's id there.
  [[nodiscard]] const std::string& address() const;
  [[nodiscard]] std::uint32_t id() const;

  template <class A>
  void save(A& ar) const {
    const auto& r = ref();
    ar(r.address, r.id, static_cast<std::uint8_t>(r.kind));
  }
  template <class A>
  void load(A& ar) {
    auto r = std::make_shared<detail::ManagerRef>();
    std::uint8_t kind = 0;
    ar(r->address, r->id, kind);
    r->kind = static_cast<detail::ManagedKind>(kind);
    r->authkey = current_process().authkey();
    ref_ = std::move(r);
  }

 protected:
  explicit BaseProxy(std::shared_ptr<const detail::ManagerRef> ref) : ref_(std::move(ref)) {}
  const detail::ManagerRef& ref() const;
  std::vector<std::string> call(detail::Op op, std::vector<std::string> args = {}) const;
  std::string call1(detail::Op op, std::vector<std::string> args = {}) const;
  bool call_bool(detail::Op op, std::vector<std::string> args = {}) const;
  std::size_t call_size(detail::Op op, std::vector<std::string> args = {}) const;

 private:
  std::shared_ptr<const detail::ManagerRef> ref_;
};

namespace detail {
// d[k] / l[i]: reads on conversion, writes on assignment (Python's __getitem__/__setitem__).
template <class Proxy, class Key, class V>
class ItemRef {
 public:
  ItemRef(Proxy p, Key k) : p_(std::move(p)), k_(std::move(k)) {}
  operator V() const { return p_.at(k_); }  // NOLINT(google-explicit-constructor)
  [[nodiscard]] V get() const { return p_.at(k_); }
  const ItemRef& operator=(const V& v) const {
    p_.set(k_, v);
    return *this;
  }

 private:
  Proxy p_;
  Key k_;
};
}  // namespace detail

// A dict in the manager (Python: DictProxy). Keys keep insertion order, as in Python.
// Every call: blocks for one round trip · thread-safe · throws as noted, plus the
// connection errors in the header comment.
template <class K, class V>
class DictProxy : public BaseProxy {
 public:
  DictProxy() = default;
  explicit DictProxy(std::shared_ptr<const detail::ManagerRef> ref) : BaseProxy(std::move(ref)) {}

  // d[k] (throws KeyError on read of a missing key) and d[k] = v.
  detail::ItemRef<DictProxy, K, V> operator[](K k) const { return {*this, std::move(k)}; }
  // d[k]. Throws KeyError(repr(k)).
  [[nodiscard]] V at(const K& k) const {
    try {
      return detail::value_of<V>(call1(detail::Op::dict_getitem, {detail::arg(k)}));
    } catch (const KeyError&) {
      throw KeyError(detail::repr(k));
    }
  }
  // d.get(k) -> empty if missing; d.get(k, default).
  [[nodiscard]] std::optional<V> get(const K& k) const {
    auto r = call(detail::Op::dict_get, {detail::arg(k)});
    if (r.empty()) return std::nullopt;
    return detail::value_of<V>(r.front());
  }
  [[nodiscard]] V get(const K& k, const V& default_value) const {
    auto v = get(k);
    return v ? std::move(*v) : default_value;
  }
  // d[k] = v.
  void set(const K& k, const V& v) const { call(detail::Op::dict_setitem, {detail::arg(k), detail::arg(v)}); }
  // del d[k]. Throws KeyError(repr(k)).
  void del(const K& k) const {
    try {
      call(detail::Op::dict_delitem, {detail::arg(k)});
    } catch (const KeyError&) {
      throw KeyError(detail::repr(k));
    }
  }
  // k in d.
  [[nodiscard]] bool contains(const K& k) const { return call_bool(detail::Op::dict_contains, {detail::arg(k)}); }
  // len(d).
  [[nodiscard]] std::size_t len() const { return call_size(detail::Op::dict_len); }
  [[nodiscard]] std::vector<K> keys() const { return decode_all<K>(call(detail::Op::dict_keys)); }
  [[nodiscard]] std::vector<V> values() const { return decode_all<V>(call(detail::Op::dict_values)); }
  [[nodiscard]] std::vector<std::pair<K, V>> items() const {
    auto r = call(detail::Op::dict_items);
    std::vector<std::pair<K, V>> out;
    out.reserve(r.size() / 2);
    for (std::size_t i = 0; i + 1 < r.size(); i += 2)
      out.emplace_back(detail::value_of<K>(r[i]), detail::value_of<V>(r[i + 1]));
    return out;
  }
  // d.pop(k). Throws KeyError(repr(k)).
  V pop(const K& k) const {
    try {
      return detail::value_of<V>(call1(detail::Op::dict_pop, {detail::arg(k)}));
    } catch (const KeyError&) {
      throw KeyError(detail::repr(k));
    }
  }
  // d.pop(k, default).
  V pop(const K& k, const V& default_value) const {
    try {
      return pop(k);
    } catch (const KeyError&) {
      return default_value;
    }
  }
  // d.popitem(): the last inserted item. Throws KeyError("'popitem(): dictionary is empty'").
  std::pair<K, V> popitem() const {
    auto r = call(detail::Op::dict_popitem);
    return {detail::value_of<K>(r.at(0)), detail::value_of<V>(r.at(1))};
  }
  // d.setdefault(k, default): d[k] if present, else stores and returns default.
  V setdefault(const K& k, const V& default_value) const {
    return detail::value_of<V>(call1(detail::Op::dict_setdefault, {detail::arg(k), detail::arg(default_value)}));
  }
  // d.update(items), in order.
  void update(const std::vector<std::pair<K, V>>& items) const {
    std::vector<std::string> a;
    a.reserve(items.size() * 2);
    for (const auto& [k, v] : items) {
      a.push_back(detail::arg(k));
      a.push_back(detail::arg(v));
    }
    call(detail::Op::dict_update, std::move(a));
  }
  void clear() const { call(detail::Op::dict_clear); }
  // A local copy (Python: d.copy() / dict(d)).
  [[nodiscard]] std::vector<std::pair<K, V>> copy() const { return items(); }

 private:
  template <class T>
  static std::vector<T> decode_all(const std::vector<std::string>& r) {
    std::vector<T> out;
    out.reserve(r.size());
    for (const auto& s : r) out.push_back(detail::value_of<T>(s));
    return out;
  }
};

// A list in the manager (Python: ListProxy). Indexes may be negative, counting from the end.
// Every call: blocks for one round trip · thread-safe · throws as noted.
template <class T>
class ListProxy : public BaseProxy {
 public:
  ListProxy() = default;
  explicit ListProxy(std::shared_ptr<const detail::ManagerRef> ref) : BaseProxy(std::move(ref)) {}

  // l[i] (read: IndexError("list index out of range")) and l[i] = v
  // (IndexError("list assignment index out of range")).
  detail::ItemRef<ListProxy, std::int64_t, T> operator[](std::int64_t i) const { return {*this, i}; }
  [[nodiscard]] T at(std::int64_t i) const { return detail::value_of<T>(call1(detail::Op::list_getitem, {detail::arg(i)})); }
  void set(std::int64_t i, const T& v) const { call(detail::Op::list_setitem, {detail::arg(i), detail::arg(v)}); }
  // del l[i]. Throws IndexError("list assignment index out of range").
  void del(std::int64_t i) const { call(detail::Op::list_delitem, {detail::arg(i)}); }
  void append(const T& v) const { call(detail::Op::list_append, {detail::arg(v)}); }
  void extend(const std::vector<T>& vs) const {
    std::vector<std::string> a;
    a.reserve(vs.size());
    for (const auto& v : vs) a.push_back(detail::arg(v));
    call(detail::Op::list_extend, std::move(a));
  }
  // l.insert(i, v): clamps i like Python.
  void insert(std::int64_t i, const T& v) const { call(detail::Op::list_insert, {detail::arg(i), detail::arg(v)}); }
  // l.pop(i=-1). Throws IndexError("pop from empty list") / IndexError("pop index out of range").
  T pop(std::int64_t i = -1) const { return detail::value_of<T>(call1(detail::Op::list_pop, {detail::arg(i)})); }
  // l.index(v). Throws ValueError("... is not in list").
  [[nodiscard]] std::size_t index(const T& v) const {
    try {
      return call_size(detail::Op::list_index, {detail::arg(v)});
    } catch (const ValueError&) {
      throw ValueError(detail::repr(v) + " is not in list");
    }
  }
  [[nodiscard]] std::size_t count(const T& v) const { return call_size(detail::Op::list_count, {detail::arg(v)}); }
  // l.remove(v). Throws ValueError("list.remove(x): x not in list").
  void remove(const T& v) const { call(detail::Op::list_remove, {detail::arg(v)}); }
  [[nodiscard]] std::size_t len() const { return call_size(detail::Op::list_len); }
  void clear() const { call(detail::Op::list_clear); }
  // A local copy (Python: l[:] / list(l)).
  [[nodiscard]] std::vector<T> tolist() const {
    auto r = call(detail::Op::list_tolist);
    std::vector<T> out;
    out.reserve(r.size());
    for (const auto& s : r) out.push_back(detail::value_of<T>(s));
    return out;
  }
};

// A namespace in the manager (Python: m.Namespace()): attributes by name, each of any
// sendable type (read it back with the type it was written with).
class NamespaceProxy : public BaseProxy {
 public:
  NamespaceProxy() = default;
  explicit NamespaceProxy(std::shared_ptr<const detail::ManagerRef> ref) : BaseProxy(std::move(ref)) {}
  // ns.name. Throws AttributeError("'Namespace' object has no attribute 'name'").
  template <class T>
  [[nodiscard]] T get(const std::string& name) const {
    return detail::value_of<T>(call1(detail::Op::ns_getattr, {detail::arg(name)}));
  }
  // ns.name = v.
  template <class T>
  void set(const std::string& name, const T& v) const {
    call(detail::Op::ns_setattr, {detail::arg(name), detail::arg(v)});
  }
  // del ns.name. Throws AttributeError like get.
  void del(const std::string& name) const { call(detail::Op::ns_delattr, {detail::arg(name)}); }
  // hasattr(ns, name).
  [[nodiscard]] bool contains(const std::string& name) const { return call_bool(detail::Op::ns_hasattr, {detail::arg(name)}); }
};

// A value in the manager (Python: m.Value(typecode, value), a ValueProxy).
template <class T>
class ValueProxy : public BaseProxy {
 public:
  ValueProxy() = default;
  explicit ValueProxy(std::shared_ptr<const detail::ManagerRef> ref) : BaseProxy(std::move(ref)) {}
  [[nodiscard]] T get() const { return detail::value_of<T>(call1(detail::Op::value_get)); }
  void set(const T& v) const { call(detail::Op::value_set, {detail::arg(v)}); }
  // Python's .value property.
  [[nodiscard]] T value() const { return get(); }
  void set_value(const T& v) const { set(v); }
};

// A queue.Queue in the manager (Python: m.Queue(maxsize) / m.JoinableQueue(maxsize)).
// put/get: blocks (in the server) while full/empty, up to the timeout · thread-safe · throws
// triad::Full / triad::Empty exactly where queue.Queue does · timeout absent = forever,
// zero or negative = don't wait.
template <class T>
class QueueProxy : public BaseProxy {
 public:
  QueueProxy() = default;
  explicit QueueProxy(std::shared_ptr<const detail::ManagerRef> ref) : BaseProxy(std::move(ref)) {}
  void put(const T& item, bool block = true, Timeout timeout = {}) const {
    call(detail::Op::queue_put, {detail::arg(item), detail::arg(block), detail::arg(detail::timeout_to_wire(timeout))});
  }
  void put(const T& item, Timeout timeout) const { put(item, true, timeout); }
  void put_nowait(const T& item) const { put(item, false); }
  T get(bool block = true, Timeout timeout = {}) const {
    return detail::value_of<T>(call1(detail::Op::queue_get, {detail::arg(block), detail::arg(detail::timeout_to_wire(timeout))}));
  }
  T get(Timeout timeout) const { return get(true, timeout); }
  T get_nowait() const { return get(false); }
  [[nodiscard]] std::size_t qsize() const { return call_size(detail::Op::queue_qsize); }
  [[nodiscard]] bool empty() const { return call_bool(detail::Op::queue_empty); }
  [[nodiscard]] bool full() const { return call_bool(detail::Op::queue_full); }
  // Throws ValueError("task_done() called too many times").
  void task_done() const { call(detail::Op::queue_task_done); }
  // Blocks until every item put was task_done().
  void join() const { call(detail::Op::queue_join); }
};

// A threading.Lock in the manager (Python: m.Lock()). Any process may release it.
// acquire: blocks (in the server) up to the timeout · thread-safe · throws ValueError for a
// timeout with blocking=false · returns whether it was acquired.
class LockProxy : public BaseProxy {
 public:
  LockProxy() = default;
  explicit LockProxy(std::shared_ptr<const detail::ManagerRef> ref) : BaseProxy(std::move(ref)) {}
  bool acquire(bool blocking = true, Timeout timeout = {}) const;
  bool acquire(Timeout timeout) const { return acquire(true, timeout); }
  // Throws RuntimeError("release unlocked lock").
  void release() const;
  [[nodiscard]] bool locked() const;
  // Lockable, for std::lock_guard / std::unique_lock.
  void lock() const { acquire(); }
  bool try_lock() const { return acquire(false); }
  void unlock() const { release(); }
};

// A threading.Semaphore / BoundedSemaphore in the manager. release() of a bounded one past
// its initial value throws ValueError("Semaphore released too many times").
class SemaphoreProxy : public LockProxy {
 public:
  SemaphoreProxy() = default;
  explicit SemaphoreProxy(std::shared_ptr<const detail::ManagerRef> ref) : LockProxy(std::move(ref)) {}
  [[nodiscard]] std::size_t get_value() const;
};

// A threading.Event in the manager (Python: m.Event()).
// wait: blocks (in the server) until set or the timeout · thread-safe · returns is_set().
class EventProxy : public BaseProxy {
 public:
  EventProxy() = default;
  explicit EventProxy(std::shared_ptr<const detail::ManagerRef> ref) : BaseProxy(std::move(ref)) {}
  void set() const;
  void clear() const;
  [[nodiscard]] bool is_set() const;
  bool wait(Timeout timeout = {}) const;
};

class Manager {
 public:
  // Starts a server with a fresh unix socket and the current process's authkey.
  Manager() : Manager(ManagerOptions{}) {}
  // Starts a server (unless options.start is false).
  explicit Manager(ManagerOptions options);
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;
  // shutdown().
  ~Manager();

  // Starts the server process and waits until it listens.
  // Blocks: until the server is ready (a few ms). Thread safety: not with other calls on this
  // Manager. Throws RuntimeError("Already started server") when started or connected,
  // OSError when the address cannot be bound (e.g. the TCP port is in use), RuntimeError
  // when the server process could not start.
  void start();

  // Attaches to a running server at options.address (Python: BaseManager.connect()).
  // Authenticates once to check the address and key. Throws AuthenticationError for a wrong
  // authkey, OSError when nothing listens there, RuntimeError when already started.
  void connect();

  // Stops the server (if this Manager started it), waits for the process to end, removes its
  // socket file and directory. Idempotent; no-op for a connected Manager (the server belongs
  // to its starter). Blocks: until the server ended (at most ~3 s, then it is killed).
  void shutdown() noexcept;

  // The server's address: a unix socket path or "host:port" (the real port when 0 was asked).
  [[nodiscard]] const std::string& address() const noexcept { return address_; }
  [[nodiscard]] const std::string& authkey() const noexcept { return authkey_; }
  // The server process's pid (empty when not started here or shut down).
  [[nodiscard]] std::optional<pid_t> pid() const;

  // New shared objects. Every factory blocks for one round trip, is thread-safe and throws
  // RuntimeError("manager is not started") before start/connect.
  template <class K, class V>
  DictProxy<K, V> dict(const std::vector<std::pair<K, V>>& init = {}) const {
    std::vector<std::string> a;
    for (const auto& [k, v] : init) {
      a.push_back(detail::arg(k));
      a.push_back(detail::arg(v));
    }
    return DictProxy<K, V>(create(detail::ManagedKind::dict, std::move(a)));
  }
  template <class T>
  ListProxy<T> list(const std::vector<T>& init = {}) const {
    std::vector<std::string> a;
    for (const auto& v : init) a.push_back(detail::arg(v));
    return ListProxy<T>(create(detail::ManagedKind::list, std::move(a)));
  }
  NamespaceProxy Namespace() const { return NamespaceProxy(create(detail::ManagedKind::ns, {})); }
  template <class T>
  ValueProxy<T> Value(const T& v = T{}) const {
    return ValueProxy<T>(create(detail::ManagedKind::value, {detail::arg(v)}));
  }
  // maxsize 0 = unbounded.
  template <class T>
  QueueProxy<T> Queue(std::size_t maxsize = 0) const {
    return QueueProxy<T>(create(detail::ManagedKind::queue, {detail::arg(std::uint64_t{maxsize})}));
  }
  template <class T>
  QueueProxy<T> JoinableQueue(std::size_t maxsize = 0) const {
    return Queue<T>(maxsize);
  }
  LockProxy Lock() const { return LockProxy(create(detail::ManagedKind::lock, {})); }
  EventProxy Event() const { return EventProxy(create(detail::ManagedKind::event, {})); }
  // Throws ValueError("semaphore initial value must be >= 0") never (size_t); see Python.
  SemaphoreProxy Semaphore(std::size_t value = 1) const {
    return SemaphoreProxy(create(detail::ManagedKind::semaphore, {detail::arg(std::uint64_t{value})}));
  }
  SemaphoreProxy BoundedSemaphore(std::size_t value = 1) const {
    return SemaphoreProxy(create(detail::ManagedKind::bounded_semaphore, {detail::arg(std::uint64_t{value})}));
  }

 private:
  std::shared_ptr<const detail::ManagerRef> create(detail::ManagedKind kind, std::vector<std::string> args) const;

  std::string address_;
  std::string authkey_;
  std::string tmpdir_;  // the private directory of a default unix socket
  std::unique_ptr<Process> process_;
  enum class State { initial, started, connected, shutdown } state_ = State::initial;
};

}  // namespace triad::process
