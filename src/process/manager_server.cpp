// The manager's server process: a listening socket, one thread per authenticated
// connection, and the table of managed objects.
#include "manager_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <atomic>
#include <chrono>
#include <list>
#include <map>
#include <mutex>
#include <new>
#include <thread>
#include <utility>
#include <vector>

#include "triad/process/connection.hpp"
#include "triad/process/manager.hpp"
#include "triad/queue/queue.hpp"
#include "triad/threading/event.hpp"
#include "triad/threading/lock.hpp"
#include "triad/threading/semaphore.hpp"

namespace triad::process::detail {

struct ManagedObject {
  explicit ManagedObject(ManagedKind k) : kind(k) {}
  virtual ~ManagedObject() = default;
  const ManagedKind kind;
};

namespace {

[[noreturn]] void throw_os(const std::string& what, int err) {
  throw OSError(what + ": [Errno " + std::to_string(err) + "] " + std::strerror(err), err);
}

struct DictObject final : ManagedObject {
  DictObject() : ManagedObject(ManagedKind::dict) {}
  using Items = std::list<std::pair<std::string, std::string>>;
  triad::Lock mu;
  Items items;
  std::unordered_map<std::string, Items::iterator> index;

  void set(std::string k, std::string v) {
    auto it = index.find(k);
    if (it != index.end()) {
      it->second->second = std::move(v);
      return;
    }
    items.emplace_back(k, std::move(v));
    index.emplace(std::move(k), std::prev(items.end()));
  }
};

struct ListObject final : ManagedObject {
  ListObject() : ManagedObject(ManagedKind::list) {}
  triad::Lock mu;
  std::vector<std::string> items;
};

struct NamespaceObject final : ManagedObject {
  NamespaceObject() : ManagedObject(ManagedKind::ns) {}
  triad::Lock mu;
  std::map<std::string, std::string> attrs;
};

struct ValueObject final : ManagedObject {
  ValueObject() : ManagedObject(ManagedKind::value) {}
  triad::Lock mu;
  std::string v;
};

struct QueueObject final : ManagedObject {
  explicit QueueObject(std::size_t maxsize) : ManagedObject(ManagedKind::queue), q(maxsize) {}
  triad::Queue<std::string> q;
};

struct LockObject final : ManagedObject {
  LockObject() : ManagedObject(ManagedKind::lock) {}
  triad::Lock l;
};

struct SemaphoreObject final : ManagedObject {
  SemaphoreObject(ManagedKind k, std::ptrdiff_t value)
      : ManagedObject(k),
        s(k == ManagedKind::bounded_semaphore ? std::make_unique<triad::BoundedSemaphore>(value)
                                              : std::make_unique<triad::Semaphore>(value)) {}
  std::unique_ptr<triad::Semaphore> s;
};

struct EventObject final : ManagedObject {
  EventObject() : ManagedObject(ManagedKind::event) {}
  triad::Event e;
};

// Argument access with precise errors for malformed requests.
void need_args(const Request& r, std::size_t n) {
  if (r.args.size() != n)
    throw ValueError("malformed request: op " + std::to_string(r.op) + " takes " + std::to_string(n) +
                     " arguments, got " + std::to_string(r.args.size()));
}
template <class T>
T arg_as(const Request& r, std::size_t i) {
  return decode<T>(r.args[i].data(), r.args[i].size());
}

// A bool from untrusted bytes: decoding it as bool would be undefined for bytes other than 0/1.
bool arg_bool(const Request& r, std::size_t i) {
  const auto v = arg_as<std::uint8_t>(r, i);
  if (v > 1) throw ValueError("malformed request: a bool must be 0 or 1, got " + std::to_string(v));
  return v != 0;
}

Reply ok(std::vector<std::string> values = {}) {
  Reply rep;
  rep.values = std::move(values);
  return rep;
}

// Python's index normalisation: negative counts from the end; false when out of range.
bool normalise(std::int64_t& i, std::size_t size) {
  const auto n = static_cast<std::int64_t>(size);
  if (i < 0) i += n;
  return i >= 0 && i < n;
}

Reply do_dict(DictObject& d, const Request& r) {
  std::lock_guard g(d.mu);
  switch (static_cast<Op>(r.op)) {
    case Op::dict_getitem: {
      need_args(r, 1);
      auto it = d.index.find(r.args[0]);
      if (it == d.index.end()) throw KeyError("key not found");
      return ok({it->second->second});
    }
    case Op::dict_get: {
      need_args(r, 1);
      auto it = d.index.find(r.args[0]);
      if (it == d.index.end()) return ok();
      return ok({it->second->second});
    }
    case Op::dict_setitem:
      need_args(r, 2);
      d.set(r.args[0], r.args[1]);
      return ok();
    case Op::dict_delitem:
    case Op::dict_pop: {
      need_args(r, 1);
      auto it = d.index.find(r.args[0]);
      if (it == d.index.end()) throw KeyError("key not found");
      std::string v = std::move(it->second->second);
      d.items.erase(it->second);
      d.index.erase(it);
      if (static_cast<Op>(r.op) == Op::dict_pop) return ok({std::move(v)});
      return ok();
    }
    case Op::dict_contains:
      need_args(r, 1);
      return ok({arg(d.index.count(r.args[0]) != 0)});
    case Op::dict_len:
      need_args(r, 0);
      return ok({arg(std::uint64_t{d.items.size()})});
    case Op::dict_keys:
    case Op::dict_values:
    case Op::dict_items: {
      need_args(r, 0);
      const auto op = static_cast<Op>(r.op);
      std::vector<std::string> out;
      out.reserve(d.items.size() * (op == Op::dict_items ? 2 : 1));
      for (const auto& [k, v] : d.items) {
        if (op != Op::dict_values) out.push_back(k);
        if (op != Op::dict_keys) out.push_back(v);
      }
      return ok(std::move(out));
    }
    case Op::dict_popitem: {
      need_args(r, 0);
      if (d.items.empty()) throw KeyError("'popitem(): dictionary is empty'");
      auto last = std::prev(d.items.end());
      std::vector<std::string> out{last->first, std::move(last->second)};
      d.index.erase(last->first);
      d.items.erase(last);
      return ok(std::move(out));
    }
    case Op::dict_setdefault: {
      need_args(r, 2);
      auto it = d.index.find(r.args[0]);
      if (it != d.index.end()) return ok({it->second->second});
      d.set(r.args[0], r.args[1]);
      return ok({r.args[1]});
    }
    case Op::dict_update:
      if (r.args.size() % 2 != 0) throw ValueError("malformed request: update takes key/value pairs");
      for (std::size_t i = 0; i < r.args.size(); i += 2) d.set(r.args[i], r.args[i + 1]);
      return ok();
    case Op::dict_clear:
      need_args(r, 0);
      d.items.clear();
      d.index.clear();
      return ok();
    default:
      throw ValueError("malformed request: op " + std::to_string(r.op) + " is not a dict method");
  }
}

Reply do_list(ListObject& l, const Request& r) {
  std::lock_guard g(l.mu);
  auto& v = l.items;
  switch (static_cast<Op>(r.op)) {
    case Op::list_append:
      need_args(r, 1);
      v.push_back(r.args[0]);
      return ok();
    case Op::list_extend:
      v.insert(v.end(), r.args.begin(), r.args.end());
      return ok();
    case Op::list_insert: {
      need_args(r, 2);
      auto i = arg_as<std::int64_t>(r, 0);
      const auto n = static_cast<std::int64_t>(v.size());
      if (i < 0) i = std::max<std::int64_t>(0, i + n);
      if (i > n) i = n;
      v.insert(v.begin() + i, r.args[1]);
      return ok();
    }
    case Op::list_getitem: {
      need_args(r, 1);
      auto i = arg_as<std::int64_t>(r, 0);
      if (!normalise(i, v.size())) throw IndexError("list index out of range");
      return ok({v[static_cast<std::size_t>(i)]});
    }
    case Op::list_setitem: {
      need_args(r, 2);
      auto i = arg_as<std::int64_t>(r, 0);
      if (!normalise(i, v.size())) throw IndexError("list assignment index out of range");
      v[static_cast<std::size_t>(i)] = r.args[1];
      return ok();
    }
    case Op::list_delitem: {
      need_args(r, 1);
      auto i = arg_as<std::int64_t>(r, 0);
      if (!normalise(i, v.size())) throw IndexError("list assignment index out of range");
      v.erase(v.begin() + i);
      return ok();
    }
    case Op::list_pop: {
      need_args(r, 1);
      auto i = arg_as<std::int64_t>(r, 0);
      if (v.empty()) throw IndexError("pop from empty list");
      if (!normalise(i, v.size())) throw IndexError("pop index out of range");
      std::string out = std::move(v[static_cast<std::size_t>(i)]);
      v.erase(v.begin() + i);
      return ok({std::move(out)});
    }
    case Op::list_index:
    case Op::list_remove: {
      need_args(r, 1);
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] != r.args[0]) continue;
        if (static_cast<Op>(r.op) == Op::list_index) return ok({arg(std::uint64_t{i})});
        v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
        return ok();
      }
      if (static_cast<Op>(r.op) == Op::list_index) throw ValueError("value is not in list");
      throw ValueError("list.remove(x): x not in list");
    }
    case Op::list_count: {
      need_args(r, 1);
      std::uint64_t n = 0;
      for (const auto& e : v) if (e == r.args[0]) ++n;
      return ok({arg(n)});
    }
    case Op::list_len:
      need_args(r, 0);
      return ok({arg(std::uint64_t{v.size()})});
    case Op::list_clear:
      need_args(r, 0);
      v.clear();
      return ok();
    case Op::list_tolist:
      need_args(r, 0);
      return ok(v);
    default:
      throw ValueError("malformed request: op " + std::to_string(r.op) + " is not a list method");
  }
}

