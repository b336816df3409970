// The wire protocol between Manager proxies and the manager's server process.
//
// After the HMAC handshake (both directions, as multiprocessing.connection does), every
// exchange is one request frame and one reply frame on a Connection:
//   request = cereal(uint32 object id, uint16 op, vector<string> args)
//   reply   = cereal(uint8 status, string error type, string message, vector<string> values)
// Each arg/value is the detail::encode() form of one typed value. The server never decodes a
// user value: it stores, compares and returns the encoded bytes, so it runs no user code and
// needs no type information (keys compare by their encoding). Object id 0 is the manager.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "triad/core/timeout.hpp"
#include "triad/process/detail/serialize.hpp"

namespace triad::process {
class Connection;
}

namespace triad::process::detail {

enum class ManagedKind : std::uint8_t {
  dict = 1,
  list,
  ns,
  value,
  queue,
  lock,
  event,
  semaphore,
  bounded_semaphore,
  last = bounded_semaphore,
};

enum class Op : std::uint16_t {
  // manager (object 0)
  create = 1,  // args: kind (uint8), then kind-specific: dict k,v,k,v...; list items; value v;
               // queue maxsize (uint64); semaphore value (uint64)
  shutdown,
  ping,
  // dict
  dict_getitem = 20,  // k -> v | KeyError
  dict_get,           // k -> [] | [v]
  dict_setitem,       // k, v
  dict_delitem,       // k | KeyError
  dict_contains,      // k -> bool
  dict_len,           // -> uint64
  dict_keys,          // -> k...
  dict_values,        // -> v...
  dict_items,         // -> k, v, k, v...
  dict_pop,           // k -> v | KeyError
  dict_popitem,       // -> k, v | KeyError
  dict_setdefault,    // k, default -> v
  dict_update,        // k, v, k, v...
  dict_clear,
  // list
  list_append = 40,  // v
  list_extend,       // v...
  list_insert,       // int64 i, v
  list_getitem,      // int64 i -> v | IndexError
  list_setitem,      // int64 i, v | IndexError
  list_delitem,      // int64 i | IndexError
  list_pop,          // int64 i -> v | IndexError
  list_index,        // v -> uint64 | ValueError
  list_count,        // v -> uint64
  list_remove,       // v | ValueError
  list_len,          // -> uint64
  list_clear,
  list_tolist,       // -> v...
  // namespace
  ns_getattr = 60,  // name -> v | AttributeError
  ns_setattr,       // name, v
  ns_delattr,       // name | AttributeError
  ns_hasattr,       // name -> bool
  // value
  value_get = 70,  // -> v
  value_set,       // v
  // queue
  queue_put = 80,  // v, bool block, int64 timeout | Full
  queue_get,       // bool block, int64 timeout -> v | Empty
  queue_qsize,     // -> uint64
  queue_empty,     // -> bool
  queue_full,      // -> bool
  queue_task_done,  // | ValueError
  queue_join,
  // lock and semaphores
  lock_acquire = 100,  // bool blocking, int64 timeout -> bool
  lock_release,        // | RuntimeError / ValueError
  lock_locked,         // -> bool
  sem_get_value,       // -> uint64
  // event
  event_set = 110,
  event_clear,
  event_is_set,  // -> bool
  event_wait,    // int64 timeout -> bool
};

struct Request {
  std::uint32_t object = 0;
  std::uint16_t op = 0;
  std::vector<std::string> args;
};

enum class ReplyStatus : std::uint8_t { ok = 0, error = 1 };

struct Reply {
  std::uint8_t status = 0;
  std::string error_type;  // "KeyError", "IndexError", "ValueError", "Full", "Empty", ...
  std::string message;
  std::vector<std::string> values;
};

// A Timeout on the wire: nanoseconds, kForever for none, never negative otherwise.
inline constexpr std::int64_t kWireForever = std::numeric_limits<std::int64_t>::max();
std::int64_t timeout_to_wire(Timeout t) noexcept;
Timeout timeout_from_wire(std::int64_t ns) noexcept;

std::string encode_request(const Request& r);
// Throws ValueError("corrupted message: ...") for bytes that are not a request.
Request decode_request(const char* data, std::size_t size);
std::string encode_reply(const Reply& r);
Reply decode_reply(const char* data, std::size_t size);

// Encodes one value as an argument (detail::encode into a fresh string).
template <class T>
std::string arg(const T& v) {
  std::string s;
  encode(s, v);
  return s;
}

// A socket for a manager address ("/unix/path" or "host:port"), close-on-exec. listen=true
// binds and listens and stores the bound address (the real port) in *bound; listen=false
// connects. Throws ValueError for a malformed address, OSError on failure.
int manager_socket(const std::string& address, bool listen, std::string* bound = nullptr);

// The HMAC-SHA256 challenge of multiprocessing.connection, over a Connection.
// deliver_challenge (the server side first): sends a random challenge, checks the peer's
// digest in constant time, answers "#WELCOME#" or "#FAILURE#". answer_challenge (the client
// side first): answers a challenge. Each message is read with a small maxlength, so an
// unauthenticated peer cannot make the other side allocate. Throws AuthenticationError
// ("digest received was wrong" / "digest sent was rejected" / "protocol error: ..."),
// EOFError or OSError when the peer goes away.
void deliver_challenge(Connection& c, const std::string& authkey);
void answer_challenge(Connection& c, const std::string& authkey);

}  // namespace triad::process::detail
