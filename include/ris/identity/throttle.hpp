// Sign-in throttling: failures are counted per login name and per source address; past a free
// allowance each further failure doubles the wait (capped), and a success clears the login's
// count. Keyed by the login as typed, so an unknown account is throttled exactly like a real one
// and the answer never reveals which accounts exist. In memory: a restart forgives, which is
// acceptable for back-off (the audit log keeps the record).
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ris::identity {

struct ThrottlePolicy {
  int free_failures_per_login = 5;
  int free_failures_per_source = 20;
  std::chrono::seconds first_delay{1};
  std::chrono::seconds max_delay{15 * 60};
  std::chrono::seconds forget_after{60 * 60};  // a quiet hour resets a key
  size_t max_keys = 100'000;                   // bounds memory under a spray of logins
};

class SignInThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit SignInThrottle(ThrottlePolicy policy = {}) : policy_(policy) {}
  // Seconds to wait before another attempt may be checked; 0 = go ahead.
  int64_t retry_after(std::string_view login, std::string_view source,
                      Clock::time_point now = Clock::now());
  void record_failure(std::string_view login, std::string_view source,
                      Clock::time_point now = Clock::now());
  void record_success(std::string_view login, Clock::time_point now = Clock::now());
  size_t tracked_keys();

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point last_failure{};
    Clock::time_point blocked_until{};
  };
  void fail_key(const std::string& key, int free, Clock::time_point now);
  int64_t wait(const std::string& key, Clock::time_point now);
  void prune(Clock::time_point now);

  ThrottlePolicy policy_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace ris::identity
