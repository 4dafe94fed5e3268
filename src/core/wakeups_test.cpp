#include "ris/core/wakeups.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace ris {
namespace {
using namespace std::chrono_literals;

template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 500 && !pred(); ++i)
    std::this_thread::sleep_for(10ms);
  return pred();
}

TEST(Wakeups, a_notified_key_resumes_its_waiters_and_no_others) {
  Wakeups w(std::chrono::hours(1));  // no recheck within the test
  std::atomic<int> a{0}, b{0};
  w.wait("a", [&] { ++a; });
  w.wait("a", [&] { ++a; });
  w.wait("b", [&] { ++b; });
  w.notify("a");
  EXPECT_TRUE(eventually([&] { return a == 2; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(b, 0);
  EXPECT_EQ(a, 2) << "each waiter resumes once";
}

TEST(Wakeups, a_waiter_nobody_notifies_is_resumed_at_the_recheck) {
  Wakeups w(50ms);
  std::atomic<bool> resumed{false};
  w.notify("x");  // before anyone waits: not kept
  w.wait("x", [&] { resumed = true; });
  EXPECT_TRUE(eventually([&] { return resumed.load(); }));
}

TEST(Wakeups, what_is_still_parked_when_it_stops_is_dropped) {
  std::atomic<int> resumed{0};
  {
    Wakeups w(std::chrono::hours(1));
    w.wait("x", [&] { ++resumed; });
  }
  EXPECT_EQ(resumed, 0);
}

}  // namespace
}  // namespace ris