Reply do_namespace(NamespaceObject& ns, const Request& r) {
  if (r.args.empty()) throw ValueError("malformed request: a Namespace method needs a name");
  const auto name = arg_as<std::string>(r, 0);
  std::lock_guard g(ns.mu);
  switch (static_cast<Op>(r.op)) {
    case Op::ns_getattr: {
      need_args(r, 1);
      auto it = ns.attrs.find(name);
      if (it == ns.attrs.end()) throw AttributeError("'Namespace' object has no attribute '" + name + "'");
      return ok({it->second});
    }
    case Op::ns_setattr:
      need_args(r, 2);
      ns.attrs[name] = r.args[1];
      return ok();
    case Op::ns_delattr:
      need_args(r, 1);
      if (ns.attrs.erase(name) == 0) throw AttributeError("'Namespace' object has no attribute '" + name + "'");
      return ok();
    case Op::ns_hasattr:
      need_args(r, 1);
      return ok({arg(ns.attrs.count(name) != 0)});
    default:
      throw ValueError("malformed request: op " + std::to_string(r.op) + " is not a Namespace method");
  }
}

Reply do_value(ValueObject& val, const Request& r) {
  std::lock_guard g(val.mu);
  switch (static_cast<Op>(r.op)) {
    case Op::value_get:
      need_args(r, 0);
      return ok({val.v});
    case Op::value_set:
      need_args(r, 1);
      val.v = r.args[0];
      return ok();
    default:
      throw ValueError("malformed request: op " + std::to_string(r.op) + " is not a Value method");
  }
}

