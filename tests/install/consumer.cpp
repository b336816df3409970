// Built against an installed triad; exits 0 when the library links and behaves.
#include <triad/triad.hpp>

#include <cstdio>

int main() {
  triad::WaitNode node;
  node.context->unpark(node);
  if (node.context->park(node, triad::Deadline::never()) != triad::ParkResult::woken) return 1;
  std::puts("consumer: triad works");
  return 0;
}
