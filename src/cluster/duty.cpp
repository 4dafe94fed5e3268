#include "ris/cluster/duty.hpp"

#include <fmt/format.h>

#include "duty_repository.hpp"
#include "ris/core/log.hpp"

namespace ris::cluster {

Duty::Duty(store::Store& store, std::string name, std::string server_id,
           std::chrono::milliseconds ttl)
    : store_(store), name_(std::move(name)), server_id_(std::move(server_id)), ttl_(ttl) {}

std::optional<int64_t> Duty::held() const {
  std::lock_guard lock(mu_);
  return held_;
}

// The lock is never held across a statement: fence() runs inside a transaction that may hold
// the database's write lock while hold() on another thread waits for it.
Result<std::optional<int64_t>> Duty::hold(SystemTime now) {
  std::optional<int64_t> known;
  {
    std::lock_guard lock(mu_);
    known = held_;
    if (known && now >= renewed_at_ && now - renewed_at_ < ttl_ / 4)
      return known;
  }
  RIS_TRY(auto epoch, DutyRepository(store_).hold(name_, server_id_, known.value_or(0),
                                                  to_rfc3339(now), to_rfc3339(now + ttl_)));
  std::lock_guard lock(mu_);
  renewed_at_ = now;
  if (held_ && held_ != epoch)
    log::warn("duty_lost", {{"duty", name_},
                            {"server", server_id_},
                            {"epoch", *held_},
                            {"reason", "another server holds it"}});
  if (epoch && held_ != epoch)
    log::info("duty_acquired", {{"duty", name_}, {"server", server_id_}, {"epoch", *epoch}});
  held_ = epoch;
  return epoch;
}

Result<void> Duty::fence(store::Store& tx, int64_t epoch, SystemTime now) {
  RIS_TRY(auto held, DutyRepository(tx).still_held(name_, server_id_, epoch, to_rfc3339(now)));
  if (held)
    return {};
  lost(epoch, "its lease lapsed or another server took it over");
  return fail(Errc::conflict,
              fmt::format("duty {} is no longer held by this server (epoch {})", name_, epoch));
}

Fence Duty::fence_for(int64_t epoch, SystemTime now) {
  return [this, epoch, now](store::Store& tx) { return fence(tx, epoch, now); };
}

Result<void> Duty::release() {
  const auto epoch = held();
  if (!epoch)
    return {};
  RIS_TRY(auto released,
          DutyRepository(store_).release(name_, server_id_, *epoch, to_rfc3339(SystemTime{})));
  if (released)
    log::info("duty_released", {{"duty", name_}, {"server", server_id_}, {"epoch", *epoch}});
  std::lock_guard lock(mu_);
  if (held_ == epoch)
    held_.reset();
  return {};
}

void Duty::lost(int64_t epoch, const char* reason) {
  std::lock_guard lock(mu_);
  if (held_ != epoch)
    return;
  log::warn("duty_lost",
            {{"duty", name_}, {"server", server_id_}, {"epoch", epoch}, {"reason", reason}});
  held_.reset();
}

Result<std::map<std::string, std::string>> duty_holders(store::Store& store, SystemTime now) {
  RIS_TRY(auto rows, DutyRepository(store).held(to_rfc3339(now)));
  std::map<std::string, std::string> out;
  for (auto& r : rows)
    out.emplace(std::move(r.name), std::move(r.holder));
  return out;
}

}  // namespace ris::cluster
