// The manager's server: the objects it owns and how it answers requests (private header;
// the fuzz targets use it directly).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "triad/core/detail/spinlock.hpp"
#include "triad/process/detail/manager_protocol.hpp"

namespace triad::process::detail {

struct ManagedObject;

// Every object of one server, and the dispatch of one request. Thread-safe: each connection
// thread calls handle() concurrently; blocking operations wait without holding the table.
class ServerState {
 public:
  // never_block: every wait is turned into a non-blocking attempt (for fuzzing).
  explicit ServerState(bool never_block = false);
  ~ServerState();
  ServerState(const ServerState&) = delete;
  ServerState& operator=(const ServerState&) = delete;

  // Decodes one request frame and returns the reply frame. Never throws for bad input: a
  // request that does not decode, names an unknown object or op, or carries malformed
  // arguments gets an error reply. *stop is set when the request was a shutdown.
  std::string handle(std::string_view frame, bool* stop);

 private:
  Reply dispatch(const Request& r, bool* stop);
  std::shared_ptr<ManagedObject> find(std::uint32_t id);

  const bool never_block_;
  triad::detail::SpinLock lock_;
  std::uint32_t next_id_ = 1;
  std::unordered_map<std::uint32_t, std::shared_ptr<ManagedObject>> objects_;
};

// The server process's main: listens on `address` (unix path or host:port), reports the
// bound address (or an error, prefixed "!") with ready(), then serves until a shutdown
// request. Each connection is authenticated in both directions before any request is read.
void run_manager_server(const std::string& address, const std::string& authkey,
                        const std::function<void(const std::string&)>& ready);

}  // namespace triad::process::detail
