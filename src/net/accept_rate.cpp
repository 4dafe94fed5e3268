#include "ris/net/accept_rate.hpp"

#include <algorithm>

namespace ris::net {

AcceptRate::AcceptRate(double per_second) : per_second_(per_second), tokens_(per_second) {}

bool AcceptRate::take(Clock::time_point now) {
  if (per_second_ <= 0)
    return true;
  std::lock_guard lock(mu_);
  if (refilled_ != Clock::time_point{} && now > refilled_) {
    const double elapsed = std::chrono::duration<double>(now - refilled_).count();
    tokens_ = std::min(per_second_, tokens_ + elapsed * per_second_);
  }
  if (refilled_ == Clock::time_point{} || now > refilled_)
    refilled_ = now;
  if (tokens_ < 1)
    return false;
  tokens_ -= 1;
  return true;
}

}  // namespace ris::net