Reply do_queue(QueueObject& q, const Request& r, bool never_block) {
  switch (static_cast<Op>(r.op)) {
    case Op::queue_put: {
      need_args(r, 3);
      const bool block = arg_bool(r, 1) && !never_block;
      const Timeout t = timeout_from_wire(arg_as<std::int64_t>(r, 2));
      if (block) q.q.put(r.args[0], true, t);
      else q.q.put(r.args[0], false);
      return ok();
    }
    case Op::queue_get: {
      need_args(r, 2);
      const bool block = arg_bool(r, 0) && !never_block;
      const Timeout t = timeout_from_wire(arg_as<std::int64_t>(r, 1));
      return ok({block ? q.q.get(true, t) : q.q.get(false)});
    }
    case Op::queue_qsize:
      need_args(r, 0);
      return ok({arg(std::uint64_t{q.q.qsize()})});
    case Op::queue_empty:
      need_args(r, 0);
      return ok({arg(q.q.empty())});
    case Op::queue_full:
      need_args(r, 0);
      return ok({arg(q.q.full())});
    case Op::queue_task_done:
      need_args(r, 0);
      q.q.task_done();
      return ok();
    case Op::queue_join:
      need_args(r, 0);
      if (never_block) (void)q.q.join(Timeout(std::chrono::nanoseconds(0)));
      else q.q.join();
      return ok();
    default:
      throw ValueError("malformed request: op " + std::to_string(r.op) + " is not a Queue method");
  }
}

