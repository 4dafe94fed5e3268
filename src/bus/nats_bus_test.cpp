// The NATS bus against a real nats-server: the CTest fixture "nats" (shared, never stopped by
// a test) for delivery, and a private server (scripts/nats-test-server in a directory of the
// test's own) for the tests that kill and restart it.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "nats_test_support.hpp"
#include "ris/bus/bus.hpp"
#include "ris/core/log.hpp"

namespace ris::bus {
namespace {

using namespace std::chrono_literals;
using testing::PrivateServer;
using testing::shared_url;
using testing::unique_prefix;
using testing::wait_until;

// The bus's own lines (bus_disconnected, bus_reconnected, drops) show in the test output.
const bool g_logging = (log::init(log::Level::info), true);

Message msg(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

// Collects what a subscription receives.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> items;  // "subject=payload"

  Callback callback() {
    return [this](std::string_view subject, const Message& m) {
      std::lock_guard g(mu);
      items.push_back(fmt::format("{}={}", subject, *m));
      cv.notify_all();
    };
  }
  bool wait_for(size_t n, std::chrono::milliseconds limit = 20s) {
    std::unique_lock l(mu);
    return cv.wait_for(l, limit, [&] { return items.size() >= n; });
  }
  std::vector<std::string> get() {
    std::lock_guard g(mu);
    return items;
  }
  bool contains(std::string_view item) {
    std::lock_guard g(mu);
    return std::find(items.begin(), items.end(), item) != items.end();
  }
  size_t size() {
    std::lock_guard g(mu);
    return items.size();
  }
};

std::unique_ptr<Bus> open(const std::string& url) {
  auto b = open_bus(url);
  EXPECT_TRUE(b) << (b ? "" : b.error().message);
  return b ? std::move(*b) : nullptr;
}

class NatsBus : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = shared_url();
    ASSERT_FALSE(url_.empty()) << "RIS_TEST_NATS_URL_FILE is not set: run through ctest -L nats";
    p_ = unique_prefix();
    a_ = open(url_);
    b_ = open(url_);
    ASSERT_TRUE(a_ && b_);
  }
  std::string url_, p_;
  std::unique_ptr<Bus> a_, b_;
};

TEST_F(NatsBus, two_servers_exchange_exact_and_prefix_subjects) {
  EXPECT_EQ(a_->backend(), "nats");
  EXPECT_TRUE(a_->connected());
  EXPECT_TRUE(a_->has_subscribers());
  Inbox exact, prefix;
  auto e = a_->subscribe(p_ + "space.1.agents", exact.callback());
  auto x = a_->subscribe(p_ + "space.1.>", prefix.callback());
  b_->publish(p_ + "space.1.agents", msg("x"));
  b_->publish(p_ + "space.1.tasks", msg("y"));
  b_->publish(p_ + "space.2.agents", msg("z"));
  b_->publish(p_ + "space.1", msg("not below"));
  b_->publish(p_ + "space.1.agents", msg("end"));  // one connection's messages stay in order
  ASSERT_TRUE(exact.wait_for(2));
  ASSERT_TRUE(prefix.wait_for(3));
  EXPECT_EQ(exact.get(),
            (std::vector<std::string>{p_ + "space.1.agents=x", p_ + "space.1.agents=end"}));
  EXPECT_EQ(prefix.get(), (std::vector<std::string>{p_ + "space.1.agents=x", p_ + "space.1.tasks=y",
                                                    p_ + "space.1.agents=end"}));
}

TEST_F(NatsBus, a_publisher_hears_its_own_subscribers_and_deep_subjects_match_the_prefix) {
  Inbox in;
  auto s = a_->subscribe(p_ + "a.>", in.callback());
  a_->publish(p_ + "a.b.c.d", msg("deep"));
  ASSERT_TRUE(in.wait_for(1));
  EXPECT_EQ(in.get(), std::vector<std::string>{p_ + "a.b.c.d=deep"});
}

TEST_F(NatsBus, a_destroyed_subscription_gets_nothing_more) {
  Inbox one, two, three;
  auto s1 = a_->subscribe(p_ + "ev", one.callback());
  auto s2 = a_->subscribe(p_ + "ev", two.callback());  // shares the NATS subscription
  b_->publish(p_ + "ev", msg("1"));
  ASSERT_TRUE(one.wait_for(1));
  ASSERT_TRUE(two.wait_for(1));
  s1.reset();
  b_->publish(p_ + "ev", msg("2"));
  ASSERT_TRUE(two.wait_for(2));
  s2.reset();  // the last one: the NATS subscription goes too
  auto s3 = a_->subscribe(p_ + "ev", three.callback());
  b_->publish(p_ + "ev", msg("3"));
  ASSERT_TRUE(three.wait_for(1));
  EXPECT_EQ(one.get(), std::vector<std::string>{p_ + "ev=1"});
  EXPECT_EQ(two.get(), (std::vector<std::string>{p_ + "ev=1", p_ + "ev=2"}));
  EXPECT_EQ(three.get(), std::vector<std::string>{p_ + "ev=3"});
}

