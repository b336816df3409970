// Arbitrary request frames reach a Manager server's dispatcher (after authentication: this is
// what an authenticated but buggy or hostile client can send). Every frame must get a
// well-formed reply (an error reply for anything malformed); handle() never throws, never
// crashes, never blocks (the state is built with never_block), and runs no user code.
//
// Input: frames, each a 2-byte little-endian length then that many bytes. Before them the
// target creates one object of every kind (ids 1..9), so frames can reach every method.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "manager_server.hpp"
#include "triad/process/detail/manager_protocol.hpp"

namespace d = triad::process::detail;

namespace {

std::string create(d::ManagedKind kind, std::vector<std::string> extra) {
  d::Request r;
  r.object = 0;
  r.op = static_cast<std::uint16_t>(d::Op::create);
  r.args.push_back(d::arg(static_cast<std::uint8_t>(kind)));
  for (auto& e : extra) r.args.push_back(std::move(e));
  return d::encode_request(r);
}

void check_reply(const std::string& reply) {
  // A reply the server made must always decode.
  try {
    (void)d::decode_reply(reply.data(), reply.size());
  } catch (...) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  d::ServerState state(/*never_block=*/true);
  bool stop = false;
  const std::uint64_t two = 2;
  for (const auto& f : {create(d::ManagedKind::dict, {}), create(d::ManagedKind::list, {d::arg(1), d::arg(2)}),
                        create(d::ManagedKind::ns, {}), create(d::ManagedKind::value, {d::arg(7)}),
                        create(d::ManagedKind::queue, {d::arg(two)}), create(d::ManagedKind::lock, {}),
                        create(d::ManagedKind::event, {}), create(d::ManagedKind::semaphore, {d::arg(two)}),
                        create(d::ManagedKind::bounded_semaphore, {d::arg(two)})})
    check_reply(state.handle(f, &stop));

  // The whole input as one frame, then as a sequence of frames.
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  check_reply(state.handle(all, &stop));
  std::size_t pos = 0;
  while (pos + 2 <= size) {
    const std::size_t n = static_cast<std::size_t>(data[pos]) | (static_cast<std::size_t>(data[pos + 1]) << 8);
    pos += 2;
    const std::size_t take = n < size - pos ? n : size - pos;
    check_reply(state.handle(all.substr(pos, take), &stop));
    pos += take;
  }
  return 0;
}