template <class L>
Reply do_acquire(L& l, const Request& r, bool never_block) {
  need_args(r, 2);
  const bool blocking = arg_bool(r, 0);
  const std::int64_t wire = arg_as<std::int64_t>(r, 1);
  if (!blocking && wire != kWireForever) throw ValueError("can't specify a timeout for a non-blocking call");
  if (!blocking || never_block) return ok({arg(l.acquire(false))});
  return ok({arg(l.acquire(true, timeout_from_wire(wire)))});
}

Reply do_lock(LockObject& l, const Request& r, bool never_block) {
  switch (static_cast<Op>(r.op)) {
    case Op::lock_acquire:
      return do_acquire(l.l, r, never_block);
    case Op::lock_release:
      need_args(r, 0);
      l.l.release();
      return ok();
    case Op::lock_locked:
      need_args(r, 0);
      return ok({arg(l.l.locked())});
    default:
      throw ValueError("malformed request: op " + std::to_string(r.op) + " is not a Lock method");
  }
}

Reply do_semaphore(SemaphoreObject& s, const Request& r, bool never_block) {
  switch (static_cast<Op>(r.op)) {
    case Op::lock_acquire:
      return do_acquire(*s.s, r, never_block);
    case Op::lock_release:
      need_args(r, 0);
      s.s->release();
      return ok();
    case Op::lock_locked:
      need_args(r, 0);
      return ok({arg(s.s->value() == 0)});
    case Op::sem_get_value:
      need_args(r, 0);
      return ok({arg(static_cast<std::uint64_t>(std::max<std::ptrdiff_t>(0, s.s->value())))});
    default:
      throw ValueError("malformed request: op " + std::to_string(r.op) + " is not a Semaphore method");
  }
}

Reply do_event(EventObject& e, const Request& r, bool never_block) {
  switch (static_cast<Op>(r.op)) {
    case Op::event_set:
      need_args(r, 0);
      e.e.set();
      return ok();
    case Op::event_clear:
      need_args(r, 0);
      e.e.clear();
      return ok();
    case Op::event_is_set:
      need_args(r, 0);
      return ok({arg(e.e.is_set())});
    case Op::event_wait: {
      need_args(r, 1);
      const auto wire = arg_as<std::int64_t>(r, 0);
      if (never_block) return ok({arg(e.e.is_set())});
      return ok({arg(e.e.wait(timeout_from_wire(wire)))});
    }
    default:
      throw ValueError("malformed request: op " + std::to_string(r.op) + " is not an Event method");
  }
}

