#include "triad/core/error.hpp"

#include <gtest/gtest.h>

namespace triad {
namespace {

TEST(Error, HierarchyMatchesPython) {
  EXPECT_THROW(throw BrokenThreadPool("x"), BrokenExecutor);
  EXPECT_THROW(throw BrokenProcessPool("x"), RuntimeError);
  EXPECT_THROW(throw BrokenBarrierError(), RuntimeError);
  EXPECT_THROW(throw Empty(), Error);
  EXPECT_THROW(throw TimeoutError(), std::exception);
}

TEST(Error, RemoteErrorCarriesItsOrigin) {
  const RemoteError e("std::out_of_range", "vector::at", "worker pid 42");
  EXPECT_EQ(e.type_name(), "std::out_of_range");
  EXPECT_EQ(e.message(), "vector::at");
  EXPECT_EQ(e.origin(), "worker pid 42");
  EXPECT_STREQ(e.what(), "std::out_of_range: vector::at (raised in worker pid 42)");
}

}  // namespace
}  // namespace triad
