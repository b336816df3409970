// Internal: Address <-> struct sockaddr, with Python's parsing rules and messages.
#pragma once

#include <sys/socket.h>

#include <vector>

#include "triad/net/address.hpp"

namespace triad::net::detail {

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;
  [[nodiscard]] const sockaddr* get() const noexcept {
    return reinterpret_cast<const sockaddr*>(&storage);  // NOLINT
  }
  sockaddr* get() noexcept { return reinterpret_cast<sockaddr*>(&storage); }  // NOLINT
};

// Converts `a` for a socket of `family`. `what` names the call for messages ("bind()").
// Throws ValueError (wrong shape for the family), OSError (AF_UNIX path too long),
// gaierror (resolution).
SockAddr to_sockaddr(int family, const Address& a, const char* what);
// Resolves every candidate (for create_connection). family AF_UNSPEC allowed.
std::vector<std::pair<int, SockAddr>> resolve_all(const Address& a, int family, int type);
Address from_sockaddr(const sockaddr* sa, socklen_t len);

}  // namespace triad::net::detail
