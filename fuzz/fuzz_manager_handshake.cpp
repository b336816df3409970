// Arbitrary peer bytes during multiprocessing's HMAC challenge. Input byte 0 picks the role:
// even = we deliver the challenge (the server's side), odd = we answer one (the client's).
// The rest is what the peer "sends" (framed or not). Every run must end in a triad exception
// (AuthenticationError, EOFError, OSError, ValueError) — except that answering may succeed,
// since a peer may legitimately welcome us. Delivering must NEVER succeed: the peer would
// have forged an HMAC of a random challenge it never read, i.e. authenticated without the key.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_common.hpp"
#include "triad/process/connection.hpp"
#include "triad/process/detail/manager_protocol.hpp"

namespace tp = triad::process;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool deliver = (data[0] & 1) == 0;
  fuzz::Socketpair sp(data + 1, size - 1);
  tp::Connection c(sp.near, true, true);
  sp.near = -1;
  const std::string key = "fuzz authkey";
  try {
    if (deliver) {
      tp::detail::deliver_challenge(c, key);
      std::abort();  // authenticated without the key
    } else {
      tp::detail::answer_challenge(c, key);
    }
  } catch (const triad::Error&) {
  }
  return 0;
}
