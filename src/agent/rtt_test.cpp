#include "rtt.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ris::agent {
namespace {
// A listening loopback port, and one that refuses (bound, not listening).
struct Port {
  int fd = -1;
  uint16_t port = 0;
  explicit Port(bool listening) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    if (listening)
      listen(fd, 4);
  }
  ~Port() { close(fd); }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port); }
};

TEST(Rtt, reachable_servers_come_before_unreachable_ones) {
  Port up(true), down(false);
  auto order = order_by_rtt({down.url(), up.url()}, std::chrono::milliseconds(300));
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0], up.url());
  EXPECT_EQ(order[1], down.url());
}

TEST(Rtt, a_single_server_is_not_measured) {
  EXPECT_EQ(order_by_rtt({"https://x.invalid"}, std::chrono::milliseconds(1)),
            std::vector<std::string>{"https://x.invalid"});
}
}  // namespace
}  // namespace ris::agent
