#include "triad/threading/detail/sync_common.hpp"

#include "triad/core/error.hpp"

namespace triad::detail {

void throw_nonblocking_timeout() {
  throw ValueError("can't specify a timeout for a non-blocking call");
}

}  // namespace triad::detail
