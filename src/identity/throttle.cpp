#include "ris/identity/throttle.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace ris::identity {
namespace {
std::string login_key(std::string_view login) {
  std::string k = "l:";
  for (char c : login)
    k.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return k;
}
std::string source_key(std::string_view source) {
  return "s:" + std::string(source);
}
}  // namespace

int64_t SignInThrottle::wait(const std::string& key, Clock::time_point now) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.blocked_until <= now)
    return 0;
  return std::chrono::ceil<std::chrono::seconds>(it->second.blocked_until - now).count();
}

int64_t SignInThrottle::retry_after(std::string_view login, std::string_view source,
                                    Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return std::max(wait(login_key(login), now), wait(source_key(source), now));
}

void SignInThrottle::fail_key(const std::string& key, int free, Clock::time_point now) {
  Entry& e = entries_[key];
  if (e.failures > 0 && now - e.last_failure > policy_.forget_after)
    e = Entry{};
  ++e.failures;
  e.last_failure = now;
  if (e.failures > free) {
    const int doublings = std::min(e.failures - free - 1, 20);
    const auto delay = std::min<std::chrono::seconds>(
        policy_.first_delay * (int64_t{1} << doublings), policy_.max_delay);
    e.blocked_until = now + delay;
  }
}

void SignInThrottle::record_failure(std::string_view login, std::string_view source,
                                    Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= policy_.max_keys)
    prune(now);
  fail_key(login_key(login), policy_.free_failures_per_login, now);
  fail_key(source_key(source), policy_.free_failures_per_source, now);
}

void SignInThrottle::record_success(std::string_view login, Clock::time_point) {
  std::lock_guard lock(mutex_);
  entries_.erase(login_key(login));
}

size_t SignInThrottle::tracked_keys() {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void SignInThrottle::prune(Clock::time_point now) {
  std::erase_if(entries_, [&](const auto& kv) {
    return kv.second.blocked_until <= now && now - kv.second.last_failure > policy_.first_delay;
  });
  // Still full (a flood of distinct keys, all blocked): forget the oldest half rather than grow.
  if (entries_.size() >= policy_.max_keys) {
    std::vector<std::pair<Clock::time_point, std::string>> by_age;
    for (const auto& [k, e] : entries_)
      by_age.emplace_back(e.last_failure, k);
    std::sort(by_age.begin(), by_age.end());
    for (size_t i = 0; i < by_age.size() / 2; ++i)
      entries_.erase(by_age[i].second);
  }
}

}  // namespace ris::identity
