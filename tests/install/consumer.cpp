// Built against an installed triad; exits 0 when the library links and behaves.
#include <triad/triad.hpp>

#include <cstdio>

int main() {
  triad::Queue<int> q;
  triad::ThreadPoolExecutor pool(2);
  auto f = pool.submit([&q] {
    q.put(6);
    return 7;
  });
  const int product = q.get() * f.result();
  triad::Lock lock;
  const bool locked = lock.acquire(false);
  lock.release();
  if (product != 42 || !locked) return 1;
  std::puts("consumer: triad works");
  return 0;
}
