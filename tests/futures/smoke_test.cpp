#include <gtest/gtest.h>
#include "triad/futures.hpp"
TEST(Smoke, Basic) {
  triad::ThreadPoolExecutor pool(2);
  auto f = pool.submit([](int a, int b) { return a + b; }, 1, 2);
  EXPECT_EQ(f.result(), 3);
  std::vector<int> xs{1, 2, 3};
  int sum = 0;
  for (int v : pool.map([](int x) { return x * x; }, xs)) sum += v;
  EXPECT_EQ(sum, 14);
  auto g = f.then([](int x) { return x * 2; });
  EXPECT_EQ(g.result(), 6);
  std::vector<triad::Future<int>> fs{f, g};
  auto r = triad::wait(fs);
  EXPECT_EQ(r.done.size(), 2u);
  int n = 0;
  for (auto& x : triad::as_completed(fs)) { (void)x; ++n; }
  EXPECT_EQ(n, 2);
}
