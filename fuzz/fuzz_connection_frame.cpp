// Arbitrary bytes arrive on a Connection: every receive either yields a message or raises a
// triad exception (EOFError, OSError, ValueError "corrupted message"), never anything else.
// The first input byte picks how the receiver reads; the rest is the byte stream.
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "fuzz_common.hpp"
#include "triad/process/connection.hpp"

namespace tp = triad::process;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  fuzz::Socketpair sp(data + 1, size - 1);
  tp::Connection c(sp.near, true, true);
  sp.near = -1;  // owned by c now
  for (int i = 0; i < 64; ++i) {  // every message of the stream, until an error ends it
    try {
      switch (mode % 7) {
        case 0: (void)c.recv_bytes(); break;
        case 1: (void)c.recv_bytes(100); break;
        case 2: (void)c.recv<std::string>(); break;
        case 3: (void)c.recv<std::vector<std::map<std::string, int>>>(); break;
        case 4: (void)c.recv<std::tuple<int, std::string, double>>(); break;
        case 5: (void)c.recv<std::uint64_t>(); break;
        default:
          if (!c.poll()) return 0;
          (void)c.recv<std::vector<std::vector<std::string>>>();
      }
    } catch (const triad::Error&) {
      return 0;  // a clear error: what we want
    }
    if (c.closed()) return 0;
  }
  return 0;
}
