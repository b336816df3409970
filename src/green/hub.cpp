#include "triad/green/greenlet.hpp"
namespace triad::green::detail {
ParkResult GreenParker::park(WaitNode&, Deadline) { return ParkResult::woken; }
void GreenParker::unpark(WaitNode&) noexcept {}
}