std::shared_ptr<ManagedObject> make_object(const Request& r) {
  if (r.args.empty()) throw ValueError("malformed request: create needs a kind");
  const auto k = arg_as<std::uint8_t>(r, 0);
  if (k < 1 || k > static_cast<std::uint8_t>(ManagedKind::last))
    throw ValueError("malformed request: unknown object kind " + std::to_string(k));
  const auto kind = static_cast<ManagedKind>(k);
  switch (kind) {
    case ManagedKind::dict: {
      if (r.args.size() % 2 != 1) throw ValueError("malformed request: dict takes key/value pairs");
      auto d = std::make_shared<DictObject>();
      for (std::size_t i = 1; i < r.args.size(); i += 2) d->set(r.args[i], r.args[i + 1]);
      return d;
    }
    case ManagedKind::list: {
      auto l = std::make_shared<ListObject>();
      l->items.assign(r.args.begin() + 1, r.args.end());
      return l;
    }
    case ManagedKind::ns:
      need_args(r, 1);
      return std::make_shared<NamespaceObject>();
    case ManagedKind::value: {
      need_args(r, 2);
      auto v = std::make_shared<ValueObject>();
      v->v = r.args[1];
      return v;
    }
    case ManagedKind::queue: {
      need_args(r, 2);
      const auto maxsize = arg_as<std::uint64_t>(r, 1);
      return std::make_shared<QueueObject>(static_cast<std::size_t>(maxsize));
    }
    case ManagedKind::lock:
      need_args(r, 1);
      return std::make_shared<LockObject>();
    case ManagedKind::event:
      need_args(r, 1);
      return std::make_shared<EventObject>();
    case ManagedKind::semaphore:
    case ManagedKind::bounded_semaphore: {
      need_args(r, 2);
      const auto value = arg_as<std::uint64_t>(r, 1);
      if (value > static_cast<std::uint64_t>(PTRDIFF_MAX / 2))
        throw ValueError("semaphore initial value is too large");
      return std::make_shared<SemaphoreObject>(kind, static_cast<std::ptrdiff_t>(value));
    }
  }
  throw ValueError("malformed request: unknown object kind");
}

Reply error_reply(const char* type, const char* what) {
  Reply rep;
  rep.status = static_cast<std::uint8_t>(ReplyStatus::error);
  rep.error_type = type;
  rep.message = what;
  return rep;
}

}  // namespace

ServerState::ServerState(bool never_block) : never_block_(never_block) {}
ServerState::~ServerState() = default;

std::shared_ptr<ManagedObject> ServerState::find(std::uint32_t id) {
  std::lock_guard g(lock_);
  auto it = objects_.find(id);
  if (it == objects_.end()) throw ValueError("malformed request: no object with id " + std::to_string(id));
  return it->second;
}

Reply ServerState::dispatch(const Request& r, bool* stop) {
  if (r.object == 0) {
    switch (static_cast<Op>(r.op)) {
      case Op::create: {
        auto obj = make_object(r);
        std::lock_guard g(lock_);
        const std::uint32_t id = next_id_++;
        if (next_id_ == 0) next_id_ = 1;
        objects_[id] = std::move(obj);
        return ok({arg(id)});
      }
      case Op::shutdown:
        need_args(r, 0);
        *stop = true;
        return ok();
      case Op::ping:
        need_args(r, 0);
        return ok();
      default:
        throw ValueError("malformed request: op " + std::to_string(r.op) + " is not a manager method");
    }
  }
  auto obj = find(r.object);
  switch (obj->kind) {
    case ManagedKind::dict:
      return do_dict(static_cast<DictObject&>(*obj), r);
    case ManagedKind::list:
      return do_list(static_cast<ListObject&>(*obj), r);
    case ManagedKind::ns:
      return do_namespace(static_cast<NamespaceObject&>(*obj), r);
    case ManagedKind::value:
      return do_value(static_cast<ValueObject&>(*obj), r);
    case ManagedKind::queue:
      return do_queue(static_cast<QueueObject&>(*obj), r, never_block_);
    case ManagedKind::lock:
      return do_lock(static_cast<LockObject&>(*obj), r, never_block_);
    case ManagedKind::semaphore:
    case ManagedKind::bounded_semaphore:
      return do_semaphore(static_cast<SemaphoreObject&>(*obj), r, never_block_);
    case ManagedKind::event:
      return do_event(static_cast<EventObject&>(*obj), r, never_block_);
  }
  throw ValueError("malformed request: unknown object kind");
}

