#include "triad/green/timeout.hpp"

#include <cstdio>

#include "hub_internal.hpp"

namespace triad::green {

Timeout::Timeout(triad::Timeout seconds, std::exception_ptr exception)
    : seconds_(seconds), exception_(std::move(exception)) {
  detail::ThreadState& ts = detail::tstate();
  Hub& hub = detail::hub_for(ts);
  owner_ = ts.current;
  if (seconds.is_forever()) return;
  timer_ = hub.reactor().call_at(Deadline::after(seconds), [this] { fire(); });
}

Timeout::~Timeout() noexcept(false) {
  timer_.cancel();
  if (!fired_ || !raised_) return;
  detail::GreenParker& p = owner_->core().parker;
  if (p.interrupt != raised_) return;  // already raised (or replaced by another interrupt)
  p.interrupt = nullptr;
  p.interrupt_delivered_to_park = false;
  std::exception_ptr e = std::move(raised_);
  if (std::uncaught_exceptions() == 0) std::rethrow_exception(e);
}

void Timeout::cancel() noexcept {
  timer_.cancel();
  if (fired_ && raised_ && owner_->core().parker.interrupt == raised_) {
    owner_->core().parker.interrupt = nullptr;
    owner_->core().parker.interrupt_delivered_to_park = false;
  }
  raised_ = nullptr;
}

bool Timeout::pending() const noexcept { return timer_.pending(); }

std::string Timeout::describe() const {
  if (seconds_.is_forever()) return "None seconds";
  const double s = std::chrono::duration<double>(seconds_.duration()).count();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g second%s", s, s == 1.0 ? "" : "s");
  return buf;
}

void Timeout::fire() noexcept {
  fired_ = true;
  try {
    raised_ = exception_ ? exception_ : std::make_exception_ptr(TimeoutExpired(this, describe()));
  } catch (...) {
    raised_ = std::current_exception();
  }
  Hub* hub = Hub::current_if_exists();
  if (hub != nullptr && owner_ != nullptr) hub->interrupt(*owner_, raised_);
}

}  // namespace triad::green
