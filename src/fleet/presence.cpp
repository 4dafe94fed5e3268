#include "ris/fleet/presence.hpp"

#include <boost/json/serialize.hpp>

#include "presence_repository.hpp"
#include "ris/core/ids.hpp"
#include "ris/core/log.hpp"
#include "ris/core/time.hpp"

namespace ris::fleet {
namespace {
// Rows of servers dead this long are removed (and their agents' presence rows with them).
constexpr auto kForgetDeadAfter = std::chrono::hours(1);

int64_t steady_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::string in(std::chrono::milliseconds d) {
  return to_rfc3339(std::chrono::system_clock::now() + d);
}
}  // namespace

Presence::Presence(store::Store& store, PresenceOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.server_id.empty())
    options_.server_id = new_id();
}

Presence::~Presence() {
  stop();
}

Result<void> Presence::register_now() {
  boost::json::array advertise;
  for (const auto& url : options_.advertise)
    advertise.emplace_back(url);
  const auto at = std::chrono::steady_clock::now();
  RIS_TRY_VOID(PresenceRepository(store_).register_server(
      {options_.server_id, boost::json::serialize(advertise), options_.version, started_at_,
       in(options_.lease)}));
  alive_until_ = steady_ns(at + options_.lease);
  return {};
}

Result<void> Presence::start(std::vector<std::string> advertise) {
  if (!advertise.empty())
    options_.advertise = std::move(advertise);
  started_at_ = now_rfc3339();
  RIS_TRY_VOID(register_now());
  (void)PresenceRepository(store_).forget_dead(
      to_rfc3339(std::chrono::system_clock::now() - kForgetDeadAfter));
  std::lock_guard lock(mu_);
  running_ = true;
  renewer_ = std::thread([this] { renew_loop(); });
  return {};
}

void Presence::renew_loop() {
  const auto every = std::max(options_.lease / 3, std::chrono::milliseconds(100));
  bool failing = false;
  for (uint64_t round = 1;; ++round) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, every, [this] { return stopping_; }))
        return;
    }
    const auto at = std::chrono::steady_clock::now();
    PresenceRepository repo(store_);
    auto renewed = repo.renew(options_.server_id, in(options_.lease));
    Result<void> ok;
    if (!renewed) {
      ok = fail(renewed.error());
    } else if (!*renewed) {
      // Our row went (another server took us for long dead): register again.
      log::warn("server_registered_again", {{"server", options_.server_id}});
      ok = register_now();
    } else {
      alive_until_ = steady_ns(at + options_.lease);
    }
    if (!ok && !failing)
      log::warn("server_lease_renewal_failed",
                {{"server", options_.server_id}, {"error", ok.error().message}});
    if (ok && failing)
      log::info("server_lease_renewed", {{"server", options_.server_id}});
    failing = !ok;
    if (round % 100 == 0)
      (void)repo.forget_dead(to_rfc3339(std::chrono::system_clock::now() - kForgetDeadAfter));
  }
}

void Presence::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_)
      return;
    running_ = false;
    stopping_ = true;
  }
  cv_.notify_all();
  if (renewer_.joinable())
    renewer_.join();
  alive_until_ = 0;
  if (auto r = PresenceRepository(store_).deregister(options_.server_id); !r)
    log::warn("server_deregister_failed",
              {{"server", options_.server_id}, {"error", r.error().message}});
}

bool Presence::alive() const {
  return steady_ns(std::chrono::steady_clock::now()) < alive_until_.load();
}

Result<std::vector<ServerInfo>> Presence::servers() const {
  return PresenceRepository(store_).list_servers();
}

Result<std::optional<ServerInfo>> Presence::server(const std::string& id) const {
  return PresenceRepository(store_).find_server(id);
}

Result<void> Presence::hold(const std::string& agent_id, const std::string& session_id) {
  return PresenceRepository(store_).hold(agent_id, options_.server_id, session_id, now_rfc3339());
}

Result<void> Presence::release(const std::string& agent_id, const std::string& session_id) {
  RIS_TRY_VOID(PresenceRepository(store_).release(agent_id, session_id));
  return {};
}

}  // namespace ris::fleet
