#include "server_list.hpp"

#include <boost/json/parse.hpp>
#include <set>

#include "presence_repository.hpp"
#include "ris/core/time.hpp"

namespace ris::fleet {

void ServerList::read_locked(std::chrono::steady_clock::time_point now) {
  auto rows = PresenceRepository(store_).live_advertise(now_rfc3339());
  if (!rows)
    return;  // kept as it was: the database is away, the servers are not
  read_at_ = now;
  std::set<std::string> urls;  // sorted, so that a change is a change of content only
  for (const auto& text : *rows) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_array())
      continue;
    for (const auto& u : v.as_array())
      if (u.is_string())
        urls.emplace(u.as_string());
  }
  auto next = std::make_shared<boost::json::array>();
  for (const auto& u : urls)
    next->emplace_back(u);
  list_ = std::move(next);
}

std::shared_ptr<const boost::json::array> ServerList::current() {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!list_ || now - read_at_ >= refresh_)
    read_locked(now);
  if (!list_)
    return std::make_shared<const boost::json::array>();
  if (!announced_)
    announced_ = list_;  // what the first agents are told; a newer list is announced
  return list_;
}

void ServerList::expire() {
  std::lock_guard lock(mu_);
  read_at_ = {};
}

bool ServerList::refresh_changed() {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!list_ || now - read_at_ >= refresh_)
    read_locked(now);
  if (!list_)
    return false;
  if (!announced_) {
    announced_ = list_;  // no agent has been told anything yet
    return false;
  }
  if (*announced_ == *list_)
    return false;
  announced_ = list_;
  return true;
}

}  // namespace ris::fleet
