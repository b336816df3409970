#include "triad/threading/detail/sync_common.hpp"

#include "triad/core/error.hpp"

namespace triad::detail {

Deadline acquire_deadline(bool blocking, Timeout timeout) {
  if (!blocking) {
    if (!timeout.is_forever()) throw ValueError("can't specify a timeout for a non-blocking call");
    return Deadline::after(Clock::duration::zero());
  }
  return Deadline::after(timeout);
}

}  // namespace triad::detail