std::string ServerState::handle(std::string_view frame, bool* stop) {
  *stop = false;
  Reply rep;
  try {
    rep = dispatch(decode_request(frame.data(), frame.size()), stop);
  } catch (const KeyError& e) {
    rep = error_reply("KeyError", e.what());
  } catch (const IndexError& e) {
    rep = error_reply("IndexError", e.what());
  } catch (const AttributeError& e) {
    rep = error_reply("AttributeError", e.what());
  } catch (const Full& e) {
    rep = error_reply("Full", e.what());
  } catch (const Empty& e) {
    rep = error_reply("Empty", e.what());
  } catch (const ShutDown& e) {
    rep = error_reply("ShutDown", e.what());
  } catch (const ValueError& e) {
    rep = error_reply("ValueError", e.what());
  } catch (const TimeoutError& e) {
    rep = error_reply("TimeoutError", e.what());
  } catch (const RuntimeError& e) {
    rep = error_reply("RuntimeError", e.what());
  } catch (const std::bad_alloc&) {
    rep = error_reply("MemoryError", "out of memory in the manager process");
  } catch (const std::exception& e) {
    rep = error_reply("std::exception", e.what());
  }
  return encode_reply(rep);
}

int manager_socket(const std::string& address, bool listen, std::string* bound) {
  int fd = -1;
  if (!address.empty() && address.front() == '/') {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (address.size() >= sizeof sa.sun_path)
      throw ValueError("unix socket path is too long (" + std::to_string(address.size()) + " bytes, at most " +
                       std::to_string(sizeof sa.sun_path - 1) + "): " + address);
    std::memcpy(sa.sun_path, address.data(), address.size());
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw_os("cannot create a socket", errno);
    const auto* p = reinterpret_cast<const sockaddr*>(&sa);
    if (listen) {
      if (::bind(fd, p, sizeof sa) != 0 || ::listen(fd, 128) != 0) {
        const int err = errno;
        ::close(fd);
        throw_os("cannot listen on " + address, err);
      }
      if (bound) *bound = address;
    } else {
      while (::connect(fd, p, sizeof sa) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        throw_os("cannot connect to the manager at " + address, err);
      }
    }
    return fd;
  }
  const auto colon = address.rfind(':');
  if (colon == std::string::npos)
    throw ValueError("bad manager address '" + address + "': expected a unix socket path or host:port");
  const std::string host = address.substr(0, colon);
  const std::string port_text = address.substr(colon + 1);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (::inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1)
    throw ValueError("bad manager address '" + address + "': the host must be an IPv4 address such as 127.0.0.1");
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port_text) > 65535)
    throw ValueError("bad manager address '" + address + "': the port must be a number from 0 to 65535");
  sa.sin_port = htons(static_cast<std::uint16_t>(std::stoul(port_text)));
  fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_os("cannot create a socket", errno);
  const auto* p = reinterpret_cast<const sockaddr*>(&sa);
  if (listen) {
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, p, sizeof sa) != 0 || ::listen(fd, 128) != 0) {
      const int err = errno;
      ::close(fd);
      throw_os("cannot listen on " + address, err);
    }
    sockaddr_in got{};
    socklen_t len = sizeof got;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &len);
    if (bound) *bound = host + ":" + std::to_string(ntohs(got.sin_port));
  } else {
    while (::connect(fd, p, sizeof sa) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw_os("cannot connect to the manager at " + address, err);
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
  }
  return fd;
}