TEST_F(NatsBus, a_callback_may_destroy_its_own_subscription) {
  std::unique_ptr<Subscription> sub;
  std::atomic<int> calls{0};
  std::mutex mu;
  {
    std::lock_guard g(mu);
    sub = a_->subscribe(p_ + "once", [&](std::string_view, const Message&) {
      ++calls;
      std::lock_guard g(mu);
      sub.reset();
    });
  }
  b_->publish(p_ + "once", msg("1"));
  ASSERT_TRUE(wait_until([&] { return calls.load() >= 1; }));
  b_->publish(p_ + "once", msg("2"));
  Inbox probe;  // a later message on another subject of the same publisher marks the end
  auto p = a_->subscribe(p_ + "probe", probe.callback());
  b_->publish(p_ + "probe", msg("end"));
  ASSERT_TRUE(probe.wait_for(1));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(calls.load(), 1);
}

// For TSan and ASan: subscriptions come and go while messages flow; each callback touches
// state that is freed right after its subscription is destroyed.
TEST_F(NatsBus, destroying_subscriptions_while_messages_flow_is_safe) {
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    int i = 0;
    while (!stop.load()) {
      b_->publish(p_ + "flow.x", msg(std::to_string(i++)));
      a_->publish(p_ + "flow.y", msg(std::to_string(i++)));
      if (i % 64 == 0)
        std::this_thread::sleep_for(1ms);
    }
  });
  std::atomic<int64_t> late_calls{0}, total{0};
  for (int round = 0; round < 200; ++round) {
    struct State {
      std::atomic<bool> gone{false};
      std::atomic<int> seen{0};
    };
    auto state = std::make_unique<State>();
    State* raw = state.get();
    auto cb = [raw, &late_calls, &total](std::string_view, const Message& m) {
      if (raw->gone.load())
        ++late_calls;
      raw->seen += static_cast<int>(m->size() > 0);
      ++total;
    };
    auto s1 = a_->subscribe(p_ + "flow.>", cb);
    auto s2 = a_->subscribe(round % 2 ? p_ + "flow.x" : p_ + "flow.>", cb);
    std::this_thread::sleep_for(std::chrono::microseconds(200 * (round % 5)));
    s1.reset();
    s2.reset();
    raw->gone = true;
    state.reset();  // a callback after ~Subscription would touch freed memory
  }
  stop = true;
  publisher.join();
  EXPECT_EQ(late_calls.load(), 0);
  EXPECT_GT(total.load(), 0);
}

TEST_F(NatsBus, carries_a_one_mebibyte_payload_and_drops_one_over_the_server_limit) {
  Inbox in;
  auto s = a_->subscribe(p_ + "big", in.callback());
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  b_->publish(p_ + "big", msg(big));
  b_->publish(p_ + "big", msg(std::string(9 << 20, 'x')));  // the test server's max is 8 MB
  b_->publish(p_ + "big", msg("small"));
  ASSERT_TRUE(in.wait_for(2));
  auto got = in.get();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], p_ + "big=" + big);
  EXPECT_EQ(got[1], p_ + "big=small");
  EXPECT_TRUE(b_->connected());
}

TEST(NatsBusServer, opened_while_the_server_is_down_it_connects_once_it_is_up) {
  PrivateServer server;
  ASSERT_TRUE(server.run("start"));
  const std::string url = server.url();
  ASSERT_TRUE(server.run("kill"));
  auto a = open(url);  // risd starts before NATS
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->connected());
  Inbox in;
  auto s = a->subscribe("late.>", in.callback());
  a->publish("late.early", msg("buffered"));  // must not block; may or may not survive
  ASSERT_TRUE(server.run("restart"));
  ASSERT_TRUE(wait_until([&] { return a->connected(); }));
  auto b = open(url);
  ASSERT_TRUE(b);
  ASSERT_TRUE(wait_until([&] {
    b->publish("late.probe", msg("p"));
    return in.wait_for(1, 50ms);
  }));
  b->publish("late.after", msg("delivered"));
  EXPECT_TRUE(wait_until([&] { return in.contains("late.after=delivered"); }));
}

TEST(NatsBusServer, subscriptions_resume_after_the_server_is_killed_and_restarted) {
  PrivateServer server;
  ASSERT_TRUE(server.run("start"));
  const std::string url = server.url();
  auto a = open(url);
  auto b = open(url);
  ASSERT_TRUE(a && b);
  Inbox in;
  auto s = a->subscribe("resume.>", in.callback());
  b->publish("resume.before", msg("1"));
  ASSERT_TRUE(in.wait_for(1));
  ASSERT_TRUE(server.run("kill"));
  ASSERT_TRUE(wait_until([&] { return !a->connected() && !b->connected(); }));
  for (int i = 0; i < 100; ++i)  // while down: buffered or dropped, never blocking
    b->publish("resume.down", msg(std::string(1024, 'd')));
  ASSERT_TRUE(server.run("restart"));
  ASSERT_TRUE(wait_until([&] { return a->connected() && b->connected(); }));
  // The subscription is sent again on reconnect; the first messages may race it.
  ASSERT_TRUE(wait_until([&] {
    b->publish("resume.probe", msg("p"));
    std::this_thread::sleep_for(20ms);
    return in.contains("resume.probe=p");
  }));
  b->publish("resume.after", msg("2"));
  EXPECT_TRUE(wait_until([&] { return in.contains("resume.after=2"); }));
}

}  // namespace
}  // namespace ris::bus
