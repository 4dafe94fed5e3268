#include <gtest/gtest.h>

#include <vector>

#include "ris/bus/bus.hpp"

namespace ris::bus {
namespace {
TEST(InProcessBus, delivers_to_exact_and_prefix_subscribers_until_unsubscribed) {
  auto bus = std::move(*open_bus(""));
  std::vector<std::string> exact, prefix;
  auto a = bus->subscribe("space.1.agents", [&](std::string_view s, const Message& m) {
    exact.push_back(std::string(s) + "=" + *m);
  });
  auto b = bus->subscribe("space.1.>",
                          [&](std::string_view s, const Message&) { prefix.emplace_back(s); });
  bus->publish("space.1.agents", std::make_shared<const std::string>("x"));
  bus->publish("space.1.tasks", std::make_shared<const std::string>("y"));
  bus->publish("space.2.agents", std::make_shared<const std::string>("z"));
  EXPECT_EQ(exact, std::vector<std::string>{"space.1.agents=x"});
  EXPECT_EQ(prefix, (std::vector<std::string>{"space.1.agents", "space.1.tasks"}));
  a.reset();
  bus->publish("space.1.agents", std::make_shared<const std::string>("again"));
  EXPECT_EQ(exact.size(), 1u);
  EXPECT_EQ(prefix.size(), 3u);
}

TEST(InProcessBus, says_whether_anyone_listens) {
  auto bus = std::move(*open_bus(""));
  EXPECT_FALSE(bus->has_subscribers());
  auto sub = bus->subscribe("space.1.agents", [](std::string_view, const Message&) {});
  EXPECT_TRUE(bus->has_subscribers());
  sub.reset();
  EXPECT_FALSE(bus->has_subscribers());
}
}  // namespace
}  // namespace ris::bus