namespace {

void set_recv_timeout(int fd, long seconds) {
  timeval tv{};
  tv.tv_sec = seconds;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

// One connection's thread. main() owns the Worker; the thread only sets `done` (after its
// socket is closed) and pokes the exit pipe, so main can join it.
struct Worker {
  std::thread thread;
  int fd = -1;
  std::atomic<bool> done{false};
};

void serve_connection(Worker* w, ServerState* state, const std::string* authkey, int stop_fd, int exit_fd) {
  auto notify = [w, exit_fd] {
    w->done.store(true, std::memory_order_release);
    const char b = 1;
    while (::write(exit_fd, &b, 1) < 0 && errno == EINTR) {
    }
  };
  {
    Connection c(w->fd, true, true);
    bool authenticated = false;
    try {
      // An unauthenticated peer gets 30 s to answer, then the thread lets it go.
      set_recv_timeout(w->fd, 30);
      deliver_challenge(c, *authkey);
      answer_challenge(c, *authkey);
      set_recv_timeout(w->fd, 0);
      authenticated = true;
    } catch (const std::exception&) {
      // AuthenticationError (or the peer left): nothing was run for it
    }
    while (authenticated) {
      bool stop = false;
      try {
        const std::string frame = c.recv_bytes();
        const std::string reply = state->handle(frame, &stop);
        c.send_bytes(reply);
      } catch (const std::exception&) {
        break;  // the client closed its connection (or went away, or the server stops)
      }
      if (stop) {
        const char b = 1;
        while (::write(stop_fd, &b, 1) < 0 && errno == EINTR) {
        }
        break;
      }
    }
  }
  notify();
}

void drain(int fd) {
  char buf[64];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

// Workers live on the heap: one still waiting inside the server when it stops is detached
// and must outlive run_manager_server (the process exit ends it).
void join_finished(std::list<Worker*>& workers) {
  for (auto it = workers.begin(); it != workers.end();) {
    if ((*it)->done.load(std::memory_order_acquire)) {
      (*it)->thread.join();
      delete *it;
      it = workers.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace

void run_manager_server(const std::string& address, const std::string& authkey,
                        const std::function<void(const std::string&)>& ready) {
  std::string bound;
  int lfd = -1;
  try {
    lfd = manager_socket(address, true, &bound);
  } catch (const std::exception& e) {
    ready(std::string("!") + e.what());
    return;
  }
  int stop[2];
  int exits[2];
  if (::pipe2(stop, O_CLOEXEC) != 0 || ::pipe2(exits, O_CLOEXEC | O_NONBLOCK) != 0) {
    ready("!cannot create a pipe: " + std::string(std::strerror(errno)));
    return;
  }
  // Shared with connection threads, which may outlive this function (a thread still waiting
  // in the server, e.g. in a Queue get, when the server stops): never freed.
  auto* state = new ServerState();
  auto* key = new std::string(authkey);
  std::list<Worker*> workers;
  ready(bound);
  for (;;) {
    pollfd p[3] = {{lfd, POLLIN, 0}, {stop[0], POLLIN, 0}, {exits[0], POLLIN, 0}};
    if (::poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents) break;
    if (p[2].revents) {
      drain(exits[0]);
      join_finished(workers);
    }
    if (p[0].revents & POLLIN) {
      const int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;  // EINTR, ECONNABORTED, EMFILE: keep serving the others
      auto* w = new Worker();
      w->fd = c;
      try {
        w->thread = std::thread(serve_connection, w, state, key, stop[1], exits[1]);
        workers.push_back(w);
      } catch (const std::exception&) {
        ::close(c);  // no thread to serve it: the client sees EOF
        delete w;
      }
    }
  }
  ::close(lfd);
  if (!address.empty() && address.front() == '/') ::unlink(address.c_str());
  // Stop: end every connection (their reads see EOF), join the threads that end within
  // 250 ms; a thread still waiting inside the server (a Queue get without timeout...) is
  // left to the process exit.
  for (Worker* w : workers)
    if (!w->done.load(std::memory_order_acquire)) ::shutdown(w->fd, SHUT_RDWR);
  const Deadline deadline = Deadline::after(std::chrono::milliseconds(250));
  for (;;) {
    join_finished(workers);
    if (workers.empty() || deadline.expired()) break;
    pollfd p{exits[0], POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline.remaining()).count();
    if (::poll(&p, 1, static_cast<int>(left) + 1) > 0) drain(exits[0]);
  }
  for (Worker* w : workers) w->thread.detach();  // and never freed (see join_finished)
}

}  // namespace triad::process::detail
